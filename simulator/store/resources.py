"""The resources a cluster serves: the platform's built-in kinds plus one entry per established CRD.

Discovery, routing and the store all look kinds up here; CRDs are served as soon as they are created.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from quayops.kube.kinds import ALL_VERBS, Kind, kinds_for
from simulator.store import schemas


class Resources:
    """Lookup of served kinds by URL path, by apiVersion+kind, and by storage."""

    def __init__(self, platform: str, *, without: tuple[str, ...] = ()) -> None:
        self.platform = platform
        self._builtin = tuple(k for k in kinds_for(platform, without=without) if k.crd is None)
        self._crd_kinds: dict[str, tuple[Kind, ...]] = {}  # CRD name -> its served versions
        self._rebuild()

    def _rebuild(self) -> None:
        kinds = [*self._builtin]
        for served in self._crd_kinds.values():
            kinds.extend(served)
        self._by_path = {(k.group, k.version, k.plural): k for k in kinds}
        self._by_gvk = {(k.api_version, k.kind): k for k in kinds}
        self._all = tuple(kinds)
        # answers every write asks for, computed once per change of the served kinds
        self._storage_versions: dict[tuple[str, str], Kind] = {}
        for k in kinds:
            if k.storage is None:
                self._storage_versions.setdefault((k.group, k.plural), k)
        self._storage_kinds: dict[Kind, Kind] = {}
        self._schemas: dict[Kind, Mapping[str, Any] | None] = {}
        self._schema_crds: dict[Kind, Mapping[str, Any]] = {}  # Kind equality ignores the CRD schema

    def __iter__(self) -> Iterator[Kind]:
        return iter(self._all)

    def by_path(self, group: str, version: str, plural: str) -> Kind | None:
        return self._by_path.get((group, version, plural))

    def by_gvk(self, api_version: str, kind: str) -> Kind | None:
        return self._by_gvk.get((api_version, kind))

    def storage_kind(self, kind: Kind) -> Kind:
        """The kind whose form the store keeps for `kind` (itself, or e.g. Namespace for Project)."""
        found = self._storage_kinds.get(kind)
        if found is None:
            found = self._storage_kinds[kind] = self._find_storage_kind(kind)
        return found

    def _find_storage_kind(self, kind: Kind) -> Kind:
        if kind.storage is None:
            storage = self._storage_versions.get((kind.group, kind.plural))
            return storage or kind
        group, plural = kind.storage
        for k in self._all:
            if (k.group, k.plural) == (group, plural) and k.storage is None:
                return k
        return kind

    def storage_versions(self) -> dict[tuple[str, str], Kind]:
        return dict(self._storage_versions)

    def is_crd_kind(self, kind: Kind) -> bool:
        return kind.crd is not None

    def schema(self, kind: Kind) -> Mapping[str, Any] | None:
        """The root OpenAPI node of objects of `kind` (shared: callers must not mutate it)."""
        if kind in self._schemas and (kind.crd is None or self._schema_crds.get(kind) is kind.crd):
            return self._schemas[kind]
        node = self._schemas[kind] = self._find_schema(kind)
        if kind.crd is not None:
            self._schema_crds[kind] = kind.crd
        return node

    def _find_schema(self, kind: Kind) -> Mapping[str, Any] | None:
        if kind.crd is not None:
            return schemas.crd_root(kind.crd.get("schema") or {})
        name = schemas.definition_name(kind.group, kind.version, kind.kind)
        return schemas.resolve(schemas.builtin_definitions()[name]) if name else None

    def served_by_crd(self, crd: Mapping[str, Any]) -> tuple[Kind, ...]:
        """The kinds a CRD object serves (one per served version), from its spec."""
        spec = crd.get("spec") or {}
        names = spec.get("names") or {}
        group = spec.get("group", "")
        out = []
        storage_version = next((v["name"] for v in spec.get("versions") or [] if v.get("storage")), None)
        for version in spec.get("versions") or []:
            if not version.get("served", True):
                continue
            subresources = tuple(sorted((version.get("subresources") or {}).keys()))
            entry = MappingProxyType({
                "schema": version.get("schema") or {},
                "additionalPrinterColumns": version.get("additionalPrinterColumns") or [],
            })
            out.append(Kind(
                group, version["name"], names.get("kind", ""), names.get("plural", ""),
                spec.get("scope", "Namespaced") == "Namespaced", subresources=subresources,
                short_names=tuple(names.get("shortNames") or ()), verbs=ALL_VERBS,
                categories=tuple(names.get("categories") or ()),
                storage=None if version["name"] == storage_version else (group, names.get("plural", "")),
                crd=entry,
            ))
        return tuple(out)

    def add_crd(self, crd: Mapping[str, Any]) -> tuple[Kind, ...]:
        served = self.served_by_crd(crd)
        self._crd_kinds[crd["metadata"]["name"]] = served
        self._rebuild()
        return served

    def remove_crd(self, name: str) -> None:
        if self._crd_kinds.pop(name, None) is not None:
            self._rebuild()

    def crd_kinds(self, name: str) -> tuple[Kind, ...]:
        return self._crd_kinds.get(name, ())


def crd_manifest(kinds: list[Kind]) -> dict[str, Any]:
    """A CustomResourceDefinition object for the versions of one kinds-table custom resource."""
    first = kinds[0]
    versions = []
    for i, k in enumerate(kinds):
        version: dict[str, Any] = {
            "name": k.version, "served": True, "storage": i == 0,
            "schema": dict(k.crd["schema"]) if k.crd else {},
        }
        if k.subresources:
            version["subresources"] = {s: {} for s in k.subresources}
        if k.crd and k.crd.get("additionalPrinterColumns"):
            version["additionalPrinterColumns"] = list(k.crd["additionalPrinterColumns"])
        versions.append(version)
    names: dict[str, Any] = {"kind": first.kind, "listKind": first.list_kind, "plural": first.plural,
                             "singular": first.singular}
    if first.short_names:
        names["shortNames"] = list(first.short_names)
    if first.categories:
        names["categories"] = list(first.categories)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{first.plural}.{first.group}"},
        "spec": {"group": first.group, "names": names,
                 "scope": "Namespaced" if first.namespaced else "Cluster", "versions": versions},
    }
