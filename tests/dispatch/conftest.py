"""A real gateway process on loopback, a real sample site, real SQLite files."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from controlroom.app.sample_site import ensure_sample_site


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_sample_site(tmp_path_factory.mktemp("dispatch-site"))


@dataclass
class GatewayProcess:
    proc: subprocess.Popen[bytes]
    ready: dict[str, object]
    stderr: IO[bytes]

    @property
    def endpoint(self) -> str:
        return str(self.ready["endpoint"])

    @property
    def publish_endpoint(self) -> str:
        return str(self.ready["publish_endpoint"])

    @property
    def snapshot_endpoint(self) -> str:
        return str(self.ready["snapshot_endpoint"])

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._close_pipes()

    def log(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def _close_pipes(self) -> None:
        if self.proc.stdout and not self.proc.stdout.closed:
            self.proc.stdout.close()
        if not self.stderr.closed:
            self.stderr.close()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._close_pipes()
        return int(self.proc.returncode)


def start_gateway(
    site: Path,
    db: Path | str,
    *extra: str,
    endpoints: tuple[str, str, str] | None = None,
    timeout_s: float = 30.0,
) -> GatewayProcess:
    ep, pub, snap = endpoints or ("tcp://127.0.0.1:0", "tcp://127.0.0.1:0", "tcp://127.0.0.1:0")
    cmd = [
        sys.executable,
        "-m",
        "controlroom",
        "gateway",
        "--site",
        str(site),
        "--db",
        str(db),
        "--endpoint",
        ep,
        "--publish-endpoint",
        pub,
        "--snapshot-endpoint",
        snap,
        *extra,
    ]
    if "--feed-endpoint" not in extra:
        cmd.append("--no-feed")
    err = tempfile.TemporaryFile()  # noqa: SIM115 - the GatewayProcess owns and closes it
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if sel.select(0.2):
            line = proc.stdout.readline()
            if line:
                sel.close()
                return GatewayProcess(proc, json.loads(line), err)
        if proc.poll() is not None:
            break
    sel.close()
    proc.kill()
    proc.wait(5)
    proc.stdout.close()
    err.seek(0)
    text = err.read().decode(errors="replace")
    err.close()
    raise AssertionError(f"gateway did not start: {text}")


@pytest.fixture
def gateway_factory() -> Iterator[object]:
    started: list[GatewayProcess] = []

    def make(*args: object, **kw: object) -> GatewayProcess:
        g = start_gateway(*args, **kw)  # type: ignore[arg-type]
        started.append(g)
        return g

    yield make
    for g in started:
        g.stop()
