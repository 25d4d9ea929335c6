"""`PodRunner`: the backup package's CommandRunner in the database pod through pods/exec, as the guide's
`oc exec` (11.1.3, 11.2.3); `stage_file` copies a file into the pod's /tmp as the guide's `oc cp` does."""

from __future__ import annotations

import contextlib
import shlex
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from quayops.backup.postgres import CommandResult, DatabaseCommandError
from quayops.kube.execution import exec_in_pod


class PodRunner:
    """Runs commands in `pod` (its `container`, or the only one) with `exec_in_pod`; output streams through."""

    def __init__(self, cluster, namespace: str, pod: str, *, container: str | None = None,
                 timeout: float | None = None) -> None:
        self.cluster, self.namespace, self.pod = cluster, namespace, pod
        self.container, self.timeout = container, timeout

    def run(self, argv: Sequence[str], *, stdin: IO[bytes] | None = None,
            stdout: IO[bytes] | None = None) -> CommandResult:
        code, stderr = exec_in_pod(self.cluster, self.namespace, self.pod, argv, container=self.container,
                                   stdin=stdin, stdout=stdout, timeout=self.timeout)
        return CommandResult(code, stderr)

    @contextlib.contextmanager
    def stage_file(self, path: Path) -> Iterator[str]:
        """`path` copied to /tmp in the pod for the block (`cat >` through exec), removed afterwards."""
        remote = f"/tmp/quayops-{uuid.uuid4().hex[:12]}-{Path(path).name}"
        with open(path, "rb") as source:
            result = self.run(["sh", "-c", f"cat > {shlex.quote(remote)}"], stdin=source)
        if result.exit_code != 0:
            raise DatabaseCommandError(f"copying {Path(path).name} into pod {self.namespace}/{self.pod} failed "
                                       f"(exit {result.exit_code}): {result.stderr.strip()[-500:]}",
                                       hint="Nothing was restored; check the pod's free space in /tmp.")
        try:
            yield remote
        finally:
            self.run(["rm", "-f", remote])
