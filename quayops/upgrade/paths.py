"""The supported upgrade graph (guide 12.2), read from `paths.yaml` beside this module. Pure data."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import pairwise

from quayops.model.versions import Version, parse_version


@dataclass(frozen=True)
class Hop:
    """One supported minor-to-minor upgrade."""

    source: tuple[int, int]
    target: tuple[int, int]
    from_at: Version | None = None
    lands: Version | None = None
    common: bool = False


@dataclass(frozen=True)
class Graph:
    releases: dict[tuple[int, int], Version]
    hops: tuple[Hop, ...]

    def hops_from(self, minor: tuple[int, int]) -> list[Hop]:
        return [h for h in self.hops if h.source == minor]


@cache
def load_graph() -> Graph:
    """The packaged graph, with the implicit N-1 hop added for every minor that lacks an explicit one."""
    from ruamel.yaml import YAML

    data = YAML(typ="safe").load(resources.files("quayops.upgrade").joinpath("paths.yaml").read_text())
    releases = {parse_version(k).minor_key: parse_version(str(v)) for k, v in data["releases"].items()}
    hops = [
        Hop(
            source=parse_version(h["from"]).minor_key,
            target=parse_version(h["to"]).minor_key,
            from_at=parse_version(str(h["from_at"])) if "from_at" in h else None,
            lands=parse_version(str(h["lands"])) if "lands" in h else None,
            common=bool(h.get("common")),
        )
        for h in data["hops"]
    ]
    minors = sorted(releases)
    explicit = {(h.source, h.target) for h in hops}
    hops += [Hop(a, b) for a, b in pairwise(minors) if (a, b) not in explicit and a[0] == b[0]]
    return Graph(releases=releases, hops=tuple(hops))
