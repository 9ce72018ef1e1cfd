"""``controlroom layout check`` and ``layout preview``, run as an installer would (a real process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from controlroom.core.shipped import shipped_layouts

SHIPPED = sorted(str(p) for p in (shipped_layouts()).glob("*.toml"))
# the sub-command module on its own, so these tests do not depend on the rest of the CLI
DRIVER = (
    "import argparse, sys\n"
    "from controlroom.app.commands import layout as cmd_layout\n"
    "p = argparse.ArgumentParser(prog='controlroom'); cmd_layout.register(p.add_subparsers())\n"
    "a = p.parse_args(sys.argv[1:]); sys.exit(a.handler(a))\n"
)


def layout_cmd(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return subprocess.run(
        [sys.executable, "-c", DRIVER, "layout", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_check_passes_the_shipped_layouts() -> None:
    result = layout_cmd("check", *SHIPPED)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("OK   ") == len(SHIPPED)


def test_check_lists_every_problem_of_every_file_and_fails(tmp_path: Path) -> None:
    good = (shipped_layouts() / "operator-desk.toml").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(
        good.replace('upper = "video_grid"', 'upper = "videos"').replace("screen = { order = 1 }\n", "")
    )
    old = tmp_path / "old.toml"
    old.write_text(good.replace("schema = 1", "schema = 0"))
    result = layout_cmd("check", str(bad), SHIPPED[0], str(old), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    by_file = {Path(f["file"]).name: f for f in report["files"]}
    assert {(i["key"], i["found"]) for i in by_file["bad.toml"]["issues"]} == {
        ("monitors.right.screen", "(missing)"),
        ("presets.normal.panels.upper", "'videos'"),
    }
    assert by_file["old.toml"]["issues"][0]["expected"].startswith("schema = 1")
    assert by_file[Path(SHIPPED[0]).name]["ok"] is True
    text = layout_cmd("check", str(bad))
    assert "FAIL" in text.stdout and "error: presets.normal.panels.upper: found 'videos'" in text.stdout


def test_preview_draws_the_wall_headless(tmp_path: Path) -> None:
    out = tmp_path / "wall.png"
    result = layout_cmd(
        "preview", str(shipped_layouts() / "wall-3x2.toml"), "--out", str(out), "--preset", "flood"
    )
    assert result.returncode == 0, result.stderr
    assert "preset flood" in result.stdout
    from PySide6.QtGui import QImage

    image = QImage(str(out))
    assert image.width() == 1600 and image.height() > 500
    # the 3D map's blue fills the span and the flood preset's amber (alarms) the top-right monitor
    blue, amber = image.pixelColor(100, 380), image.pixelColor(1100, 380)
    assert blue.blue() > 150 and blue.red() < 80, blue.name()
    assert amber.red() > 150 and amber.green() > 100 and amber.blue() < 80, amber.name()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--preset", "storm"], 2, "no preset 'storm'; expected one of: normal, flood, major-event"),
        (["--width", "10"], 2, "expected 400..8000 pixels"),
    ],
)
def test_preview_rejects_bad_arguments(tmp_path: Path, args: list[str], code: int, message: str) -> None:
    result = layout_cmd(
        "preview", str(shipped_layouts() / "wall-3x2.toml"), "--out", str(tmp_path / "x.png"), *args
    )
    assert result.returncode == code and message in result.stderr


def test_preview_of_an_invalid_layout_reports_its_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("schema = 3\n")
    result = layout_cmd("preview", str(bad), "--out", str(tmp_path / "x.png"))
    assert result.returncode == 1 and "schema: found 3" in result.stderr
    assert not (tmp_path / "x.png").exists()
