"""Rendering a QuayRegistry into the objects the operator applies (operator-facts §4–§7).

`render_registry` is the entry point; one module per component adds that component's objects, then
`overrides` applies the middleware and `configmerge` builds the final config.yaml.
"""

from quayops.operator.rendering.registry import Rendered, render_registry

__all__ = ["Rendered", "render_registry"]
