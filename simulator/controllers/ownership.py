"""Controller references and the objects a controller owns, as the kube-controller-manager keeps them.

Mirrors apimachinery's `metav1.NewControllerRef` and the controllers' pod-template → pod step.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from simulator.controllers.base import Context, Obj
from simulator.store.selectors import label_selector_to_string


def controller_ref(owner: Mapping[str, Any]) -> dict[str, Any]:
    meta = owner["metadata"]
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": meta["name"], "uid": meta["uid"],
            "controller": True, "blockOwnerDeletion": True}


def is_controlled_by(obj: Mapping[str, Any], owner: Mapping[str, Any]) -> bool:
    uid = owner["metadata"]["uid"]
    return any(r.get("uid") == uid and r.get("controller") for r in obj["metadata"].get("ownerReferences") or ())


def owned(ctx: Context, api_version: str, kind: str, owner: Mapping[str, Any],
          selector: Mapping[str, Any] | None = None) -> list[Obj]:
    """Objects of `kind` in the owner's namespace that it controls (optionally narrowed by a selector).

    As stored, not copied: read them, write through the Store.
    """
    found = ctx.list(api_version, kind, owner["metadata"].get("namespace"),
                     label_selector=label_selector_to_string(selector) or None)
    return [o for o in found if is_controlled_by(o, owner)]


def pod_from_template(owner: Mapping[str, Any], template: Mapping[str, Any], *, name: str | None = None,
                      extra_labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A Pod for `owner` from its pod template: generateName `<owner>-` unless a name is given."""
    tmeta = template.get("metadata") or {}
    meta: dict[str, Any] = {"namespace": owner["metadata"]["namespace"],
                            "labels": {**(tmeta.get("labels") or {}), **(extra_labels or {})},
                            "ownerReferences": [controller_ref(owner)]}
    if tmeta.get("annotations"):
        meta["annotations"] = dict(tmeta["annotations"])
    if name:
        meta["name"] = name
    else:
        meta["generateName"] = f"{owner['metadata']['name']}-"
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": copy.deepcopy(template.get("spec") or {})}
