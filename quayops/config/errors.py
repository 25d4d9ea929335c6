"""Errors of config-tool's load stage (config-facts §1.1 steps 2–5): one fatal message, no field group."""

from __future__ import annotations

from quayops.errors import QuayopsError


class ConfigLoadError(QuayopsError):
    """config.yaml could not be loaded; the message is config-tool's (yaml.v3's) text verbatim."""


class FieldTypeError(ConfigLoadError):
    """A field group constructor's error, e.g. `<KEY> must be of type <type>` (config-facts §3); config-tool
    wraps it in its "could not marshal config.yaml" message."""


class ConfigToolCrash(ConfigLoadError):
    """An input on which config-tool itself panics (config-facts §1.1 item 9); quayops reports it instead."""
