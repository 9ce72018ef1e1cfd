"""History fixtures: the sample site on free loopback ports, and real processes started from it."""

from __future__ import annotations

import json
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def sample_folder(sample_site_factory: Callable[[str], Path]) -> Path:
    return sample_site_factory("history-site").parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def site_on_free_ports(folder: Path, name: str, history: str = "") -> Path:
    """A copy of the sample site file (same folder, so its data paths hold) on unused ports."""
    text = (folder / "site.toml").read_text()
    text = re.sub(r'"tcp://127\.0\.0\.1:77\d\d"', lambda _: f'"tcp://127.0.0.1:{free_port()}"', text)
    hist = (
        history or f'[history]\nendpoint = "tcp://127.0.0.1:{free_port()}"\nkeyframe_s = 2\nflush_s = 0.5\n'
    )
    path = folder / f"{name}.toml"
    path.write_text(text + "\n" + hist)
    return path


@dataclass
class Proc:
    proc: subprocess.Popen[bytes]
    first_line: dict[str, object]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        return int(self.proc.returncode)

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        if self.proc.stdout:
            self.proc.stdout.close()


def spawn(args: list[str], *, wait_line: bool = True, timeout_s: float = 40.0) -> Proc:
    cmd = [sys.executable, "-m", "controlroom", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    if not wait_line:
        return Proc(proc, {})
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            if sel.select(0.2):
                line = proc.stdout.readline()
                if line.strip().startswith(b"{"):
                    return Proc(proc, json.loads(line))
            if proc.poll() is not None:
                break
    finally:
        sel.close()
    proc.kill()
    proc.wait(5)
    raise AssertionError(f"{' '.join(args[:2])} did not start (exit {proc.returncode})")


@pytest.fixture
def processes() -> Iterator[Callable[..., Proc]]:
    started: list[Proc] = []

    def start(*args: str, **kw: object) -> Proc:
        p = spawn(list(args), **kw)  # type: ignore[arg-type]
        started.append(p)
        return p

    yield start
    for p in reversed(started):
        p.stop()
