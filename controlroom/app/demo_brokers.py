"""``controlroom demo --via nats|mqtt``: the demo's feed through a real NATS JetStream server or mosquitto.

The demo starts ``nats-server -js`` or ``mosquitto`` on a free loopback port (its files in a
temporary folder) and opens a copy of the sample site whose ``[feed]`` names that transport, so
the simulator, the gateway, the history recorder and the window all go through the broker
instead of our own sockets, as a room with a real broker would (docs/deployment.md). Everything
stops with the demo.
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
    _listening(proc, "nats-server", port, folder / "nats-server.log", timeout_s)
    return proc, f"nats://127.0.0.1:{port}"


def start_mosquitto(folder: Path, timeout_s: float = 10.0) -> tuple[subprocess.Popen[bytes], str]:
    """mosquitto on a free loopback port (anonymous, no persistence); returns the process and its URL."""
    import os
    import pwd

    port = _free_port()
    conf = folder / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        f"max_queued_messages 0\nuser {pwd.getpwuid(os.getuid()).pw_name}\n"
    )
    log = (folder / "mosquitto.log").open("ab")
    argv = [_binary("mosquitto"), "-c", str(conf)]
    proc = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    _listening(proc, "mosquitto", port, folder / "mosquitto.log", timeout_s)
    return proc, f"mqtt://127.0.0.1:{port}"


def _listening(
    proc: subprocess.Popen[bytes], name: str, port: int, log: Path, timeout_s: float
) -> subprocess.Popen[bytes]:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise BrokerError(f"{name} exited with {proc.returncode}; see {log}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.05)
    proc.kill()
    raise BrokerError(f"{name} did not listen on 127.0.0.1:{port} within {timeout_s:g} s")


def site_via(site_path: Path, transport: str, url: str) -> Path:
    """A copy of ``site_path`` beside it (same folder, so its relative paths still hold) whose feed
    goes through ``transport`` ("nats" or "mqtt") at ``url``."""
    text = site_path.read_text(encoding="utf-8")
    if "\n[feed]\n" not in f"\n{text}":
        text += "\n[feed]\n"
    text = f"\n{text}".replace("\n[feed]\n", f'\n[feed]\ntransport = "{transport}"\n', 1)[1:]
    text += f'\n[feed.{transport}]\nurl = "{url}"\n'
    out = site_path.with_name(f"{site_path.stem}-via-{transport}.toml")
    out.write_text(text, encoding="utf-8")
    return out


def site_via_nats(site_path: Path, url: str) -> Path:
    return site_via(site_path, "nats", url)


class DemoBroker:
    """The broker the demo runs its feed through; ``stop`` ends it and removes its store."""

    def __init__(self, transport: str = "nats") -> None:
        self.transport = transport
        self.folder = Path(tempfile.mkdtemp(prefix=f"controlroom-demo-{transport}-"))
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, site_path: Path) -> Path:
        """Start the broker; returns the site to open instead of ``site_path``."""
        start = start_nats if self.transport == "nats" else start_mosquitto
        self.proc, self.url = start(self.folder)
        return site_via(site_path, self.transport, self.url)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.folder, ignore_errors=True)
