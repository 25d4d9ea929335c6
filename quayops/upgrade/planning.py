"""Plan an upgrade along supported hops: the shortest path, or a refusal that says why (guide 12.2)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from quayops.errors import QuayopsError
from quayops.model.versions import Version, parse_version
from quayops.upgrade.paths import Graph, Hop, load_graph


class UpgradeRefused(QuayopsError):
    """No supported path; nothing was changed."""


@dataclass(frozen=True)
class UpgradePlan:
    """The versions to pass through, first to last; `alternatives` are the other shortest paths."""

    source: Version
    target: Version
    path: list[Version]
    alternatives: list[list[Version]] = field(default_factory=list)

    @property
    def hops(self) -> int:
        return len(self.path) - 1

    def to_dict(self, *, all_paths: bool = False) -> dict:
        out = {"from": str(self.source), "to": str(self.target), "path": [str(v) for v in self.path],
               "hops": self.hops}
        if all_paths:
            out["alternatives"] = [[str(v) for v in p] for p in self.alternatives]
        return out


def plan_upgrade(source: str | Version, target: str | Version, *, graph: Graph | None = None) -> UpgradePlan:
    """The shortest supported path from `source` to `target`.

    Ties go to the path with more of the guide's documented chain hops, then fewer z-stream steps.
    Raises UpgradeRefused for downgrades across minors, unknown releases and unreachable targets.
    """
    graph = graph or load_graph()
    src = source if isinstance(source, Version) else parse_version(source, field="--from")
    dst = target if isinstance(target, Version) else parse_version(target, field="--to")
    for v, flag in ((src, "--from"), (dst, "--to")):
        if v.minor_key not in graph.releases:
            known = sorted(graph.releases)
            raise UpgradeRefused(
                f"no supported path: {v} is not a Quay release quayops knows "
                f"(known: {'.'.join(map(str, known[0]))} … {'.'.join(map(str, known[-1]))})",
                field=flag,
                hint="Add the release and its hops to quayops/upgrade/paths.yaml.",
            )
    if dst.minor_key < src.minor_key:
        raise UpgradeRefused(
            f"no supported path: {src} → {dst} is a downgrade; Quay migrates its database forward only, and "
            f"rolls back only within one minor's z-stream (guide 12.2)",
            field="--to",
        )
    if dst.minor_key == src.minor_key:
        same = dst == src or dst.patch is None
        return UpgradePlan(src, dst, [src] if same else [src, dst])
    sequences = _shortest_hop_sequences(graph, src.minor_key, dst.minor_key)
    if not sequences:
        raise UpgradeRefused(f"no supported path from {src} to {dst} (guide 12.2)", field="--to")
    paths = sorted(
        (_versions(graph, src, dst, seq) for seq in sequences),
        key=lambda p: (-sum(h.common for h in p[1]), len(p[0]), [str(v) for v in p[0]]),
    )
    return UpgradePlan(src, dst, paths[0][0], alternatives=[p[0] for p in paths[1:]])


def _shortest_hop_sequences(graph: Graph, start: tuple[int, int], goal: tuple[int, int]) -> list[list[Hop]]:
    """Every sequence of hops with the fewest minor-to-minor steps (breadth-first)."""
    found: list[list[Hop]] = []
    queue: deque[list[Hop]] = deque([[]])
    while queue:
        seq = queue.popleft()
        if found and len(seq) >= len(found[0]):
            break
        at = seq[-1].target if seq else start
        for hop in graph.hops_from(at):
            if hop.target > goal:
                continue
            nxt = [*seq, hop]
            (found if hop.target == goal else queue).append(nxt)
    return found


def _versions(graph: Graph, src: Version, dst: Version, seq: list[Hop]) -> tuple[list[Version], list[Hop]]:
    """The versions a hop sequence passes through, with a z-stream step where a hop needs one first."""
    path, current = [src], src
    for hop in seq:
        if hop.from_at and current != hop.from_at and (current.patch is None or current < hop.from_at):
            path.append(hop.from_at)
        if hop.target == dst.minor_key:
            current = dst if dst.patch is not None or not hop.lands else hop.lands
        else:
            current = hop.lands or graph.releases[hop.target]
        path.append(current)
    return path, seq
