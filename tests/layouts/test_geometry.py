"""Wall geometry: monitor frames, region cells, spans and bezel compensation, in plain numbers."""

from __future__ import annotations

import pytest

from controlroom.core.shipped import shipped_layouts
from controlroom.layouts.files import load_layout
from controlroom.layouts.geometry import (
    Rect,
    bezel_compensation,
    grid_cell_rect,
    monitor_frames,
    tiles_rectangle,
)

LAYOUTS = shipped_layouts()


def test_grid_cells_split_an_area_without_gaps() -> None:
    area = Rect(100, 0, 1920, 1080)
    assert grid_cell_rect(area, (2, 3), (0, 0), (2, 2)) == Rect(100, 0, 1280, 1080)
    right = grid_cell_rect(area, (2, 3), (1, 2), (1, 1))
    assert right == Rect(1380, 540, 640, 540)
    cells = [
        grid_cell_rect(Rect(0, 0, 1000, 700), (3, 7), (r, c), (1, 1)).px() for r in range(3) for c in range(7)
    ]
    assert sum(w * h for _, _, w, h in cells) == 1000 * 700  # rounding edges keeps neighbours seamless


def test_tiles_rectangle() -> None:
    quads = [Rect(0, 0, 1, 1), Rect(1, 0, 1, 1), Rect(0, 1, 1, 1), Rect(1, 1, 1, 1)]
    assert tiles_rectangle(quads)
    assert not tiles_rectangle(quads[:3])  # an L shape
    assert not tiles_rectangle([Rect(0, 0, 2, 1), Rect(1, 0, 2, 1)])  # overlap


def test_wall_frames_include_bezels() -> None:
    spec = load_layout(LAYOUTS / "wall-3x2.toml")
    frames = monitor_frames(spec)
    outer_w, outer_h = 1209.6 + 3.5, 680.4 + 3.5
    assert frames["A1"].outer == Rect(0, 0, outer_w, outer_h)
    assert frames["B3"].outer.x == pytest.approx(2 * outer_w)
    assert frames["B3"].outer.y == pytest.approx(outer_h)
    assert frames["B3"].active.x == pytest.approx(2 * outer_w + 1.75)
    # neighbouring active areas leave twice the per-edge bezel between them
    assert frames["A2"].active.x - frames["A1"].active.right == pytest.approx(3.5)


def test_bezel_compensation_for_a_2x2_span() -> None:
    spec = load_layout(LAYOUTS / "wall-3x2.toml")
    frames = monitor_frames(spec)
    screens = {
        "A1": Rect(0, 0, 1920, 1080),
        "A2": Rect(1920, 0, 1920, 1080),
        "B1": Rect(0, 1080, 1920, 1080),
        "B2": Rect(1920, 1080, 1920, 1080),
    }
    comp = bezel_compensation(["A1", "A2", "B1", "B2"], frames, screens)
    gap_x = 3.5 * 1920 / 1209.6  # mm × px/mm
    gap_y = 3.5 * 1080 / 680.4
    assert comp.canvas_size == pytest.approx((3840 + gap_x, 2160 + gap_y))
    (gx,), (gy,) = comp.gaps_px
    assert gx == pytest.approx(gap_x, abs=1e-3) and gy == pytest.approx(gap_y, abs=1e-3)
    tile = {t.monitor: t for t in comp.tiles}
    assert tile["B2"].window_rect == Rect(1920, 1080, 1920, 1080)
    assert tile["B2"].canvas_rect.x == pytest.approx(1920 + gap_x)
    assert tile["B2"].canvas_rect.w == pytest.approx(1920)
    # the first pixel right of the vertical bezel is the canvas pixel just past the hidden strip
    assert comp.window_to_canvas(1920, 10) == pytest.approx((1920 + gap_x, 10))
    assert comp.window_to_canvas(1919, 10) == pytest.approx((1919, 10))
    with pytest.raises(ValueError, match="outside every tile"):
        comp.window_to_canvas(5000, 10)


def test_explicit_geometry_monitors() -> None:
    spec = load_layout(LAYOUTS / "briefing-laptop.toml")
    frames = monitor_frames(spec)
    assert frames["laptop"].active == Rect(0, 0, 309.4, 174.0)
