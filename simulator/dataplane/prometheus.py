"""A real Prometheus on 127.0.0.1 from Debian's `prometheus` package, TSDB in a temp dir (stack-notes §4).

The configuration and rule files are written from Python; `configure()` rewrites them and reloads through
`POST /-/reload` (`--web.enable-lifecycle`) only when they changed.
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from simulator.dataplane.errors import ServerStartError
from simulator.dataplane.processes import (
    LOOPBACK,
    LoopbackServer,
    check_port_free,
    find_executable,
    pick_ports,
    tail,
    wait_for_port,
)

COMPONENT = "prometheus"
INSTALL_HINT = ("Install the Debian package prometheus "
                "(apt-get install --no-install-recommends prometheus; it ships promtool too)")


class ConfigRejected(RuntimeError):
    """Prometheus refused a configuration or rule file on reload; the message is Prometheus' own."""


class PrometheusServer(LoopbackServer):
    """One Prometheus: `start()`, `configure(scrape_configs, rule_groups)`, `stop()`; a context manager.

    Files are JSON (valid YAML for Prometheus). `rule_groups` maps a file stem to its list of rule groups.
    """

    temp_prefix = "quayops-prometheus-"
    stop_grace = 20.0  # SIGTERM closes the TSDB cleanly

    def __init__(self, *, port: int = 0, scrape_interval: str = "1s", evaluation_interval: str = "1s",
                 data_dir: str | Path | None = None, retention: str = "1d") -> None:
        super().__init__(data_dir=data_dir)
        self._requested_port = port
        self.scrape_interval, self.evaluation_interval, self.retention = scrape_interval, evaluation_interval, retention
        self.port = 0
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

    def _start(self) -> None:
        """Start with no scrape targets and no rules; raises ServerStartError naming the package or the port."""
        binary = find_executable("prometheus", [Path(p) for p in [shutil.which("prometheus")] if p],
                                 component=COMPONENT, hint=INSTALL_HINT)
        port = self._requested_port or pick_ports(1)[0]
        check_port_free(port, component=COMPONENT)
        root = self._make_root()
        (root / "rules").mkdir(parents=True, exist_ok=True)
        self._write(self._render([], {}))
        log = root / "prometheus.log"
        self._spawn([binary, f"--config.file={root / 'prometheus.json'}", f"--storage.tsdb.path={root / 'data'}",
                     f"--storage.tsdb.retention.time={self.retention}", f"--web.listen-address={LOOPBACK}:{port}",
                     "--web.enable-lifecycle", "--log.level=warn"], log=log)
        wait_for_port(port, component=COMPONENT, timeout=30, alive=self._alive, log=lambda: tail(log))
        self.port = port
        self._wait_ready(log)

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

    def _forget(self) -> None:
        self.port = 0
        self._files = {}
