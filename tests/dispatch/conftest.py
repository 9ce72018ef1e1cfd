"""A real gateway process on loopback, a real sample site, real SQLite files."""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytest

from controlroom.feed.keys import create_keypair


@pytest.fixture(scope="session")
def sample_site(sample_site_factory: Callable[[str], Path]) -> Path:
    return sample_site_factory("dispatch-site")


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


def curve_site(sample_site: Path, keys: Path, name: str) -> Path:
    """The sample site with CURVE on the gateway: users olga (operator) and lee (leader); the
    ``[feed]`` allow-list folder ``keys/watchers`` admits watch-only keys (walls) through ZAP."""
    text = sample_site.read_text(encoding="utf-8")
    text = text.replace("[feed]\n", f'[feed]\nauthorized_keys = "{keys}/watchers"\n', 1)
    head, rest = text.split("[dispatch]", 1)
    tail = rest[rest.index("[layouts]") :]
    dispatch = f"""[dispatch]
server_secret_key = "{keys}/gateway.key_secret"

[[dispatch.users]]
name = "olga"
role = "operator"
public_key = "{keys}/olga.key"

[[dispatch.users]]
name = "lee"
role = "leader"
public_key = "{keys}/lee.key"

"""
    site = sample_site.parent / name
    site.write_text(head + dispatch + tail, encoding="utf-8")
    return site


@pytest.fixture
def curve(sample_site: Path, tmp_path: Path, gateway_factory) -> Iterator[tuple[GatewayProcess, Path]]:  # type: ignore[no-untyped-def]
    """A CURVE gateway and its key folder: gateway, olga, lee, stranger (admitted by nobody) and
    wall (in the feed's allow-list: passes ZAP, but no dispatch user)."""
    keys = tmp_path / "keys"
    for who in ("gateway", "olga", "lee", "stranger", "wall"):
        create_keypair(who, keys)
    (keys / "watchers").mkdir()
    shutil.copy(keys / "wall.key", keys / "watchers" / "wall.key")
    site = curve_site(sample_site, keys, f"site-curve-{tmp_path.name}.toml")
    g = gateway_factory(site, tmp_path / "gw.sqlite")
    assert g.ready["curve"] is True
    yield g, keys
    site.unlink()


@pytest.fixture
def ipc_endpoints(short_tmp: Path) -> tuple[str, str, str]:
    """Fixed gateway endpoints (a restarted gateway binds the same ones); ipc paths stay short."""
    return (f"ipc://{short_tmp}/r", f"ipc://{short_tmp}/p", f"ipc://{short_tmp}/s")


@pytest.fixture
def raw_request() -> Iterator[object]:
    """Send frames on a fresh DEALER and read one reply per frame (what a desk, or anything
    else, could send a gateway): ``raw_request(endpoint, *frames) -> [wire.Reply, ...]``."""
    import zmq

    from controlroom.dispatch import wire

    ctx = zmq.Context()

    def send(endpoint: str, *frames: bytes) -> list[wire.Reply]:
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.RCVTIMEO, 10_000)
        try:
            s.connect(endpoint)
            for f in frames:
                s.send(f)
            return [wire.decode_reply(s.recv()) for _ in frames]
        finally:
            s.close(0)

    yield send
    ctx.term()
