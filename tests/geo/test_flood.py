"""The flood what-if engine on synthetic ground: connectivity, depth, thresholds, roads, routing."""

from __future__ import annotations

import numpy as np
import pytest

from controlroom.core.site import FloodConfig
from controlroom.core.vector import LineLayer
from controlroom.geo.flood import flood_from, point_seed, rain_ponding
from controlroom.geo.flood_impact import (
    DRY,
    FLOODED,
    WET,
    BuildingSamples,
    RoadSamples,
    building_depths,
    classify,
    group_totals,
    road_closures,
)
from controlroom.geo.flood_whatif import FloodScene, PointSet
from controlroom.geo.road_route import RoadRouter
from controlroom.geo.terrain import Terrain
from tests.geo.flood_grids import CELL, grid_roads, valley


def test_only_ground_connected_to_the_river_floods_and_depth_is_level_minus_ground() -> None:
    t, river = valley()
    ext = flood_from(t, 5.0, river)
    inside_pocket = (700.0, 700.0)
    assert ext.depth_at(*inside_pocket)[0] == 0.0  # 4 m below the level, but walled off: dry
    # the valley floods up to where the ground reaches 5 m: 200 m north of y = 0
    col = ext.flooded[:, 20]
    assert col[10:39].all() and not col[41:].any()
    assert ext.depth_at([100.0], [100.0])[0] == pytest.approx(5.0 - 4.0, abs=1e-5)
    assert ext.area_km2 == pytest.approx(ext.n_cells * 25e-6)
    # a breach inside the pocket floods it instead, to level − floor
    breach = flood_from(t, 5.0, point_seed(t, *inside_pocket), "breach")
    assert breach.depth_at(*inside_pocket)[0] == pytest.approx(4.0)
    assert not breach.flooded[:40].any()


def test_a_level_below_the_river_bed_floods_nothing() -> None:
    t, river = valley()
    ext = flood_from(t, -2.5, river)
    assert ext.nothing_floods and ext.area_km2 == 0.0 and ext.max_depth_m == 0.0
    scene = FloodScene(
        t, river, BuildingSamples.from_points(np.array([0]), np.array([100.0]), np.array([100.0]), ["B"])
    )
    assert scene.river_bed_m() == -2.0
    summary = scene.impact(scene.at(-2.5)).summary()
    assert summary["area_km2"] == 0.0 and summary["buildings"] == {"flooded": 0, "wet": 0, "dry": 1}


def test_rain_ponds_its_own_volume_in_the_lowest_ground() -> None:
    t, river = valley()
    ext = rain_ponding(t, 50.0, exclude=river)
    land = (~river).sum()
    held = float(ext.depth.astype(np.float64).sum())
    assert held == pytest.approx(0.05 * land, rel=1e-3)  # all the rain, none lost, none made up
    assert ext.depth_at(700.0, 700.0)[0] > 0  # the pocket is the lowest ground: it fills first
    assert not ext.flooded[river].any()


def test_buildings_are_dry_wet_or_flooded_by_the_deepest_water_at_their_footprint() -> None:
    t, river = valley()
    ext = flood_from(t, 5.0, river)  # ground 4.0 m at y=100, 4.9 at 190, 5.2 at 220
    corners = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], float)
    origins = np.array([[100.0, 95.0], [100.0, 187.0], [100.0, 215.0]])
    pts = (origins[:, None, :] + corners[None]).reshape(-1, 2)
    samples = BuildingSamples.from_points(
        np.repeat(np.arange(3), 4), pts[:, 0], pts[:, 1], ["low", "edge", "high"]
    )
    depth = building_depths(ext, samples)
    assert depth[0] == pytest.approx(5.0 - 3.95, abs=0.06) and depth[2] == 0.0
    state = classify(depth, FloodConfig())
    assert state.tolist() == [FLOODED, WET, DRY]
    assert classify(depth, FloodConfig(wet_depth_m=0.01, flooded_depth_m=2.0)).tolist() == [WET, WET, DRY]


