"""Vehicle glyphs are sized on screen: the same pixels from a street to the overview, smaller in a crowd."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from controlroom.core.entities import EntityStore
from controlroom.core.protocol import ENTITY_KINDS, ENTITY_STATUSES
from controlroom.render.overlays.base import rgb255
from controlroom.render.overlays.entities import (
    ALARM_SCALE,
    DOT_BELOW_PX,
    GLYPH_PX,
    KIND_COLOURS,
    MIN_DOT_PX,
    EntityOverlay,
    tilt_boost,
)
from controlroom.render.picking import world_to_display
from tests.render.conftest import render

NOW = 1_800_000_000.0
BUS = ENTITY_KINDS.index("bus")


def _store(x: list[float], y: list[float], heading: float = 0.0, status: str = "normal") -> EntityStore:
    n = len(x)
    store = EntityStore(capacity=max(n, 8))
    store.upsert(
        [f"V{i}" for i in range(n)],
        np.full(n, BUS, np.uint8),
        np.asarray(x, np.float64),
        np.asarray(y, np.float64),
        np.full(n, heading, np.float32),
        np.full(n, 8.0, np.float32),
        np.full(n, ENTITY_STATUSES.index(status), np.uint8),
        NOW,
    )
    return store


@pytest.fixture
def ground(offscreen: Any) -> Any:
    """The off-screen plotter over a dark 20 km ground (the city's clipping range, a background)."""
    import pyvista as pv

    offscreen.add_mesh(pv.Plane(i_size=20000, j_size=20000), color="#1b2330")
    return offscreen


def _look_down(p: Any, distance: float, focal: tuple[float, float] = (0.0, 0.0)) -> None:
    p.camera.focal_point = (*focal, 0.0)
    p.camera.position = (focal[0], focal[1], distance)
    p.camera.up = (0.0, 1.0, 0.0)
    p.renderer.ResetCameraClippingRange()


def _glyph_px(overlay: EntityOverlay, row: int) -> float:
    """On-screen length of a chevron, nose to the middle of its tail, projected by VTK itself."""
    quad = overlay.mesh.points[4 * row : 4 * row + 4].astype(np.float64)
    nose, tail = quad[0], (quad[1] + quad[3]) / 2
    a = np.array(world_to_display(overlay.plotter, tuple(nose)))
    b = np.array(world_to_display(overlay.plotter, tuple(tail)))
    return float(np.linalg.norm(a - b))


def _bus_pixels(image: np.ndarray) -> int:
    bus = np.array(rgb255(KIND_COLOURS["bus"]))
    return int((np.abs(image.astype(int) - bus).sum(axis=-1) < 40).sum())


def test_a_glyph_keeps_its_size_on_screen_when_the_camera_distance_changes_10x(ground: Any) -> None:
    store = _store([0.0], [0.0])
    overlay = EntityOverlay(lambda: store, lambda: NOW)
    overlay.attach(ground)
    lengths, areas = [], []
    for distance in (600.0, 6000.0):
        _look_down(ground, distance)
        assert overlay.refresh(NOW)
        assert overlay.refresh(NOW) is False  # camera still: nothing rebuilt
        lengths.append(_glyph_px(overlay, 0))
        areas.append(_bus_pixels(render(ground)))
    expected = GLYPH_PX * 1.05  # the chevron template is 1.05 units long
    assert all(expected - 2 <= n <= expected + 2 for n in lengths), lengths
    assert abs(lengths[0] - lengths[1]) < 1.0, lengths
    assert all(20 <= a <= 120 for a in areas), f"bus-coloured pixels at 600 m and 6 km: {areas}"
    overlay.detach(ground)


def test_near_and_far_glyphs_of_an_oblique_view_look_the_same_size(ground: Any) -> None:
    store = _store([0.0, 0.0], [-1500.0, 1500.0], heading=90.0)  # pointing east: across the screen
    overlay = EntityOverlay(lambda: store, lambda: NOW)
    overlay.attach(ground)
    ground.camera.focal_point = (0.0, 0.0, 0.0)
    ground.camera.position = (0.0, -4000.0, 3000.0)  # looking north, 37° down
    ground.camera.up = (0.0, 0.0, 1.0)
    ground.renderer.ResetCameraClippingRange()
    assert overlay.refresh(NOW)
    near, far = _glyph_px(overlay, 0), _glyph_px(overlay, 1)
    assert overlay.sizes[1] > overlay.sizes[0] * 1.5  # the far one is bigger in metres ...
    boost = tilt_boost(ground, overlay.anchors)
    assert 1.0 < boost[0] < boost[1] <= 1.5  # (the farther is seen more obliquely: a little larger)
    assert near / boost[0] == pytest.approx(far / boost[1], rel=0.1)  # ... and the same on screen
    assert all(GLYPH_PX <= n <= GLYPH_PX * 1.05 * 1.5 + 1 for n in (near, far)), (near, far, boost)
    overlay.detach(ground)


def _crowd(n: int, half: float, alarm_rows: tuple[int, ...] = ()) -> EntityStore:
    rng = np.random.default_rng(4)
    store = _store(list(rng.uniform(-half, half, n)), list(rng.uniform(-half, half, n)))
    for row in alarm_rows:
        store.status[row] = ENTITY_STATUSES.index("alarm")
    return store


def test_a_crowded_fleet_is_drawn_as_dots_and_units_in_alarm_keep_a_full_glyph(ground: Any) -> None:
    crowd = _crowd(20_000, 1000.0, alarm_rows=(7,))
    overlay = EntityOverlay(lambda: crowd, lambda: NOW)
    overlay.attach(ground)
    _look_down(ground, 6000.0)
    assert overlay.refresh(NOW)
    assert overlay.glyph_px < DOT_BELOW_PX and MIN_DOT_PX <= overlay.dot_px < DOT_BELOW_PX
    assert overlay.mesh.n_verts == 19_999 and overlay.mesh.n_points == 19_999 + 4  # a vertex per dot
    assert list(overlay.glyph_rows) == [7] and overlay.actor.GetProperty().GetPointSize() == overlay.dot_px
    alarm_quad = overlay.mesh.points[19_999:].astype(np.float64)  # the glyph follows the dots
    nose = np.array(world_to_display(ground, tuple(alarm_quad[0])))
    tail = np.array(world_to_display(ground, tuple((alarm_quad[1] + alarm_quad[3]) / 2)))
    assert np.linalg.norm(nose - tail) == pytest.approx(GLYPH_PX * 1.05 * ALARM_SCALE, abs=2.0)
    image = render(ground)
    covered = _bus_pixels(image) / max(1, int(np.prod(image.shape[:2])))
    assert 0.02 < covered < 0.5, covered  # the fleet shows, but the city is not carpeted
    overlay.detach(ground)


def test_zooming_in_turns_dots_back_into_glyphs_and_off_screen_entities_cost_nothing(ground: Any) -> None:
    crowd = _crowd(20_000, 1000.0)
    overlay = EntityOverlay(lambda: crowd, lambda: NOW)
    overlay.attach(ground)
    _look_down(ground, 300.0, focal=(float(crowd.x[0]), float(crowd.y[0])))
    assert overlay.refresh(NOW)
    drawn = len(overlay.glyph_rows)
    assert overlay.dot_px == 0.0 and overlay.mesh.n_verts == 0 and 0 < drawn < 500
    assert overlay.mesh.n_points == 4 * drawn and 0 in overlay.glyph_rows
    first_xy = world_to_display(ground, (float(crowd.x[0]), float(crowd.y[0]), 2.0))
    assert overlay.pick(ground, *first_xy) == "V0"
    far = int(np.argmax(np.hypot(crowd.x - crowd.x[0], crowd.y - crowd.y[0])))
    far_xy = world_to_display(ground, (float(crowd.x[far]), float(crowd.y[far]), 2.0))
    assert far not in overlay.glyph_rows and overlay.pick(ground, *far_xy) is None
    overlay.detach(ground)


def test_a_single_unit_in_alarm_is_drawn_larger(ground: Any) -> None:
    alarm = _store([0.0], [0.0], status="alarm")
    alarmed = EntityOverlay(lambda: alarm, lambda: NOW)
    alarmed.attach(ground)
    _look_down(ground, 6000.0)
    alarmed.refresh(NOW)
    assert _glyph_px(alarmed, 0) == pytest.approx(GLYPH_PX * 1.05 * ALARM_SCALE, abs=2.0)
    alarmed.detach(ground)
