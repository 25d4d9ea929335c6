"""The last line of defence of a run: mask every known secret value in the notebook before it is
written, then check each written file again, and report where one was found (never the value)."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from quayops.redaction import MASK, mask_uri

MIN_LENGTH = 4  # shorter values would mask ordinary text; redaction.secret_values uses the same floor


def spellings(secrets: Iterable[str]) -> list[str]:
    """Each secret as it can appear in a written file: raw, JSON-escaped, HTML-escaped and base64 (how a
    Kubernetes Secret shows it), longest first so overlapping values mask completely."""
    found = set()
    for s in secrets:
        if not isinstance(s, str) or len(s) < MIN_LENGTH:
            continue
        found |= {s, json.dumps(s)[1:-1], html.escape(s), html.escape(s, quote=False),
                  base64.b64encode(s.encode()).decode()}
    return sorted(found, key=len, reverse=True)


def scrub_text(text: str, forms: list[str]) -> tuple[str, int]:
    """The text with every form masked, and how many were."""
    count = 0
    for form in forms:
        if form in text:
            count += text.count(form)
            text = text.replace(form, MASK)
    return text, count


def scrub_value(value: Any, forms: list[str], *, uris: bool = False) -> tuple[Any, int]:
    """A copy of a JSON-like value with every form masked in its strings (and URI passwords if `uris`)."""
    if isinstance(value, dict):
        pairs = [(k, scrub_value(v, forms, uris=uris)) for k, v in value.items()]
        return type(value)((k, v) for k, (v, _) in pairs), sum(n for _, (_, n) in pairs)
    if isinstance(value, list):
        items = [scrub_value(v, forms, uris=uris) for v in value]
        return [v for v, _ in items], sum(n for _, n in items)
    if isinstance(value, str):
        text, count = scrub_text(value, forms)
        return (mask_uri(text) if uris else text), count
    return value, 0


def scrub_notebook(nb, forms: list[str]) -> list[int]:
    """Mask secrets in place everywhere in a notebook (URI passwords in outputs too); return the
    indices of the cells where a known secret was found."""
    leaked = []
    for index, cell in enumerate(nb.cells):
        total = 0
        for field in ("source", "outputs", "metadata", "attachments"):
            if field in cell:
                cell[field], count = scrub_value(cell[field], forms, uris=field == "outputs")
                total += count
        if total:
            leaked.append(index)
    nb.metadata, count = scrub_value(nb.metadata, forms)
    if count:
        leaked.append(-1)  # the notebook's metadata
    return leaked


def scrub_files(paths: Iterable[Path], forms: list[str]) -> list[Path]:
    """Check written files for any form; mask and rewrite those holding one, and return them."""
    found = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        clean, count = scrub_text(text, forms)
        if count:
            path.write_text(clean, encoding="utf-8")
            found.append(path)
    return found
