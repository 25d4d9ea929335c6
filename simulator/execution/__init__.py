"""What `pods/exec` runs "inside" a simulated container: its environment and mounted files from the Store,
a small shell, built-in commands, and real PostgreSQL client tools against the data plane's servers.

No HTTP here: `simulator.apiserver.streaming` speaks the wire protocols and calls `PodRuntime`.
"""
