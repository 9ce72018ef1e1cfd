"""The camera layer: clusters from afar (counts add up), cameras and cones close in, picking by pixel."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import pyvista as pv

from controlroom.core.cameras import CameraRegistry
from controlroom.render.overlays.base import project_points
from controlroom.render.overlays.cameras import CameraOverlay, cluster_cells


@pytest.fixture
def plotter() -> Iterator[Any]:
    p = pv.Plotter(off_screen=True, window_size=(800, 600))
    p.add_mesh(pv.Plane(i_size=20000, j_size=20000), color="#1b2330")
    p.show(auto_close=False)
    yield p
    p.close()


def _registry(n: int = 35_000) -> CameraRegistry:
    rng = np.random.default_rng(1)
    x, y = rng.uniform(-6000, 6000, n), rng.uniform(-5000, 5000, n)
    ids = [f"C{i}" for i in range(n)]
    return CameraRegistry(
        ids, ids, x, y, x, y, heading_deg=rng.uniform(0, 360, n), fov_deg=np.full(n, 60.0),
        ptz=rng.random(n) < 0.1,
    )  # fmt: skip


def _look(p: Any, distance: float, focal: tuple[float, float] = (0.0, 0.0)) -> None:
    p.camera.focal_point = (*focal, 0.0)
    p.camera.position = (focal[0], focal[1], distance)
    p.camera.up = (0.0, 1.0, 0.0)


def test_cluster_cells_partition_the_points() -> None:
    x = np.array([1.0, 2.0, 11.0, 12.0, -5.0])
    y = np.array([1.0, 2.0, 1.0, 3.0, -5.0])
    inverse, cx, cy = cluster_cells(x, y, 10.0)
    assert len(cx) == 3 and np.bincount(inverse).tolist() == [1, 2, 2]
    assert (cx[inverse[0]], cy[inverse[0]]) == (1.5, 1.5)


def test_35k_cameras_cluster_from_afar_and_pick_one_close_in(plotter: Any) -> None:
    reg = _registry()
    overlay = CameraOverlay(lambda: reg)
    overlay.attach(plotter)
    _look(plotter, 15000.0)
    assert overlay.refresh(0.0) and overlay.clustered
    assert overlay.cluster_counts.sum() == 35_000 and len(overlay.item_ids) < 2000
    assert overlay.refresh(0.0) is False  # same zoom: nothing rebuilt
    k = int(np.argmax(overlay.cluster_counts))
    cx, cy = project_points(plotter, overlay.anchors[k : k + 1])[0]
    centre = overlay.pick(plotter, cx + 3, cy)
    assert centre == f"cluster:{k}" and len(overlay.cluster_rows(centre)) == overlay.cluster_counts[k]
    assert overlay.describe(centre).startswith(f"{overlay.cluster_counts[k]} cameras")
    focus = overlay.cluster_focus(centre)
    assert focus is not None and focus[2] < 2500

    target = reg.get("C123")
    _look(plotter, 600.0, (target.x, target.y))
    assert overlay.refresh(0.0) and not overlay.clustered
    assert overlay.mesh.n_points == 35_000 * 10
    px, py = project_points(plotter, np.array([[target.x, target.y, 3.0]]))[0]
    assert overlay.pick(plotter, px + 2, py - 2) == "C123"
    plotter.render()
    img = plotter.screenshot(None)
    blue = (img[..., 2] > 200) & (img[..., 0] < 120)
    assert blue.mean() > 0.0005  # camera diamonds are on screen
    overlay.set_visible(False)
    assert overlay.pick(plotter, px, py) is None
    overlay.detach(plotter)


def test_from_the_overview_cameras_are_a_sparse_dim_layer_not_a_blanket(plotter: Any) -> None:
    reg = _registry(2400)  # the sample site's count, over a 12 × 10 km city
    overlay = CameraOverlay(lambda: reg)
    overlay.attach(plotter)
    _look(plotter, 9000.0)
    plotter.renderer.ResetCameraClippingRange()
    plotter.render()
    before = plotter.screenshot(None).astype(int)
    assert overlay.refresh(0.0) and overlay.clustered
    assert overlay.cluster_counts.sum() == 2400 and len(overlay.item_ids) <= 200
    rim = overlay.mesh.points.reshape(len(overlay.item_ids), -1, 3)
    centre_px = project_points(plotter, rim[:, 0].astype(float))
    edge_px = project_points(plotter, rim[:, 1].astype(float))
    diameter = 2 * np.linalg.norm(centre_px - edge_px, axis=1)
    assert diameter.min() >= 5.5 and diameter.max() <= 16.5, (diameter.min(), diameter.max())
    assert (np.asarray(overlay.mesh.point_data["rgba"])[:, 3] <= 110).all()  # dim: the city shows through
    plotter.render()
    changed = np.abs(plotter.screenshot(None).astype(int) - before).sum(axis=-1) > 30
    assert 0.002 < changed.mean() < 0.04, changed.mean()  # visible, but covering a few % at most
    _look(plotter, 9000.0 * 1.02)  # a nudge: sizes follow, the grouping stays
    counts = overlay.cluster_counts.copy()
    assert overlay.refresh(0.0)
    assert np.array_equal(counts, overlay.cluster_counts)
    overlay.detach(plotter)


def test_on_a_terrain_cameras_stand_on_the_ground_and_are_picked_there(plotter: Any) -> None:
    from controlroom.geo.drape import Ground
    from controlroom.render.overlays.base import set_ground
    from controlroom.render.overlays.cameras import Z_M

    # a hill 60 m high in a 20 m grid: the camera at its top stands 60 m up, not at z = Z_M
    xs = np.arange(-1000.0, 1001.0, 20.0)
    gx, gy = np.meshgrid(xs, xs)
    ground = Ground((60.0 * np.exp(-(gx**2 + gy**2) / 300.0**2)).astype(np.float32), -1000.0, -1000.0, 20.0)
    reg = CameraRegistry(
        ["TOP", "FOOT"], ["top", "foot"], np.array([0.0, 900.0]), np.array([0.0, 0.0]),
        np.array([0.0, 900.0]), np.array([0.0, 0.0]), heading_deg=np.array([0.0, 90.0]),
        fov_deg=np.full(2, 60.0), ptz=np.zeros(2, bool),
    )  # fmt: skip
    overlay = CameraOverlay(lambda: reg)
    overlay.attach(plotter)
    set_ground(plotter, ground)
    plotter.camera.focal_point = (0.0, 0.0, 60.0)
    plotter.camera.position = (0.0, -1500.0, 600.0)  # oblique: a height error shows as a shift on screen
    plotter.camera.up = (0.0, 0.0, 1.0)
    assert overlay.refresh(0.0) and not overlay.clustered
    z = overlay.mesh.points[:, 2].reshape(2, -1)
    assert z[0, 4] == pytest.approx(60.0 + Z_M, abs=0.01) and z[1].max() < Z_M + 1.0  # the cone's apex
    px, py = project_points(plotter, np.array([[0.0, 0.0, 60.0 + Z_M]]))[0]
    _, flat_y = project_points(plotter, np.array([[0.0, 0.0, Z_M]]))[0]
    assert abs(py - flat_y) > 30  # drawn where the ground is, far from where flat ground would put it
    assert overlay.pick(plotter, px, py) == "TOP"
    set_ground(plotter, None)
    overlay.detach(plotter)
