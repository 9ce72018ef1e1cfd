"""``controlroom demo --via nats``: the demo's feed through a real NATS JetStream server.

The demo starts ``nats-server -js`` on a free loopback port (its store in a temporary folder) and
opens a copy of the sample site whose ``[feed]`` says ``transport = "nats"``, so the simulator,
the gateway, the history recorder and the window all use the NATS transport instead of our own
sockets, as a room with a real broker would (docs/deployment.md). Everything stops with the demo.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class BrokerError(RuntimeError):
    """The broker cannot be started (not installed, did not listen); the message says what to do."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _binary(name: str) -> str:
    path = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}",) if Path(p).exists()), None)
    if path is None:
        raise BrokerError(
            f"{name} is not installed: install the Debian package '{name}' (scripts/apt-packages.txt)"
        )
    return path


def start_nats(folder: Path, timeout_s: float = 10.0) -> tuple[subprocess.Popen[bytes], str]:
    """nats-server with JetStream on a free loopback port; returns the process and its URL."""
    port = _free_port()
    log = (folder / "nats-server.log").open("ab")
    proc = subprocess.Popen(
        [_binary("nats-server"), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(folder / "jetstream")],
        stdout=log,
        stderr=log,
        stdin=subprocess.DEVNULL,
    )
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise BrokerError(f"nats-server exited with {proc.returncode}; see {folder / 'nats-server.log'}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, f"nats://127.0.0.1:{port}"
        time.sleep(0.05)
    proc.kill()
    raise BrokerError(f"nats-server did not listen on 127.0.0.1:{port} within {timeout_s:g} s")


def site_via_nats(site_path: Path, url: str) -> Path:
    """A copy of ``site_path`` beside it (same folder, so its relative paths still hold) whose feed
    goes through NATS at ``url``."""
    text = site_path.read_text(encoding="utf-8")
    if "\n[feed]\n" not in f"\n{text}":
        text += "\n[feed]\n"
    text = f"\n{text}".replace("\n[feed]\n", '\n[feed]\ntransport = "nats"\n', 1)[1:]
    text += f'\n[feed.nats]\nurl = "{url}"\n'
    out = site_path.with_name(f"{site_path.stem}-via-nats.toml")
    out.write_text(text, encoding="utf-8")
    return out


class DemoBroker:
    """The broker the demo runs its feed through; ``stop`` ends it and removes its store."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="controlroom-demo-nats-"))
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, site_path: Path) -> Path:
        """Start nats-server; returns the site to open instead of ``site_path``."""
        self.proc, self.url = start_nats(self.folder)
        return site_via_nats(site_path, self.url)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.folder, ignore_errors=True)
