"""Solving layouts against screens: matching rules, spans, and the fallback when screens are missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlroom.core.shipped import shipped_layouts
from controlroom.layouts.files import load_layout
from controlroom.layouts.geometry import Rect
from controlroom.layouts.placement import ScreenInfo, WindowPlan, assign_screens, plan_wall
from controlroom.layouts.spec import LayoutSpec

LAYOUTS = shipped_layouts()


def wall_screens(cols: int = 3, rows: int = 2, skip: tuple[str, ...] = ()) -> list[ScreenInfo]:
    out = []
    for r in range(rows):
        for c in range(cols):
            name = f"{'AB'[r]}{c + 1}"
            if name not in skip:
                out.append(ScreenInfo(f"DP-{name}", Rect(c * 1920, r * 1080, 1920, 1080), (1209.6, 680.4)))
    return out


@pytest.fixture
def wall() -> LayoutSpec:
    return load_layout(LAYOUTS / "wall-3x2.toml")


@pytest.fixture
def named_wall(tmp_path: Path) -> LayoutSpec:
    """wall-3x2 matched by screen name, so a dead monitor cannot shift the others' order."""
    text = (LAYOUTS / "wall-3x2.toml").read_text()
    for i, name in enumerate(["A1", "A2", "A3", "B1", "B2", "B3"]):
        text = text.replace(f"screen = {{ order = {i} }}", f'screen = {{ name = "DP-{name}" }}')
    (tmp_path / "wall.toml").write_text(text)
    return load_layout(tmp_path / "wall.toml")


Placed = dict[str, list[tuple[str, tuple[int, int, int, int]]]]


def panels_by_window(windows: tuple[WindowPlan, ...]) -> Placed:
    return {w.key: [(s.panel, s.rect.px()) for s in w.slots] for w in windows}


def test_full_wall_spans_the_map_and_fills_the_side_column(wall: LayoutSpec) -> None:
    plan = plan_wall(wall, wall_screens())
    assert not plan.degraded
    got = {w.key: (w.rect.px(), w.screens) for w in plan.windows}
    assert got == {
        "map": ((0, 0, 3840, 2160), ("DP-A1", "DP-A2", "DP-B1", "DP-B2")),
        "A3": ((3840, 0, 1920, 1080), ("DP-A3",)),
        "B3": ((3840, 1080, 1920, 1080), ("DP-B3",)),
    }
    assert panels_by_window(plan.windows) == {
        "map": [("map3d", (0, 0, 3840, 2160))],
        "A3": [("status", (0, 0, 1920, 135)), ("kpi", (0, 135, 1920, 945))],  # title and clock on top
        "B3": [("video_grid", (0, 0, 1920, 1080))],
    }
    assert plan.window_for_region("map").bezel is not None


def test_presets_change_panels_not_geometry(wall: LayoutSpec) -> None:
    plan = plan_wall(wall, wall_screens(), preset="flood")
    assert plan.preset == "flood"
    assert [s.panel for s in plan.window_for_region("vitals").slots] == ["status", "alarms"]
    assert [s.panel for s in plan.window_for_region("map").slots] == ["map3d"]


def test_match_by_name_geometry_and_primary(tmp_path: Path) -> None:
    text = (LAYOUTS / "operator-desk.toml").read_text()
    text = text.replace("screen = { order = 0 }", 'screen = { name = "HDMI-1" }')
    text = text.replace("screen = { order = 1 }", "screen = { geometry = [0, 0, 1920, 1080] }")
    (tmp_path / "desk.toml").write_text(text)
    spec = load_layout(tmp_path / "desk.toml")
    screens = [ScreenInfo("HDMI-1", Rect(1920, 0, 1920, 1080)), ScreenInfo("DP-3", Rect(0, 0, 1920, 1080))]
    got = assign_screens(spec, screens)
    assert {m: s.name for m, s in got.screens.items()} == {"left": "HDMI-1", "right": "DP-3"}
    assert not got.substituted and not got.missing
    laptop = load_layout(LAYOUTS / "briefing-laptop.toml")
    primary = assign_screens(
        laptop, [ScreenInfo("a", Rect(0, 0, 10, 10)), ScreenInfo("b", Rect(10, 0, 10, 10), None, True)]
    )
    assert primary.screens["laptop"].name == "b"


