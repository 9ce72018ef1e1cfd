"""The map's dispatch route layer, fed from the live city and the dispatch bridge.

The selected incident is the operator's last ``sig_incident_selected``; the units on it are what
the gateway says (the live state's desk, kept whether or not an incidents panel is open);
where a unit is comes from the live feed (its entity), or from the gateway's last known position
when the feed has not seen it. The road graph is built once per loaded city model, on the first
route asked for, and shared by every map of the instance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from controlroom.geo.road_route import road_router_for

if TYPE_CHECKING:
    from controlroom.core.city import CityModel
    from controlroom.geo.flood import FloodExtent
    from controlroom.geo.road_route import RoadRouter
    from controlroom.live.desk import DispatchDesk
    from controlroom.qt.live import LiveCity
    from controlroom.render.overlays.dispatch_route import RouteTarget
    from controlroom.render.overlays.registry import DrawContext, Drawn

__all__ = ["RouteSource", "apply_flood_to_routes", "road_router_for", "route_layer"]


def apply_flood_to_routes(model: CityModel | None, extent: FloodExtent | None, cut_depth_m: float) -> int:
    """While a flood what-if is applied to the live desk, dispatch routes avoid the roads it cuts
    (water deeper than ``cut_depth_m``); ``extent=None`` opens every road again. Returns how many
    road-graph edges are closed now."""
    router = road_router_for(model)
    if router is None:
        return 0
    if extent is None or extent.nothing_floods:
        router.reopen()
        return 0
    from controlroom.geo.flood_impact import road_closures

    router.close_edges(*road_closures(router, extent, cut_depth_m))
    return router.n_closed


class RouteSource:
    """Answers the overlay's ``source``: the selected open incident and its assigned units."""

    def __init__(self, live: LiveCity) -> None:
        self.live = live
        self.selected = ""

    def select(self, incident_id: str) -> None:
        self.selected = incident_id

    def target(self) -> RouteTarget | None:
        from controlroom.render.overlays.dispatch_route import RouteTarget

        state = self.live.incidents.get(self.selected) if self.selected else None
        if state is None or not state.is_open:
            return None
        desk = self.live.desk
        units: dict[str, tuple[float, float]] = {}
        for uid in desk.units_on(state.id):
            xy = self.unit_xy(uid, desk.unit_rows.get(uid, {}))
            if xy is not None:
                units[uid] = xy
        return RouteTarget(state.id, (state.x, state.y), units)

    def unit_xy(self, unit_id: str, row: dict[str, Any]) -> tuple[float, float] | None:
        """Where the feed saw the unit last; else the gateway's position; None if neither."""
        entities = self.live.entities
        if unit_id in entities:
            i = entities.row(unit_id)
            return float(entities.x[i]), float(entities.y[i])
        lon, lat, frame = row.get("lon"), row.get("lat"), self.live.frame
        if frame is None or not isinstance(lon, int | float) or not isinstance(lat, int | float):
            return None
        x, y = frame.from_wgs84([float(lon)], [float(lat)])
        return float(x[0]), float(y[0])

    def router(self) -> RoadRouter | None:
        return self.live.state.road_router()


def route_layer(desk: DispatchDesk, ctx: DrawContext) -> Drawn:
    """The route layer of a live map; clicking a unit's ring selects that unit."""
    from PySide6.QtCore import QCoreApplication

    from controlroom.render.overlays.dispatch_route import DispatchRouteOverlay
    from controlroom.render.overlays.registry import Drawn

    live: LiveCity = ctx.live
    source = RouteSource(live)
    live.sig_incident_selected.connect(source.select)
    title = QCoreApplication.translate("DispatchRouteLayer", "Dispatch route")
    return Drawn(DispatchRouteOverlay(source.target, source.router, title=title), live.select_entity)
