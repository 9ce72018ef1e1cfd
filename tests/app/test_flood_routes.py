"""The flood what-if applied to the live desk: dispatch routing avoids the roads it cuts."""

from __future__ import annotations

import numpy as np

from controlroom.geo.flood_impact import BuildingSamples
from controlroom.geo.flood_whatif import FloodScene
from tests.geo.flood_grids import grid_roads, valley


def test_the_live_desk_routes_share_the_closures() -> None:
    """``apply_flood_to_routes`` closes the cut roads on the road graph dispatch routing uses for
    a loaded model, and opens them again when the what-if is cleared."""
    from controlroom.app.dispatch_route_wiring import apply_flood_to_routes, road_router_for
    from controlroom.core.city import CityModel

    t, river = valley()
    model = CityModel(crs="EPSG:32649", origin=(0.0, 0.0, 0.0), lines={"roads": grid_roads()})
    empty = BuildingSamples.from_points(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), [])
    scene = FloodScene(t, river, empty)
    router = road_router_for(model)
    assert router is not None
    before = router.route((150.0, 100.0), (850.0, 100.0))
    assert apply_flood_to_routes(model, scene.at(5.0), 0.3) > 0
    assert road_router_for(model) is router and not router.route((150.0, 100.0), (850.0, 100.0)).by_road
    assert apply_flood_to_routes(model, None, 0.3) == 0
    assert router.route((150.0, 100.0), (850.0, 100.0)).road_m == before.road_m
