"""The flood what-if on the desk: its panel, its map layers, and its hold on dispatch routes.

The live city's ``FloodState`` is shared: the panel sets the level, every map draws the water and
the buildings from ``state.source``, and the state closes the cut roads on the road graph the
dispatch route layer routes on (``dispatch_route_wiring.apply_flood_to_routes``) while the
operator has "Dispatch routes avoid cut roads" ticked.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from controlroom.qt.flood_state import FloodState
    from controlroom.qt.live import LiveCity
    from controlroom.render.overlays.flood import FloodBuildingsOverlay, FloodWaterOverlay
    from controlroom.render.overlays.registry import DrawContext


def flood_state(live: LiveCity) -> FloodState:
    """The live city's flood what-if, wired to the dispatch road graph."""
    from controlroom.app.dispatch_route_wiring import apply_flood_to_routes
    from controlroom.qt.flood_state import flood_state_for

    state = flood_state_for(live)
    if state.close_roads is None:
        state.close_roads = lambda extent, cut_m: apply_flood_to_routes(live.model, extent, cut_m)
    return state


def make_flood_panel(live: LiveCity) -> QWidget:
    from controlroom.panels.flood import FloodPanel

    flood_state(live)
    return FloodPanel(live)


def flood_water_layer(state: FloodState, ctx: DrawContext) -> FloodWaterOverlay:
    """The water sheet on a map panel (empty until a level is set)."""
    from PySide6.QtCore import QCoreApplication

    from controlroom.render.overlays.flood import FloodWaterOverlay

    layers = getattr(ctx.host, "layers", None)
    if layers is not None and hasattr(layers, "on_feed_tick"):
        # a new level redraws the map now (at most MAX_REFRESH_HZ), not at the next 4 Hz clock tick:
        # dragging the slider is what the operator watches
        state.sig_impact_changed.connect(lambda _impact: layers.on_feed_tick())
    return FloodWaterOverlay(state.source, title=QCoreApplication.translate("FloodLayer", "Flood water"))


def flood_buildings_layer(state: FloodState, ctx: DrawContext) -> FloodBuildingsOverlay:
    """The flooded buildings on a map panel, coloured by water depth at their ground floor."""
    from PySide6.QtCore import QCoreApplication

    from controlroom.render.overlays.flood import FloodBuildingsOverlay

    buildings = functools.partial(ctx.live.state.city_layer, "buildings")
    title = QCoreApplication.translate("FloodLayer", "Flooded buildings")
    return FloodBuildingsOverlay(state.source, buildings, title=title)
