"""One reported problem or warning, from any validation layer; the JSON shape of `config validate`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Layer = Literal["config", "operator", "guide", "online"]


@dataclass(frozen=True)
class Finding:
    """A message from one layer, tied to a field group, a component and/or a field where one applies.

    `message` is the upstream text verbatim (config-tool, the operator, or the guide's advice);
    quayops context goes in `hint`, never inside the quoted text.
    """

    layer: Layer
    message: str
    field_group: str | None = None
    component: str | None = None
    field: str | None = None
    hint: str | None = None

    def to_dict(self) -> dict:
        return {
            "layer": self.layer,
            "fieldGroup": self.field_group,
            "component": self.component,
            "field": self.field,
            "message": self.message,
            **({"hint": self.hint} if self.hint else {}),
        }
