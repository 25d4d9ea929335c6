"""Cluster state and its rules: objects, admission, patching, selectors, garbage collection.

No HTTP here: the API server and (later) the controllers both call the `Store` directly.
"""

from simulator.store.objects import Event, ObjectList, Store, Watch

__all__ = ["Event", "ObjectList", "Store", "Watch"]
