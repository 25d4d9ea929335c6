"""Starting the simulator must stay well under a second: no heavy imports on the way to `ready`.

`kubernetes_validate` is read for its schema files only; importing it drags in jsonschema's format
checkers (rfc3987_syntax builds a grammar at import: seconds on a loaded 2-core machine).
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("kubernetes_validate", "jsonschema", "rfc3987_syntax", "simulator.apiserver.protobuf_messages")


def test_starting_a_simulator_imports_no_heavy_module():
    code = ("import sys\n"
            "from simulator.server import start_simulator\n"
            "sim = start_simulator(seed=1)\n"
            "sim.store.create(sim.store.kind('v1', 'ConfigMap'), {'metadata': {'name': 'c'}}, namespace='default')\n"
            "sim.stop()\n"
            f"print([m for m in {HEAVY!r} if m in sys.modules])\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"