def test_roads_cut_by_depth_with_their_length_and_totals_by_area() -> None:
    t, river = valley()
    roads = RoadSamples.from_layer(grid_roads(), step_m=2.5)
    assert roads.length_m.sum() == pytest.approx(3 * 1000 + 3 * 550, rel=1e-9)
    scene = FloodScene(
        t, river, BuildingSamples.from_points(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), []), roads
    )
    impact = scene.impact(scene.at(5.0))  # ground 4 m at y = 100: water 1 m deep there
    # the whole y = 100 street (1 km) and the north-south streets up to where water is 0.3 m deep (y = 170)
    assert impact.roads_cut_km == pytest.approx(1.0 + 3 * 0.12, abs=0.02)
    assert impact.cut_road_names() == ["Road 0", "Road 3", "Road 4", "Road 5"]
    totals = group_totals(["A", "B", "A", ""], {"n": np.array([1.0, 2.0, 3.0, 4.0])})
    assert totals == {"": {"n": 4.0}, "A": {"n": 4.0}, "B": {"n": 2.0}}


def test_cameras_and_units_in_the_water_are_listed() -> None:
    t, river = valley()
    cams = PointSet(["C1", "C2"], ["low", "high"], np.array([300.0, 300.0]), np.array([120.0, 800.0]))
    empty = BuildingSamples.from_points(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), [])
    scene = FloodScene(t, river, empty, points={"cameras": cams})
    impact = scene.impact(scene.at(5.0))
    assert impact.points_in_water("cameras") == [{"id": "C1", "name": "low", "depth_m": 0.8}]
    assert impact.summary()["cameras"] == 1


def test_a_route_detours_around_a_cut_road_and_comes_back_when_the_water_goes_down() -> None:
    """A dip in the street at y = 300 (between x = 400 and 600) holds water when the level rises;
    the unit at (150, 300) going to (850, 300) takes that street on a dry day, detours over the
    y = 500 street while the what-if is applied, and is back on it when the water goes down."""
    t, river = valley()
    z = t.z.copy()
    ys, xs = np.mgrid[0:200, 0:200] * CELL
    z[(np.abs(ys - 300.0) < 30) & (np.abs(xs - 500.0) < 110)] = 2.0  # the dip under the street
    z[(ys >= 45) & (ys < 280) & (np.abs(xs - 500.0) < 110)] = 2.0  # a channel from the river to it
    ground = Terrain(z, t.x0, t.y0, t.cell)
    router = RoadRouter.from_lines([ln for ln in _split(grid_roads())])
    assert router is not None
    scene = FloodScene(
        ground, river, BuildingSamples.from_points(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), [])
    )
    start, end = (150.0, 300.0), (850.0, 300.0)

    def on_dip(route_points: np.ndarray) -> bool:
        return bool(
            np.any((np.abs(route_points[:, 1] - 300.0) < 1) & (np.abs(route_points[:, 0] - 500.0) < 90))
        )

    dry = router.route(start, end)
    assert on_dip(dry.points) and dry.road_m == pytest.approx(700.0, abs=25)

    high = scene.at(3.0)  # 1 m of water in the dip: cut
    router.close_edges(*road_closures(router, high, 0.3))
    assert router.n_closed > 0
    wet = router.route(start, end)
    assert wet.by_road and not on_dip(wet.points)
    assert wet.road_m > dry.road_m + 300  # up to y = 500 and back down

    low = scene.at(2.1)  # 0.1 m: passable again
    router.close_edges(*road_closures(router, low, 0.3))
    assert router.n_closed == 0
    assert on_dip(router.route(start, end).points)
    router.close_edges(*road_closures(router, high, 0.3))
    router.reopen()
    assert on_dip(router.route(start, end).points)


def _split(layer: LineLayer) -> list[np.ndarray]:
    return [layer.points[layer.offsets[i] : layer.offsets[i + 1], :2] for i in range(layer.n_lines)]
