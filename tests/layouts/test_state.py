"""Saved wall state: versioned JSON, trusted only for the same layout file and the same screens."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from controlroom.core.shipped import shipped_layouts
from controlroom.layouts.files import load_layout
from controlroom.layouts.geometry import Rect
from controlroom.layouts.placement import ScreenInfo, assign_screens
from controlroom.layouts.state import STATE_VERSION, restore_state, save_state, state_path

LAYOUTS = shipped_layouts()
SCREENS = [ScreenInfo("DP-1", Rect(0, 0, 1920, 1080)), ScreenInfo("DP-2", Rect(1920, 0, 1920, 1080))]


def test_round_trip_in_the_config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTROLROOM_CONFIG_DIR", str(tmp_path))
    spec = load_layout(LAYOUTS / "operator-desk.toml")
    assert restore_state(spec, SCREENS).reason == "no saved state"
    swapped = assign_screens(spec, SCREENS, overrides={"left": "DP-2", "right": "DP-1"})
    path = save_state(spec, "dispatch", swapped, SCREENS)
    assert path == tmp_path / "wall-state" / "operator-desk.json"
    assert json.loads(path.read_text())["version"] == STATE_VERSION
    got = restore_state(spec, SCREENS)
    assert got.restored and got.preset == "dispatch"
    assert got.overrides == {"left": "DP-2", "right": "DP-1"}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda d: d.update(version=99), "state version 99"),
        (lambda d: d.update(layout_digest="x"), "different version of the layout file"),
        (lambda d: d.update(preset="gone"), "preset 'gone' no longer in the layout"),
        (lambda d: d["screens"][0].update(geometry=[0, 0, 1280, 720]), "screens changed"),
        (lambda d: d.update(assignment={"left": 3}), "assignment does not fit"),
    ],
)
def test_invalid_state_falls_back_to_the_layout_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: object, reason: str
) -> None:
    monkeypatch.setenv("CONTROLROOM_CONFIG_DIR", str(tmp_path))
    spec = load_layout(LAYOUTS / "operator-desk.toml")
    path = save_state(spec, "dispatch", assign_screens(spec, SCREENS), SCREENS)
    data = json.loads(path.read_text())
    change(data)  # type: ignore[operator]
    path.write_text(json.dumps(data))
    got = restore_state(spec, SCREENS)
    assert not got.restored and got.preset == "normal" and got.overrides == {}
    assert reason in got.reason


def test_corrupt_file_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTROLROOM_CONFIG_DIR", str(tmp_path))
    spec = load_layout(LAYOUTS / "single.toml")
    state_path("single").parent.mkdir(parents=True)
    state_path("single").write_text("{not json")
    got = restore_state(spec, SCREENS)
    assert not got.restored and "unreadable" in got.reason
