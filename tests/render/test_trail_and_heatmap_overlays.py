"""Trails show where the nearby moving units came from; the heatmap glows where the fleet is dense."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from controlroom.core.entities import EntityStore
from controlroom.core.protocol import ENTITY_KINDS
from controlroom.render.overlays import trails as trails_module
from controlroom.render.overlays.heatmap import MAX_ALPHA, UPDATE_PERIOD_S, HeatmapOverlay
from controlroom.render.overlays.trails import TrailOverlay
from controlroom.render.picking import world_to_display
from tests.render.conftest import pixel_at, render

NOW = 1_800_000_000.0
BUS = ENTITY_KINDS.index("bus")


def _move(store: EntityStore, ids: list[str], x: np.ndarray, y: np.ndarray, t: float) -> None:
    n = len(ids)
    store.upsert(ids, np.full(n, BUS, np.uint8), x, y, np.full(n, 90.0, np.float32),
                 np.full(n, 8.0, np.float32), np.zeros(n, np.uint8), t)  # fmt: skip


@pytest.fixture
def ground(offscreen: Any) -> Any:
    import pyvista as pv

    offscreen.add_mesh(pv.Plane(i_size=20000, j_size=20000), color="#1b2330")
    offscreen.camera.focal_point = (0.0, 0.0, 0.0)
    offscreen.camera.position = (0.0, 0.0, 800.0)
    offscreen.camera.up = (0.0, 1.0, 0.0)
    offscreen.renderer.ResetCameraClippingRange()
    return offscreen


def test_a_moving_bus_leaves_a_fading_trail_and_a_parked_one_none(ground: Any) -> None:
    store = EntityStore(trail_points=20)
    ids = ["MOVING", "PARKED"]
    for k in range(20):  # the moving bus drives 10 m east per update; the other stands still
        _move(store, ids, np.array([-100.0 + 10.0 * k, -100.0]), np.array([50.0, -50.0]), NOW + k)
    overlay = TrailOverlay(lambda: store, lambda: NOW + 19)
    overlay.attach(ground)
    overlay.set_visible(True)
    assert overlay.refresh(NOW + 19)
    assert overlay.mesh.n_lines == 1 and overlay.mesh.n_points == 20  # one polyline, the moving bus
    points = overlay.mesh.points
    np.testing.assert_allclose(points[0, :2], (-100.0, 50.0))
    np.testing.assert_allclose(points[-1, :2], (90.0, 50.0))  # newest vertex at the bus
    alpha = overlay.mesh.point_data["rgba"][:, 3].astype(int)
    assert alpha[0] < alpha[-1] and np.all(np.diff(alpha) >= 0)  # older parts fainter
    image = render(ground)
    on_trail = pixel_at(image, world_to_display(ground, (40.0, 50.0, 1.5)))
    beside = pixel_at(image, world_to_display(ground, (40.0, 90.0, 1.5)))
    assert np.abs(on_trail - beside).sum() > 60, (on_trail, beside)
    assert not overlay.refresh(NOW + 19)  # nothing moved: nothing rebuilt
    overlay.detach(ground)


def test_in_a_big_fleet_only_the_units_nearest_the_view_centre_get_trails(
    ground: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trails_module, "MAX_TRAILS", 5)
    store = EntityStore(trail_points=4)
    ids = [f"V{i}" for i in range(12)]
    start = np.linspace(-300.0, 300.0, 12)  # along a street through the view centre
    for k in range(4):
        _move(store, ids, start + 8.0 * k, np.zeros(12), NOW + k)
    overlay = TrailOverlay(lambda: store, lambda: NOW + 3)
    overlay.attach(ground)
    overlay.set_visible(True)
    overlay.refresh(NOW + 3)
    assert overlay.mesh.n_lines == 5
    newest = overlay.mesh.points.reshape(5, 4, 3)[:, -1, 0]
    nearest = np.sort(np.argsort(np.abs(store.x))[:5])
    np.testing.assert_allclose(np.sort(newest), np.sort(store.x[nearest]), atol=1e-3)
    overlay.detach(ground)


def test_the_heatmap_glows_where_the_fleet_is_dense_and_updates_in_place(ground: Any) -> None:
    rng = np.random.default_rng(2)
    n_cluster, n_spread = 600, 60
    x = np.concatenate([rng.normal(200.0, 20.0, n_cluster), rng.uniform(-2000, 2000, n_spread)])
    y = np.concatenate([rng.normal(-150.0, 20.0, n_cluster), rng.uniform(-2000, 2000, n_spread)])
    store = EntityStore()
    ids = [f"V{i}" for i in range(len(x))]
    _move(store, ids, x, y, NOW)
    overlay = HeatmapOverlay(lambda: store, (-2000.0, 2000.0, -2000.0, 2000.0))
    overlay.attach(ground)
    before = render(ground)
    overlay.set_visible(True)
    assert overlay.refresh(NOW)
    hot, cold = overlay.colour_at(200.0, -150.0), overlay.colour_at(-1500.0, 1500.0)
    assert hot[3] == MAX_ALPHA and hot[0] > 200 and hot[2] < 80, hot  # red at the cluster
    assert cold[3] < 30, cold  # nearly nothing where there is (almost) nobody
    after = render(ground)
    spot = world_to_display(ground, (200.0, -150.0, 1.0))
    glow = pixel_at(after, spot) - pixel_at(before, spot)
    assert glow[0] > 40 and glow[0] > glow[2], glow
    texels, actors = overlay.texels, ground.renderer.GetActors().GetNumberOfItems()
    _move(store, ids, x - 300.0, y, NOW + 0.2)  # the cluster moves west
    assert not overlay.refresh(NOW + 0.2), "recomputed at most once per period"
    assert overlay.refresh(NOW + UPDATE_PERIOD_S + 0.1)
    assert overlay.colour_at(-100.0, -150.0)[3] == MAX_ALPHA and overlay.colour_at(200.0, -150.0)[3] < 60
    assert overlay.texels is texels and ground.renderer.GetActors().GetNumberOfItems() == actors
    moved = render(ground)  # the texture drawn is the rewritten one
    new_spot = world_to_display(ground, (-100.0, -150.0, 1.0))
    assert (pixel_at(moved, new_spot) - pixel_at(before, new_spot))[0] > 40
    assert (pixel_at(moved, spot) - pixel_at(before, spot))[0] < glow[0] / 2
    overlay.detach(ground)
