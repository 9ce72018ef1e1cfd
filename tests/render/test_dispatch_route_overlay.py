"""The dispatch route layer: a ring on the selected incident and a bright line from its assigned
unit along the streets to it; the line follows the unit in place (same actor, same mesh), the
road path is recomputed only once the unit has moved far enough and not more than once a second."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import pyvista as pv

from controlroom.geo.road_route import RoadRouter
from controlroom.render.overlays.base import project_points, top_layer
from controlroom.render.overlays.dispatch_route import ROUTE_RGB, ROUTE_Z, DispatchRouteOverlay, RouteTarget
from tests.render.conftest import pixel_at, render


@pytest.fixture
def plotter() -> Iterator[Any]:
    p = pv.Plotter(off_screen=True, window_size=(800, 600))
    p.add_mesh(pv.Plane(center=(500, 500, 0), i_size=1400, j_size=1400), color="#1b2330")
    p.camera.focal_point = (500.0, 500.0, 0.0)
    p.camera.position = (500.0, 500.0, 2200.0)
    p.camera.up = (0.0, 1.0, 0.0)
    p.show(auto_close=False)
    yield p
    p.close()


def _grid() -> RoadRouter:
    lines = []
    for c in (0.0, 500.0, 1000.0):
        lines += [np.array([[0.0, c], [1000.0, c]]), np.array([[c, 0.0], [c, 1000.0]])]
    router = RoadRouter.from_lines(lines)
    assert router is not None
    return router


class Picture:
    """What the map knows: a selected incident, maybe an assigned unit that moves."""

    def __init__(self) -> None:
        self.selected: str | None = None
        self.unit: tuple[float, float] | None = None

    def target(self) -> RouteTarget | None:
        if self.selected is None:
            return None
        units = {"U0007": self.unit} if self.unit is not None else {}
        return RouteTarget(self.selected, (1000.0, 1000.0), units)


def test_selected_incident_and_its_unit_route_follow_the_unit_in_place(plotter: Any) -> None:
    picture = Picture()
    router = _grid()
    overlay = DispatchRouteOverlay(picture.target, lambda: router)
    overlay.attach(plotter)
    layer = top_layer(plotter)
    actors = layer.GetActors().GetNumberOfItems()
    assert not overlay.refresh(0.0) and overlay.mesh.n_points == 0, "nothing selected: nothing drawn"

    picture.selected = "INC-1"
    assert overlay.refresh(0.1) and overlay.mesh.n_cells > 0 and overlay.mesh.n_lines == 0
    picture.unit = (4.0, 120.0)  # assigned: a unit beside the west street
    assert overlay.refresh(0.2)
    route = overlay.routes["U0007"]
    assert route.by_road and overlay.mesh.n_lines == 1
    drawn = overlay.mesh.points[overlay.mesh.n_points - len(route.points) :]
    assert np.allclose(drawn[:, 2], ROUTE_Z)
    assert np.allclose(drawn[0, :2], (4.0, 120.0)) and np.allclose(drawn[-1, :2], (1000.0, 1000.0))
    assert overlay.routings == 1

    # on screen: the line's colour half way along the route (on the road, not the crow's line)
    image = render(plotter)
    mid = route.points[len(route.points) // 2]
    at = project_points(plotter, np.array([[mid[0], mid[1], ROUTE_Z]]))[0]
    assert np.abs(pixel_at(image, (at[0], at[1])) - np.array(ROUTE_RGB)).max() < 40
    crow = project_points(plotter, np.array([[502.0, 560.0, ROUTE_Z]]))[0]  # the straight line's middle
    assert np.abs(pixel_at(image, (crow[0], crow[1])) - np.array(ROUTE_RGB)).max() > 80

    # the unit drives 10 m: the line's start follows at once, no new road route
    picture.unit = (4.0, 130.0)
    overlay.refresh(2.0)
    assert np.allclose(
        overlay.mesh.points[overlay.mesh.n_points - len(overlay.routes["U0007"].points)][:2], (4.0, 130.0)
    )
    assert overlay.routings == 1
    # 300 m on: re-routed, but at most once a second
    picture.unit = (4.0, 430.0)
    overlay.refresh(2.5)
    assert overlay.routings == 2
    picture.unit = (4.0, 700.0)
    overlay.refresh(2.9)
    assert overlay.routings == 2, "less than a second since the last route"
    overlay.refresh(3.6)
    assert overlay.routings == 3
    assert overlay.routes["U0007"].road_m == pytest.approx(300.0 + 1000.0, abs=25.0)
    assert layer.GetActors().GetNumberOfItems() == actors, "no new actors, ever"
    assert overlay.pick(plotter, *project_points(plotter, np.array([[4.0, 700.0, 2.5]]))[0]) == "U0007"
    assert "km by road" in overlay.describe("U0007")

    picture.selected = None  # selection cleared (or the incident closed): all gone
    assert overlay.refresh(4.0) and overlay.mesh.n_points == 0 and not overlay.routes
    overlay.detach(plotter)


def test_without_roads_the_route_is_the_straight_line(plotter: Any) -> None:
    picture = Picture()
    picture.selected, picture.unit = "INC-2", (100.0, 100.0)
    overlay = DispatchRouteOverlay(picture.target, lambda: None)
    overlay.attach(plotter)
    overlay.refresh(0.0)
    route = overlay.routes["U0007"]
    assert not route.by_road and len(route.points) == 2
    assert route.length_m == pytest.approx(np.hypot(900.0, 900.0))
    assert "straight line" in overlay.describe("U0007")
    overlay.detach(plotter)
