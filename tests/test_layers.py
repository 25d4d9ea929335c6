"""Import boundaries (STYLE §4): the library stands alone and its pure cores do no I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
IO_LIBRARIES = ("kubernetes", "boto3", "botocore", "psycopg", "requests", "redis", "aiohttp", "urllib3")


def imports_of(package: str, *, exclude: tuple[str, ...] = ()) -> dict[str, set[str]]:
    """Every module under a package → the top-level-qualified names it imports (anywhere in the file)."""
    out = {}
    for path in sorted((ROOT / package.replace(".", "/")).rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if module.startswith(exclude):
            continue
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        out[module] = names
    return out


def offenders(package: str, forbidden: tuple[str, ...], *, exclude: tuple[str, ...] = ()) -> list[str]:
    return [f"{m} imports {n}" for m, names in imports_of(package, exclude=exclude).items()
            for n in sorted(names) if n in forbidden or n.startswith(tuple(f + "." for f in forbidden))]


def test_library_never_imports_the_simulator():
    # `quayops sim serve` runs the simulator; its command module is the one place allowed to start it
    assert offenders("quayops", ("simulator",), exclude=("quayops.cli.sim",)) == []


@pytest.mark.parametrize("core", ["quayops.operator", "quayops.model"])
def test_pure_cores_do_no_io(core):
    assert offenders(core, IO_LIBRARIES) == []


def test_config_is_pure_except_its_probes():
    assert offenders("quayops.config", IO_LIBRARIES, exclude=("quayops.config.probes",)) == []
    # the detector sees the probes' imports, so the checks above can fail
    assert "quayops.config.probes imports psycopg" in offenders("quayops.config", IO_LIBRARIES)


def test_simulator_state_knows_no_http():
    assert offenders("simulator.store", ("simulator.apiserver", "aiohttp")) == []


def test_public_names_resolve_without_loading_the_kubernetes_client():
    import subprocess
    import sys

    code = ("import sys, quayops; assert 'kubernetes' not in sys.modules; "
            "[getattr(quayops, n) for n in quayops.__all__]; print(len(quayops.__all__))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert int(out) >= 10
