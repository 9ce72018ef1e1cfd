"""``controlroom bridge`` without a broker: its user errors, and ``bridge list`` reading the status files."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from controlroom.app.cli import main
from controlroom.bridges.runtime import status_path
from controlroom.bridges.service import source_states
from controlroom.core.site import load_site
from tests.bridges.conftest import LAB, write_site

SOURCES = "".join(
    f"""[[sources]]
name = "{name}"
kind = "mqtt"
url = "mqtt://127.0.0.1:1883"
publish = "tcp://127.0.0.1:{port}"

[[sources.map]]
match = "a/+"
record = "metric"
fields = {{ value = "v" }}
static = {{ name = "a" }}

"""
    for name, port in (("river", 7741), ("air", 7742), ("noise", 7743), ("traffic", 7744))
)


def test_user_errors_are_one_line_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = write_site(tmp_path, LAB, SOURCES)
    assert main(["bridge", "--site", str(site)]) == 2
    assert "error: give --source NAME" in capsys.readouterr().err
    assert main(["bridge", "--site", str(site), "--source", "rain"]) == 2
    err = capsys.readouterr().err
    assert "error: no source named 'rain'" in err and "river, air, noise, traffic" in err


def test_list_says_live_silent_failed_or_not_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CONTROLROOM_STATE_DIR", str(tmp_path / "state"))
    site_path = write_site(tmp_path, LAB, SOURCES)
    site = load_site(site_path)
    now = time.time()
    me = os.getpid()  # a process that is certainly alive
    written = {
        "river": {"state": "live", "rate_hz": 2.5, "pid": me, "updated": now},
        "air": {"state": "live", "rate_hz": 0.0, "pid": me, "updated": now},
        "noise": {"state": "failed", "detail": "refused the login", "pid": 999_999_999, "updated": now - 60},
    }
    for name, status in written.items():
        path = status_path(site.site.name, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"published": 3, "rejected": {}, **status}))
    states = {row["source"]: row["state"] for row in source_states(site, now)}
    assert states == {"river": "live", "air": "silent", "noise": "failed", "traffic": "not running"}
    assert main(["bridge", "list", "--site", str(site_path)]) == 0
    out = capsys.readouterr().out
    assert "river" in out and "2.5 msg/s" in out and "refused the login" in out
