"""The library's Kubernetes layer: kinds as data, connection, errors, watching and applying.

Only modules here talk to the `kubernetes` client; `kinds` and `crds` are pure data.
"""
