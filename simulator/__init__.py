"""An in-memory OpenShift look-alike served over real HTTPS, for rehearsing runbooks.

`store/` holds state and its rules, `apiserver/` translates HTTP to store calls, `server.py` runs both.
Nothing in `quayops/` imports this package.
"""
