"""Runner tests: fixture runbooks under fixtures/<group>/<name>.ipynb, and a Jupyter environment of
their own so a user's kernelspecs or runtime files cannot change which python the kernel runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from quayops.runbooks import run_runbook

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def jupyter_env(tmp_path_factory):
    """Empty user-level Jupyter dirs: the kernelspec `python3` then comes from the venv (sys.prefix)."""
    home = tmp_path_factory.mktemp("jupyter")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PLATFORM_DIRS", "1")
        mp.setenv("JUPYTER_DATA_DIR", str(home / "data"))
        mp.setenv("JUPYTER_CONFIG_DIR", str(home / "config"))
        mp.setenv("JUPYTER_RUNTIME_DIR", str(home / "runtime"))
        mp.delenv("JUPYTER_PATH", raising=False)
        mp.delenv("QUAYOPS_NOTEBOOKS", raising=False)
        yield home


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Run the fixture runbook `checks/behave` into a fresh directory; returns (record, out_dir)."""

    def _run(parameters=None, **kw):
        out = tmp_path_factory.mktemp("run")
        return run_runbook("checks/behave", parameters=parameters or {}, target="sim", out_dir=out, root=FIXTURES,
                           progress=False, **kw), out

    return _run


@pytest.fixture(scope="session")
def fixtures_root() -> Path:
    return FIXTURES
