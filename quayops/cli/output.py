"""Output for the CLI: JSON for programs, grouped tables for people, secrets scrubbed from both."""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Iterable

import click

from quayops.redaction import scrub

LAYER_TITLES = {
    "config": "Quay config-tool",
    "operator": "Quay Operator",
    "guide": "Guide advice",
    "online": "Online probes",
}


def emit(text: str, secrets: Iterable[str] = (), *, err: bool = False) -> None:
    """Print text after replacing every known secret value with the mask."""
    click.echo(scrub(text, secrets), err=err)


def as_json(data: object) -> str:
    return json.dumps(data, indent=2, sort_keys=False, default=str)


def findings_table(title: str, report: dict) -> str:
    """A validation report as a person reads it: verdict first, then findings grouped by layer."""
    width = min(shutil.get_terminal_size((110, 20)).columns, 140)
    verdict = "valid" if report["valid"] else "INVALID"
    counts = f"{len(report['errors'])} error(s), {len(report['warnings'])} warning(s)"
    lines = [f"{title}: {verdict} (stage: {report['stage']}, {counts})"]
    for heading, items in (("Errors", report["errors"]), ("Warnings", report["warnings"])):
        if not items:
            continue
        lines.append("")
        lines.append(f"{heading}:")
        for layer, layer_title in LAYER_TITLES.items():
            group = [f for f in items if f["layer"] == layer]
            if not group:
                continue
            lines.append(f"  {layer_title}")
            for f in group:
                where = " · ".join(x for x in (f.get("fieldGroup"), f.get("component"), f.get("field")) if x)
                head = f"    - [{where}] " if where else "    - "
                for i, part in enumerate(f["message"].split("\n")):
                    lines += textwrap.wrap(part, width, initial_indent=head if i == 0 else " " * 8,
                                           subsequent_indent=" " * 8, break_on_hyphens=False) or [head]
                if f.get("hint"):
                    lines += textwrap.wrap(f"fix: {f['hint']}", width, initial_indent=" " * 8,
                                           subsequent_indent=" " * 10)
    if report.get("probes"):
        lines += ["", "Probes:"]
        for p in report["probes"]:
            mark = "ok  " if p["ok"] else "FAIL"
            lines.append(f"    {mark} {p['probe']:<40} {p['target']}  {p['message']}")
    return "\n".join(lines)
