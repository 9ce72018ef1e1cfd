"""The app's map layers in the overlay registry, one line each, and the models a map draws.

``render.overlays.registry`` registers the feed's layers (they draw core models); the layers
here need the app (the video grid, the alarm service, the dispatch desk, the flood what-if).
Adding a layer: a maker function in its own module, one ``register`` line below, and its model
in ``instance_models`` when the map does not have it yet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from controlroom.app.alarm_layer import alarm_layer
from controlroom.app.camera_wiring import SiteCameras, camera_layer
from controlroom.app.dispatch_route_wiring import route_layer
from controlroom.app.flood_wiring import flood_buildings_layer, flood_state, flood_water_layer
from controlroom.live.desk import DispatchDesk
from controlroom.qt.alarm_service import AlarmService, alarm_service_for
from controlroom.qt.flood_state import FloodState
from controlroom.render.overlays.registry import MAP_OVERLAYS, DrawContext

if TYPE_CHECKING:
    from controlroom.panels.map3d import MapPanel
    from controlroom.qt.live import LiveCity

MAP_OVERLAYS.register(SiteCameras, camera_layer, order=100)  # click a camera → its live video
MAP_OVERLAYS.register(AlarmService, alarm_layer, order=110)  # open alarms flash at their place
MAP_OVERLAYS.register(DispatchDesk, route_layer, order=120)  # the selected incident, its unit's route
MAP_OVERLAYS.register(FloodState, flood_water_layer, order=130)  # the flood what-if's water …
MAP_OVERLAYS.register(FloodState, flood_buildings_layer, order=140)  # … and flooded buildings


def instance_models(live: LiveCity) -> list[tuple[type, Any]]:
    """The models of an app instance a map draws besides the feed's (each made once per instance)."""
    return [
        (SiteCameras, SiteCameras(live)),
        (AlarmService, alarm_service_for(live)),
        (DispatchDesk, live.desk),
        (FloodState, flood_state(live)),
    ]


def draw_instance_layers(panel: MapPanel, live: LiveCity) -> None:
    """Add every registered layer of the instance's models to a map panel."""
    ctx = DrawContext(live.clock, host=panel, live=live)
    for drawn in MAP_OVERLAYS.draw(instance_models(live), ctx):
        panel.add_overlay(drawn.overlay, drawn.on_pick)
