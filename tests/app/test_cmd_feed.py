"""``controlroom feed …`` and ``controlroom keys new`` as an installer or operator runs them."""

from __future__ import annotations

import argparse
import json
import socket
import stat
import threading
import time
from pathlib import Path

import pytest

from controlroom.app.commands import feed as cmd_feed
from controlroom.app.commands import keys as cmd_keys
from tests.feed.conftest import write_huacheng_site


@pytest.fixture
def huacheng_site(tmp_path: Path, shared_data: Path) -> Path:
    return write_huacheng_site(tmp_path, shared_data)


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="controlroom")
    sub = parser.add_subparsers(dest="command")
    cmd_feed.register(sub)
    cmd_keys.register(sub)
    args = parser.parse_args(argv)
    return int(args.handler(args))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_feed_stats_against_running_simulator(
    huacheng_site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pub, snap = f"tcp://127.0.0.1:{_free_port()}", f"tcp://127.0.0.1:{_free_port()}"
    sim_argv = [
        "feed",
        "sim",
        "--site",
        str(huacheng_site),
        "--entities",
        "300",
        "--hz",
        "5",
        "--seconds",
        "2.2",
        "--endpoint",
        pub,
        "--snapshot-endpoint",
        snap,
    ]
    codes: list[int] = []
    sim = threading.Thread(target=lambda: codes.append(_run(sim_argv)))
    sim.start()
    try:
        time.sleep(0.8)  # the simulator reads the roads and binds
        assert (
            _run(
                ["feed", "stats", "--endpoint", pub, "--snapshot-endpoint", snap, "--seconds", "1", "--json"]
            )
            == 0
        )
    finally:
        sim.join()
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"received", "applied", "rejected", "entities", "gaps", "duplicates"} <= out.keys()
    assert out["entities"] == 300 and out["received"] > 0 and out["applied"] == out["received"]
    assert out["rejected"] == {} and out["gaps"] == 0 and out["duplicates"] == 0
    assert codes == [0]


def test_keys_new_writes_a_private_secret(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["keys", "new", "wall-1", "--dir", str(tmp_path)]) == 0
    assert stat.S_IMODE((tmp_path / "wall-1.key_secret").stat().st_mode) == 0o600
    assert (tmp_path / "wall-1.key").is_file()
    assert "wall-1.key_secret" in capsys.readouterr().out
    assert _run(["keys", "new", "wall-1", "--dir", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_feed_commands_report_bad_input(tmp_path: Path, minimal_site: Path, capsys) -> None:
    assert _run(["feed", "replay", str(tmp_path / "missing.crf"), "--bind", "tcp://127.0.0.1:0"]) == 2
    assert "no such recording" in capsys.readouterr().err
    junk = tmp_path / "junk.crf"
    junk.write_bytes(b"junk")
    assert _run(["feed", "replay", str(junk), "--bind", "tcp://127.0.0.1:0", "--wait", "0"]) == 2
    assert "not a controlroom feed recording" in capsys.readouterr().err
    assert (
        _run(["feed", "record", "--endpoint", "tcp://10.9.8.7:7710", "--out", str(tmp_path / "o.crf")]) == 2
    )
    assert "refusing plain-text" in capsys.readouterr().err
    assert _run(["feed", "sim", "--site", str(tmp_path / "nope"), "--seconds", "0"]) == 2
    assert "no such file" in capsys.readouterr().err
    assert _run(["feed", "sim", "--site", str(minimal_site), "--hz", "0"]) == 2
