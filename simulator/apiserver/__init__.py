"""HTTP translation: URLs and verbs → `Store` calls, Status bodies, discovery, OpenAPI and Tables.

No cluster rules here (those live in `simulator.store`); this package only translates.
"""
