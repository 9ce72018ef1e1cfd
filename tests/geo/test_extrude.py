"""Vectorised extrusion: walls (outer and courtyard) face out, roofs face up and cover the footprint."""

from __future__ import annotations

import time

import numpy as np
import pytest
import shapely

from controlroom.core.city import CityLayer, Surface
from controlroom.geo.extrude import extrude_footprints, flat_polygons


def _oriented(*polys: shapely.Polygon) -> np.ndarray:
    return shapely.orient_polygons(np.array(polys, dtype=object), exterior_cw=False)


def _normals(layer: CityLayer) -> np.ndarray:
    p, t = layer.points, layer.triangles
    return np.cross(p[t[:, 1]] - p[t[:, 0]], p[t[:, 2]] - p[t[:, 0]])


def _check_outward(layer: CityLayer, polys: np.ndarray) -> None:
    """Nudging a wall's centre along its normal leaves the footprint; against it, enters it."""
    wall = layer.cell_surface == Surface.WALL
    n = _normals(layer)[wall][:, :2]
    n /= np.linalg.norm(n, axis=1)[:, None]
    centre = layer.points[layer.triangles[wall]].mean(axis=1)[:, :2]
    owner = polys[layer.cell_object[wall]]
    assert not shapely.contains_xy(owner, *(centre + 0.01 * n).T).any()
    assert shapely.contains_xy(owner, *(centre - 0.01 * n).T).all()


def _roof_area(layer: CityLayer) -> float:
    roof = layer.cell_surface == Surface.ROOF
    return float(0.5 * _normals(layer)[roof, 2].sum())


def test_courtyard_gets_inner_walls_and_a_roof_with_a_hole() -> None:
    yard = shapely.Polygon([(0, 0), (30, 0), (30, 30), (0, 30)], [[(10, 10), (20, 10), (20, 20), (10, 20)]])
    polys = _oriented(yard)
    layer = extrude_footprints(polys, [12.0])
    assert np.count_nonzero(layer.cell_surface == Surface.WALL) == 2 * (4 + 4)
    assert _roof_area(layer) == pytest.approx(900 - 100)
    assert (_normals(layer)[layer.cell_surface == Surface.ROOF, 2] > 0).all()
    _check_outward(layer, polys)
    # Some walls stand on the courtyard's edge (x or y = 10 or 20 all along).
    wall_pts = layer.points[layer.triangles[layer.cell_surface == Surface.WALL]]
    inner = np.all(
        (wall_pts[:, :, 0] >= 10)
        & (wall_pts[:, :, 0] <= 20)
        & (wall_pts[:, :, 1] >= 10)
        & (wall_pts[:, :, 1] <= 20),
        axis=1,
    )
    assert inner.sum() == 8
    assert layer.points[:, 2].max() == 12.0


def test_concave_and_convex_footprints_cover_exactly_their_area() -> None:
    ell = shapely.Polygon([(0, 0), (20, 0), (20, 8), (8, 8), (8, 20), (0, 20)])
    box = shapely.box(100, 100, 110, 130)
    polys = _oriented(ell, box)
    layer = extrude_footprints(polys, [9.0, 30.0])
    assert _roof_area(layer) == pytest.approx(ell.area + box.area)
    _check_outward(layer, polys)
    for obj, h in ((0, 9.0), (1, 30.0)):
        z = layer.points[layer.triangles[layer.cell_object == obj]][:, :, 2]
        assert z.max() == h


def test_object_index_base_and_bottom_caps() -> None:
    parts = _oriented(shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 10))
    layer = extrude_footprints(parts, [5.0, 5.0], base_z=[10.0, 10.0], object_index=[0, 0], bottom_caps=True)
    assert set(layer.cell_object.tolist()) == {0}
    assert layer.points[:, 2].min() == 10.0 and layer.points[:, 2].max() == 15.0
    ground = layer.cell_surface == Surface.GROUND
    assert ground.sum() == 4
    assert (_normals(layer)[ground, 2] < 0).all()
    without = extrude_footprints(parts, [5.0, 5.0])
    assert not (without.cell_surface == Surface.GROUND).any()


def test_mismatched_heights_are_refused() -> None:
    with pytest.raises(ValueError, match="one height per polygon"):
        extrude_footprints(_oriented(shapely.box(0, 0, 1, 1)), [1.0, 2.0])


def test_flat_polygons_face_up_with_holes() -> None:
    lake = shapely.Polygon([(0, 0), (100, 0), (100, 50), (0, 50)], [[(40, 20), (60, 20), (60, 30), (40, 30)]])
    layer = flat_polygons(_oriented(lake), 0.2, kind="water")
    n = _normals(layer)
    assert (n[:, 2] > 0).all()
    assert 0.5 * n[:, 2].sum() == pytest.approx(5000 - 200)
    assert np.all(layer.points[:, 2] == 0.2)


def _city(n: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Random rectangles and L-shapes like a real district (40 % concave)."""
    rng = np.random.default_rng(seed)
    c = rng.uniform(-5000, 5000, (n, 2))
    w, d = rng.uniform(8, 40, n), rng.uniform(8, 40, n)
    x0, y0, x1, y1 = c[:, 0], c[:, 1], c[:, 0] + w, c[:, 1] + d
    xm, ym = x0 + w / 2, y0 + d / 2
    ring = np.stack(
        [np.column_stack(p) for p in ((x0, y0), (x1, y0), (x1, ym), (xm, ym), (xm, y1), (x0, y1))], 1
    )
    polys = np.asarray(shapely.box(x0, y0, x1, y1), dtype=object)
    ell = rng.random(n) < 0.4
    polys[ell] = shapely.polygons(ring[ell])
    return shapely.orient_polygons(polys, exterior_cw=False), rng.gamma(2, 10, n) + 3


def naive_extrude_merge(polygons: np.ndarray, heights: np.ndarray) -> object:
    """The per-building pyvista way (one PolyData per footprint, extrude, merge): the baseline.

    Lives here, not in ``controlroom.geo``, because the geo layer may not import VTK.
    """
    import pyvista as pv

    meshes = []
    for poly, h in zip(polygons, heights, strict=True):
        xy = shapely.get_coordinates(poly.exterior)[:-1]
        face = np.concatenate([[len(xy)], np.arange(len(xy))])
        base = pv.PolyData(np.column_stack([xy, np.zeros(len(xy))]), face)
        meshes.append(base.extrude((0, 0, float(h)), capping=True))
    return pv.merge(meshes).triangulate()


@pytest.mark.slow
def test_city_scale_extrusion_matches_the_naive_baseline() -> None:
    polys, heights = _city(20_000)
    t0 = time.perf_counter()
    layer = extrude_footprints(polys, heights)
    fast = time.perf_counter() - t0
    assert _roof_area(layer) == pytest.approx(shapely.area(polys).sum(), rel=1e-9)
    tops = np.zeros(len(polys))
    np.maximum.at(tops, layer.cell_object, layer.points[layer.triangles][:, :, 2].max(axis=1))
    np.testing.assert_allclose(tops, heights)

    sample = slice(0, 500)
    t0 = time.perf_counter()
    naive = naive_extrude_merge(polys[sample], heights[sample])
    slow = (time.perf_counter() - t0) * len(polys) / 500
    assert naive.bounds[5] == pytest.approx(heights[sample].max(), rel=1e-6)  # type: ignore[attr-defined]
    print(f"\n20k footprints: vectorised {fast:.2f} s, naive per-building (scaled) {slow:.1f} s")
