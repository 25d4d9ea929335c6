"""Backup and restore of a Quay registry (guide 11): resumable steps, verified blob copies, database dumps
and the manifest that proves what was taken.

The data-moving core here takes an S3 client and a command runner; the cluster side (QuayRegistry,
Secrets, quiescing, pods/exec) plugs into `steps.Procedure` and never lives in these modules.
"""
