"""The simulator's data plane: real PostgreSQL, SeaweedFS (S3) and Redis on 127.0.0.1, and a simulated Quay.

`postgres`, `objectstore` and `redis` run the servers as child processes with data in a temp dir;
`quayapp` and `quay/` are the Quay application that uses them. Nothing here reads the cluster store:
the simulator's controllers decide what runs.
"""
