"""Planar 3D polygon triangulation: areas, winding, holes and bad rings, one by one and in bulk."""

from __future__ import annotations

import numpy as np
import pytest

from controlroom.geo.polygon3d import newell_normal, triangulate_polygon, triangulate_polygons


def _areas_and_normals(points: np.ndarray, tris: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b, c = points[tris[:, 0]], points[tris[:, 1]], points[tris[:, 2]]
    cross = np.cross(b - a, c - a)
    return np.linalg.norm(cross, axis=1) / 2, cross


def _rotate(points: np.ndarray) -> np.ndarray:
    """An arbitrary rigid rotation, so no test relies on an axis-aligned plane."""
    ax, ay = np.radians(37.0), np.radians(-61.0)
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    return points @ (ry @ rx).T + np.array([1000.0, -2000.0, 50.0])


L_SHAPE = np.array([[0, 0, 0], [4, 0, 0], [4, 1, 0], [1, 1, 0], [1, 3, 0], [0, 3, 0]], float)  # area 6


def test_l_shape_in_a_tilted_plane_keeps_area_and_winding() -> None:
    ring = _rotate(L_SHAPE)
    tris = triangulate_polygon([ring])
    areas, normals = _areas_and_normals(ring, tris)
    assert len(tris) == 4
    assert areas.sum() == pytest.approx(6.0)
    expected = newell_normal(ring)
    assert np.all(normals @ expected > 0)  # every triangle faces like the source ring


def test_reversed_ring_gives_reversed_triangles() -> None:
    ring = _rotate(L_SHAPE)[::-1].copy()
    tris = triangulate_polygon([ring])
    _, normals = _areas_and_normals(ring, tris)
    assert np.all(normals @ newell_normal(ring) > 0)
    assert newell_normal(ring) @ newell_normal(_rotate(L_SHAPE)) < 0


def test_polygon_with_hole_subtracts_its_area() -> None:
    outer = np.array([[0, 0, 5], [10, 0, 5], [10, 10, 5], [0, 10, 5]], float)
    hole = np.array([[2, 2, 5], [2, 4, 5], [4, 4, 5], [4, 2, 5]], float)
    tris = triangulate_polygon([outer, hole])
    points = np.concatenate([outer, hole])
    areas, _ = _areas_and_normals(points, tris)
    assert areas.sum() == pytest.approx(96.0)
    assert set(tris.ravel().tolist()) == set(range(8))  # indices refer to the concatenated rings


def test_repeated_and_closing_vertices_are_tolerated() -> None:
    ring = np.array([[0, 0, 0], [2, 0, 0], [2, 0, 0], [2, 2, 0], [0, 2, 0], [0, 0, 0]], float)
    tris = triangulate_polygon([ring])
    areas, _ = _areas_and_normals(ring, tris)
    assert areas.sum() == pytest.approx(4.0)
    assert np.all(areas > 0)


def test_collinear_vertices_leave_no_sliver() -> None:
    ring = np.array([[0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 0], [3, 2, 0], [0, 2, 0]], float)
    tris = triangulate_polygon([ring])
    areas, _ = _areas_and_normals(ring, tris)
    assert areas.sum() == pytest.approx(6.0)
    assert areas.min() > 1e-9


@pytest.mark.parametrize(
    "rings",
    [
        [np.array([[0, 0, 0], [1, 1, 1], [2, 2, 2], [3, 3, 3]], float)],  # all on one line
        [np.array([[5, 5, 5]] * 4, float)],  # one point repeated
        [np.array([[0, 0, 0], [1, 0, 0]], float)],  # two vertices
        [np.empty((0, 3))],
        [],
    ],
    ids=["collinear", "single-point", "two-vertices", "empty-ring", "no-rings"],
)
def test_rings_without_area_give_no_triangles(rings: list[np.ndarray]) -> None:
    assert triangulate_polygon(rings).shape == (0, 3)


def test_hole_without_area_is_ignored() -> None:
    outer = np.array([[0, 0, 0], [4, 0, 0], [4, 4, 0], [0, 4, 0]], float)
    flat_hole = np.array([[1, 1, 0], [2, 2, 0], [3, 3, 0]], float)
    tris = triangulate_polygon([outer, flat_hole])
    areas, _ = _areas_and_normals(np.concatenate([outer, flat_hole]), tris)
    assert areas.sum() == pytest.approx(16.0)


def _flat_layout(polygons: list[list[list[int]]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rings = [ring for polygon in polygons for ring in polygon]
    return (
        np.array([i for ring in rings for i in ring], np.int64),
        np.array([len(ring) for ring in rings], np.int64),
        np.array([len(polygon) for polygon in polygons], np.int64),
    )


def test_batch_matches_single_polygons_on_mixed_input() -> None:
    """Fanned (triangle, convex quad), ear-clipped (concave, holed, non-planar) and degenerate
    polygons in one call: same areas as one by one, winding kept, degenerate ones flagged."""
    vertices = np.array(
        [
            [0, 0, 0],
            [4, 0, 0],
            [4, 1, 0],
            [1, 1, 0],
            [1, 3, 0],
            [0, 3, 0],  # 0-5 L shape
            [0, 0, 3],
            [2, 0, 3],
            [2, 2, 3],
            [0, 2, 3],  # 6-9 square roof
            [0.5, 0.5, 3],
            [0.5, 1.5, 3],
            [1.5, 1.5, 3],
            [1.5, 0.5, 3],  # 10-13 hole in it
            [10, 0, 0],
            [12, 0, 1],
            [12, 2, 0],
            [10, 2, 1],  # 14-17 warped quad (0.5 m off plane)
            [20, 0, 0],
            [21, 0, 0],
            [22, 0, 0],  # 18-20 collinear
            [0, 0, 10],
            [0, 5, 10],
            [5, 0, 10],  # 21-23 triangle, clockwise from above
        ],
        float,
    )
    vertices = _rotate(vertices)
    polygons = [
        [[0, 1, 2, 3, 4, 5]],
        [[6, 7, 8, 9], [10, 11, 12, 13]],
        [[14, 15, 16, 17]],
        [[18, 19, 20]],
        [[21, 22, 23]],
        [[6, 7, 8, 9]],
    ]
    batch = triangulate_polygons(vertices, *_flat_layout(polygons))
    assert batch.degenerate.tolist() == [False, False, False, True, False, False]
    assert np.allclose(np.linalg.norm(batch.normals[~batch.degenerate], axis=1), 1.0)
    areas, normals = _areas_and_normals(vertices, batch.triangles)
    per_polygon = np.bincount(batch.polygon, weights=areas, minlength=len(polygons))
    for k, polygon in enumerate(polygons):
        single = triangulate_polygon([vertices[ring] for ring in polygon])
        local = np.concatenate(polygon)[single]
        assert per_polygon[k] == pytest.approx(_areas_and_normals(vertices, local)[0].sum()), k
    assert per_polygon[0] == pytest.approx(6.0)
    assert per_polygon[1] == pytest.approx(3.0)
    assert per_polygon[4] == pytest.approx(12.5)
    assert per_polygon[5] == pytest.approx(4.0)
    assert np.all(np.einsum("ij,ij->i", normals, batch.normals[batch.polygon]) > 0)
    assert not np.isnan(vertices[batch.triangles]).any()


def test_batch_on_empty_input() -> None:
    batch = triangulate_polygons(np.empty((0, 3)), *_flat_layout([]))
    assert batch.triangles.shape == (0, 3) and len(batch.polygon) == 0 and len(batch.degenerate) == 0


def test_batch_polygon_without_rings_is_degenerate() -> None:
    vertices = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], float)
    batch = triangulate_polygons(vertices, np.array([0, 1, 2]), np.array([3]), np.array([0, 1]))
    assert batch.degenerate.tolist() == [True, False]
    assert batch.polygon.tolist() == [1]
