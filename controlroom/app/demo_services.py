"""The demo's background services: the live feed simulator (and, as they exist, the dispatch
gateway and the local video server), each a child process started with the demo and stopped with
it, so the demo is one command and leaves nothing running.

Child processes, not threads: the simulator's encoding must not compete with the GUI thread for
the interpreter lock, and a crash in a service cannot take the window down.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0


@dataclass
class DemoServices:
    site_path: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start_feed_simulator(self, entities: int = 2000, hz: float = 2.0) -> None:
        self._spawn(
            "feed-sim",
            ["feed", "sim", "--site", str(self.site_path), "--entities", str(entities), "--hz", str(hz)],
        )

    def start_video_server(self) -> None:
        """Demo camera clips over local HTTP, at the port the site's camera URLs name."""
        self._spawn("video-server", ["cameras", "serve", "--site", str(self.site_path)])

    def start_gateway(self) -> None:
        """The dispatch gateway; it subscribes to the simulator's feed and takes over its incidents
        (created by id, idempotently), so the demo's incidents can be dispatched and closed."""
        self._spawn("dispatch-gateway", ["gateway", "--site", str(self.site_path)])

    def start_history_recorder(self) -> None:
        """The history recorder: the feed and the gateway into Parquet files, state at any instant
        answered on the site's ``[history] endpoint`` (``controlroom history at``)."""
        self._spawn("history-recorder", ["history", "record", "--site", str(self.site_path)])

    def start_all(self) -> DemoServices:
        """Every service the demo runs; each issue's service adds its own start call here."""
        self.start_feed_simulator()
        self.start_video_server()
        self.start_gateway()
        self.start_history_recorder()
        return self

    def _spawn(self, name: str, args: list[str]) -> None:
        cmd = [sys.executable, "-m", "controlroom", *args]
        log.info("demo: starting %s: %s", name, " ".join(cmd))
        self.processes[name] = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)

    def failed(self) -> dict[str, int]:
        """Services that have exited, with their exit codes (shown to the operator)."""
        return {n: p.returncode for n, p in self.processes.items() if p.poll() is not None}

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                proc.terminate()
        for name, proc in self.processes.items():
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                log.warning("demo: %s did not stop in %.0f s; killing it", name, STOP_TIMEOUT_S)
                proc.kill()
                proc.wait()
        self.processes.clear()
