import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from quayops.cli import main

QUAYOPS = str(Path(sys.executable).parent / "quayops")


def test_plan_json_shape():
    result = CliRunner().invoke(main, ["upgrade", "plan", "--from", "3.5.7", "--to", "3.7", "-o", "json"])
    assert result.exit_code == 0
    assert json.loads(result.output) == {"from": "3.5.7", "to": "3.7", "path": ["3.5.7", "3.7"], "hops": 1}


def test_plan_table_and_all_paths():
    result = CliRunner().invoke(main, ["upgrade", "plan", "--from", "3.3.4", "--to", "3.7", "--all"])
    assert result.output.splitlines() == ["3.3.4 → 3.4.7 → 3.7  (2 hops)", "also: 3.3.4 → 3.6.10 → 3.7"]


def test_no_supported_path_exits_1_with_reason():
    proc = subprocess.run([QUAYOPS, "upgrade", "plan", "--from", "3.7", "--to", "3.5"], capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and "downgrade" in proc.stderr and "Traceback" not in proc.stderr


def test_garbage_version_exits_2():
    proc = subprocess.run([QUAYOPS, "upgrade", "plan", "--from", "three", "--to", "3.7"], capture_output=True, text=True, check=False)
    assert proc.returncode == 2 and "--from" in proc.stderr
