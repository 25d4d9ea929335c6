"""Quay config bundles: loading them and Quay's own (config-tool v0.1.12) static validation.

Pure: no network and no file I/O except `bundle.load_bundle_*` readers; `probes` is the one opt-in
module that connects to the servers a config names.
"""
