"""The map's dispatch route layer, fed from the live city and the dispatch bridge.

The selected incident is the operator's last ``sig_incident_selected``; the units on it are what
the gateway says (``DispatchBridge.unit_rows``, kept whether or not an incidents panel is open);
where a unit is comes from the live feed (its entity), or from the gateway's last known position
when the feed has not seen it. The road graph is built once per loaded city model, on the first
route asked for, and shared by every map of the instance.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from controlroom.core.city import CityModel
    from controlroom.geo.flood import FloodExtent
    from controlroom.geo.road_route import RoadRouter
    from controlroom.qt.live import LiveCity
    from controlroom.render.overlays.dispatch_route import DispatchRouteOverlay, RouteTarget

#: id(model) → (the model, weakly; its road graph). Models are unhashable dataclasses.
_ROUTERS: dict[int, tuple[weakref.ref[CityModel], RoadRouter | None]] = {}


def road_router_for(model: CityModel | None) -> RoadRouter | None:
    """The model's road graph (None without roads), built on first use and kept with the model."""
    if model is None:
        return None
    known = _ROUTERS.get(id(model))
    if known is not None and known[0]() is model:
        return known[1]
    from controlroom.geo.road_route import RoadRouter

    for key in [k for k, (ref, _) in _ROUTERS.items() if ref() is None]:
        del _ROUTERS[key]  # models no longer loaded
    roads = model.lines.get("roads")
    router = RoadRouter.from_layer(roads) if roads is not None else None
    _ROUTERS[id(model)] = (weakref.ref(model), router)
    return router


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
        from controlroom.panels.incidents.bridge import DispatchBridge
        from controlroom.render.overlays.dispatch_route import RouteTarget

        board = self.live.incidents
        state = board.get(self.selected) if board is not None and self.selected else None
        if state is None or not state.is_open:
            return None
        bridge = self.live.findChild(DispatchBridge)
        units: dict[str, tuple[float, float]] = {}
        if bridge is not None:
            for uid in bridge.units_on(state.id):
                xy = self.unit_xy(uid, bridge.unit_rows.get(uid, {}))
                if xy is not None:
                    units[uid] = xy
        return RouteTarget(state.id, (state.x, state.y), units)

    def unit_xy(self, unit_id: str, row: dict[str, Any]) -> tuple[float, float] | None:
        """Where the feed saw the unit last; else the gateway's position; None if neither."""
        entities = self.live.entities
        if entities is not None and unit_id in entities:
            i = entities.row(unit_id)
            return float(entities.x[i]), float(entities.y[i])
        lon, lat, frame = row.get("lon"), row.get("lat"), self.live.frame
        if frame is None or not isinstance(lon, int | float) or not isinstance(lat, int | float):
            return None
        x, y = frame.from_wgs84([float(lon)], [float(lat)])
        return float(x[0]), float(y[0])

    def router(self) -> RoadRouter | None:
        return road_router_for(self.live.model)


def add_dispatch_route_layer(panel: QWidget, live: LiveCity) -> DispatchRouteOverlay | None:
    """Add the layer to a map panel; clicking a unit's ring selects that unit."""
    from PySide6.QtCore import QCoreApplication

    from controlroom.render.overlays.dispatch_route import DispatchRouteOverlay

    if not hasattr(panel, "add_overlay"):
        return None
    source = RouteSource(live)
    title = QCoreApplication.translate("DispatchRouteLayer", "Dispatch route")
    overlay = DispatchRouteOverlay(source.target, source.router, title=title)
    live.sig_incident_selected.connect(source.select)
    panel.add_overlay(overlay)
    panel.sig_overlay_picked.connect(  # type: ignore[attr-defined]
        lambda key, item_id: live.select_entity(item_id) if key == overlay.key else None
    )
    return overlay