def test_unmatched_names_take_spare_screens_in_wall_order(tmp_path: Path) -> None:
    text = (LAYOUTS / "operator-desk.toml").read_text()
    text = text.replace("{ order = 0 }", '{ name = "DP-1" }').replace("{ order = 1 }", '{ name = "DP-2" }')
    (tmp_path / "desk.toml").write_text(text)
    spec = load_layout(tmp_path / "desk.toml")
    screens = [ScreenInfo("eDP-1", Rect(1920, 0, 1920, 1080)), ScreenInfo("HDMI-2", Rect(0, 0, 1920, 1080))]
    plan = plan_wall(spec, screens)
    assert plan.assignment.substituted == {"left": "HDMI-2", "right": "eDP-1"}
    assert plan.degraded


def test_missing_monitor_moves_its_panel_and_keeps_the_span(named_wall: LayoutSpec) -> None:
    plan = plan_wall(named_wall, wall_screens(skip=("B3",)))
    assert plan.assignment.missing == ("B3",)
    assert plan.moved == (("cameras", "video_grid", "A3"),)
    assert panels_by_window(plan.windows)["A3"] == [
        ("status", (0, 0, 960, 135)),
        ("kpi", (0, 135, 960, 945)),
        ("video_grid", (960, 0, 960, 1080)),
    ]
    assert plan.window_for_region("map").rect.px() == (0, 0, 3840, 2160)
    moved = next(s for s in plan.window_for_region("cameras").slots if s.panel == "video_grid")
    assert moved.moved_from == "B3"


def test_missing_bottom_row_shrinks_the_span(wall: LayoutSpec) -> None:
    plan = plan_wall(wall, wall_screens(rows=1))
    assert plan.assignment.missing == ("B1", "B2", "B3")
    assert plan.shrunk_spans == (("map", ("B1", "B2")),)
    span = plan.window_for_region("map")
    assert span.rect.px() == (0, 0, 3840, 1080) and span.monitors == ("A1", "A2")
    assert span.bezel is not None and len(span.bezel.tiles) == 2


def test_one_screen_gets_everything_with_the_map_keeping_two_thirds(wall: LayoutSpec) -> None:
    plan = plan_wall(wall, [ScreenInfo("eDP-1", Rect(0, 0, 1920, 1080))])
    assert len(plan.windows) == 1
    assert panels_by_window(plan.windows)["map"] == [
        ("map3d", (0, 0, 1280, 1080)),
        ("status", (1280, 0, 640, 135)),  # a moved strip stays a thin row, never a third of the screen
        ("kpi", (1280, 135, 640, 473)),
        ("video_grid", (1280, 608, 640, 472)),
    ]
    assert plan.window_for_region("map").bezel is None


def test_free_monitor_hosts_displaced_panels(named_wall: LayoutSpec) -> None:
    # a dead monitor inside the span frees its neighbours in the span for the lost panels
    plan = plan_wall(named_wall, wall_screens(skip=("B1", "A3")))
    assert plan.assignment.missing == ("A3", "B1") and not plan.assignment.substituted
    assert plan.shrunk_spans == (("map", ("B1", "B2")),)
    assert plan.window_for_region("map").monitors == ("A1", "A2")
    assert plan.moved == (("status", "status", "B2"), ("vitals", "kpi", "B2"))
    assert panels_by_window(plan.windows)["B2"] == [
        ("status", (0, 0, 1920, 135)),
        ("kpi", (0, 135, 1920, 945)),
    ]


def test_no_screens_at_all(wall: LayoutSpec) -> None:
    plan = plan_wall(wall, [])
    assert plan.windows == () and set(plan.unplaced) == {"map", "status", "vitals", "cameras"}


def test_saved_overrides_win_over_the_file(wall: LayoutSpec) -> None:
    screens = wall_screens()
    got = assign_screens(wall, screens, overrides={"A1": "DP-A2", "A2": "DP-A1", "X9": "DP-A3"})
    assert got.screens["A1"].name == "DP-A2" and got.screens["A2"].name == "DP-A1"
