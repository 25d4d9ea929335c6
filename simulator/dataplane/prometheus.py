"""A real Prometheus on 127.0.0.1 from Debian's `prometheus` package, TSDB in a temp dir (stack-notes §4).

The configuration and rule files are written from Python; `configure()` rewrites them and reloads through
`POST /-/reload` (`--web.enable-lifecycle`) only when they changed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Self

from simulator.dataplane.errors import ServerStartError
from simulator.dataplane.processes import (
    LOOPBACK,
    check_port_free,
    find_executable,
    pick_ports,
    register_stop,
    tail,
    terminate,
    unregister_stop,
    wait_for_port,
)

COMPONENT = "prometheus"
INSTALL_HINT = ("Install the Debian package prometheus "
                "(apt-get install --no-install-recommends prometheus; it ships promtool too)")


class ConfigRejected(RuntimeError):
    """Prometheus refused a configuration or rule file on reload; the message is Prometheus' own."""


class PrometheusServer:
    """One Prometheus: `start()`, `configure(scrape_configs, rule_groups)`, `stop()`; a context manager.

    Files are JSON (valid YAML for Prometheus). `rule_groups` maps a file stem to its list of rule groups.
    """

    def __init__(self, *, port: int = 0, scrape_interval: str = "1s", evaluation_interval: str = "1s",
                 data_dir: str | Path | None = None, retention: str = "1d") -> None:
        self._requested_port = port
        self.scrape_interval, self.evaluation_interval, self.retention = scrape_interval, evaluation_interval, retention
        self._keep = data_dir is not None
        self._root = Path(data_dir) if data_dir is not None else None
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._files: dict[str, str] = {}

    @staticmethod
    def available() -> bool:
        """Whether the prometheus binary is installed; callers skip cleanly when it is not."""
        return shutil.which("prometheus") is not None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def root(self) -> Path:
        assert self._root is not None, "not started"
        return self._root

    def start(self) -> Self:
        """Start with no scrape targets and no rules; raises ServerStartError naming the package or the port."""
        binary = find_executable("prometheus", [Path(p) for p in [shutil.which("prometheus")] if p],
                                 component=COMPONENT, hint=INSTALL_HINT)
        port = self._requested_port or pick_ports(1)[0]
        check_port_free(port, component=COMPONENT)
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="quayops-prometheus-"))
        (self._root / "rules").mkdir(parents=True, exist_ok=True)
        self._write(self._render([], {}))
        log = self._root / "prometheus.log"
        with log.open("ab") as sink:
            self._proc = subprocess.Popen(
                [str(binary), f"--config.file={self._root / 'prometheus.json'}",
                 f"--storage.tsdb.path={self._root / 'data'}", f"--storage.tsdb.retention.time={self.retention}",
                 f"--web.listen-address={LOOPBACK}:{port}", "--web.enable-lifecycle", "--log.level=warn"],
                stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT, cwd=self._root,
                start_new_session=True)
        register_stop(self.stop)
        try:
            wait_for_port(port, component=COMPONENT, timeout=30, alive=self._alive, log=lambda: tail(log))
            self.port = port
            self._wait_ready(log)
        except BaseException:
            self.stop()
            raise
        return self

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _wait_ready(self, log: Path) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline or not self._alive():
                raise ServerStartError(f"not ready on {self.url}; log tail:\n{tail(log)}", component=COMPONENT,
                                       port=self.port)
            time.sleep(0.05)

    def _render(self, scrape_configs: Sequence[Mapping[str, Any]],
                rule_groups: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, str]:
        """File name under the root → its text: the main config plus one rule file per entry."""
        config = {
            "global": {"scrape_interval": self.scrape_interval, "evaluation_interval": self.evaluation_interval},
            "rule_files": [str(self.root / "rules" / "*.json")],
            "scrape_configs": list(scrape_configs),
        }
        files = {"prometheus.json": json.dumps(config, indent=2, sort_keys=True)}
        for stem, groups in sorted(rule_groups.items()):
            files[f"rules/{stem}.json"] = json.dumps({"groups": list(groups)}, indent=2, sort_keys=True)
        return files

    def _write(self, files: dict[str, str]) -> None:
        for stale in set(self._files) - set(files):
            (self.root / stale).unlink(missing_ok=True)
        for name, text in files.items():
            if self._files.get(name) != text:
                (self.root / name).write_text(text)
        self._files = files

    def configure(self, scrape_configs: Sequence[Mapping[str, Any]],
                  rule_groups: Mapping[str, Sequence[Mapping[str, Any]]] | None = None) -> bool:
        """Write the scrape configs and rule files and reload; returns False when nothing changed.

        Raises ConfigRejected with Prometheus' log when the reload fails; the previous files are put back,
        as Prometheus itself keeps running the previous configuration.
        """
        files, previous = self._render(scrape_configs, rule_groups or {}), self._files
        if files == previous:
            return False
        self._write(files)
        try:
            self.reload()
        except ConfigRejected:
            self._write(previous)
            raise
        return True

    def reload(self) -> None:
        """POST /-/reload; Prometheus answers 500 with its error when a file does not load."""
        request = urllib.request.Request(f"{self.url}/-/reload", method="POST")
        try:
            urllib.request.urlopen(request, timeout=30).close()
        except urllib.error.HTTPError as e:
            raise ConfigRejected(f"{COMPONENT} on {self.url} rejected its configuration: "
                                 f"{e.read().decode(errors='replace').strip()}; log tail:\n"
                                 f"{tail(self.root / 'prometheus.log', lines=3)}") from e

    def stop(self) -> None:
        """SIGTERM (TSDB closes cleanly), SIGKILL after 20 s; the temp dir goes unless `data_dir` was given."""
        unregister_stop(self.stop)
        if self._proc is not None:
            terminate(self._proc, grace=20)
            self._proc = None
        self.port = 0
        self._files = {}
        if self._root is not None and not self._keep:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
