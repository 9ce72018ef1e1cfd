"""Routes over road polylines: along the streets of a small grid (crossing streets that share no
vertex are still junctions, a bridge is not), the drawn length is the graph's distance, and a
site with no roads (or no road between the two ends) gets the straight line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from controlroom.core.vector import LineLayer
from controlroom.geo.road_route import RoadRouter, route_between


def _grid_layer(bridge_over: bool = False) -> LineLayer:
    """Three east-west and three north-south streets, 0..1000 m, drawn as two-point lines."""
    lines: list[np.ndarray] = []
    features: list[dict[str, object]] = []
    for c in (0.0, 500.0, 1000.0):
        lines.append(np.array([[0.0, c, 0.3], [1000.0, c, 0.3]]))
        features.append({"highway": "residential"})
        lines.append(np.array([[c, 0.0, 0.3], [c, 1000.0, 0.3]]))
        features.append({"highway": "residential"})
    if bridge_over:  # a flyover diagonal, joined to the grid only at its two ends
        lines.append(np.array([[0.0, 0.0, 8.0], [1000.0, 1000.0, 8.0]]))
        features.append({"highway": "trunk", "bridge": "yes", "layer": 1})
    offsets = np.concatenate([[0], np.cumsum([len(ln) for ln in lines])]).astype(np.int64)
    return LineLayer("roads", np.concatenate(lines), offsets, np.arange(len(lines), dtype=np.int32), features)


def _on_grid(points: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """True for points lying on one of the grid's streets."""
    on_x = np.min(np.abs(points[:, 0:1] - np.array([[0.0, 500.0, 1000.0]])), axis=1) < tol
    on_y = np.min(np.abs(points[:, 1:2] - np.array([[0.0, 500.0, 1000.0]])), axis=1) < tol
    return on_x | on_y


def test_route_on_a_grid_goes_along_the_streets_and_its_length_is_the_graph_distance() -> None:
    from scipy.sparse.csgraph import dijkstra

    router = RoadRouter.from_layer(_grid_layer())
    assert router is not None
    # a unit 6 m beside the 0-street, an incident 4 m beside the 1000-street
    route = router.route((6.0, 130.0), (870.0, 996.0))
    assert route.by_road
    road = route.points[1:-1]
    assert _on_grid(road).all(), "between the connectors the route never leaves the streets"
    src, _ = router.snap((6.0, 130.0))
    dst, _ = router.snap((870.0, 996.0))
    graph_m = float(dijkstra(router.graph, directed=False, indices=src)[dst])
    assert route.road_m == pytest.approx(graph_m)
    drawn = float(np.linalg.norm(np.diff(route.points, axis=0), axis=1).sum())
    assert route.length_m == pytest.approx(drawn)
    # on a grid the shortest way is the Manhattan distance between the snapped road points
    (ax, ay), (bx, by) = router.xy[src], router.xy[dst]
    assert (ax, by) == (0.0, 1000.0)
    assert route.road_m == pytest.approx(abs(bx - ax) + abs(by - ay), abs=1e-6)
    assert route.length_m > np.hypot(864.0, 866.0) * 1.3, "longer than the crow flies"


def test_crossing_streets_without_a_shared_vertex_are_junctions_but_a_bridge_is_not() -> None:
    router = RoadRouter.from_layer(_grid_layer(bridge_over=True))
    assert router is not None
    # from the grid centre: the flyover passes right above it but is not reachable there
    route = router.route((500.0, 500.0), (1000.0, 1000.0))
    assert route.by_road
    assert route.road_m == pytest.approx(1000.0), "along the streets, not up onto the flyover"
    # from the corner where the flyover starts, it is the short way
    corner = router.route((0.0, 0.0), (1000.0, 1000.0))
    assert corner.road_m == pytest.approx(np.hypot(1000.0, 1000.0))


def test_no_roads_or_no_road_between_gives_the_straight_line() -> None:
    assert RoadRouter.from_layer(LineLayer.empty("roads")) is None
    straight = route_between(None, (0.0, 0.0), (300.0, 400.0))
    assert not straight.by_road and straight.length_m == pytest.approx(500.0)
    assert straight.points.tolist() == [[0.0, 0.0], [300.0, 400.0]]
    # two separate streets far apart: no path between them
    island = RoadRouter.from_lines(
        [np.array([[0.0, 0.0], [100.0, 0.0]]), np.array([[0.0, 900.0], [100.0, 900.0]])]
    )
    assert island is not None
    apart = island.route((50.0, 2.0), (50.0, 898.0))
    assert not apart.by_road and apart.length_m == pytest.approx(896.0)


def test_sample_site_route_follows_its_roads(shared_sample_city_roads: LineLayer) -> None:
    router = RoadRouter.from_layer(shared_sample_city_roads)
    assert router is not None and router.n_nodes > 1000
    route = router.route((-2500.0, -2000.0), (2000.0, 1900.0))
    assert route.by_road and len(route.points) > 10
    ends = np.array([[-2500.0, -2000.0], [2000.0, 1900.0]])
    assert np.linalg.norm(route.points[[0, -1]] - ends) == pytest.approx(0.0)
    # every vertex between the connectors lies on a drawn road
    seg_gap = _distance_to_segments(route.points[1:-1], shared_sample_city_roads)
    assert seg_gap.max() < 1.0


def _distance_to_segments(points: np.ndarray, layer: LineLayer) -> np.ndarray:
    a_list, b_list = [], []
    for i in range(layer.n_lines):
        pts = layer.points[layer.offsets[i] : layer.offsets[i + 1], :2]
        a_list.append(pts[:-1])
        b_list.append(pts[1:])
    a, b = np.concatenate(a_list), np.concatenate(b_list)
    ab = b - a
    t = np.clip(((points[:, None] - a[None]) * ab[None]).sum(-1) / np.maximum((ab**2).sum(-1), 1e-12), 0, 1)
    nearest = a[None] + t[..., None] * ab[None]
    return np.linalg.norm(points[:, None] - nearest, axis=-1).min(axis=1)


@pytest.fixture(scope="module")
def shared_sample_city_roads(sample_site_factory: Callable[[str], Path]) -> LineLayer:
    from controlroom.core.site import load_site
    from controlroom.geo.city_loader import load_city

    site_dir: Path = sample_site_factory("route-site")
    return load_city(load_site(site_dir)).lines["roads"]
