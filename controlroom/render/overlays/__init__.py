"""Live layers on the 3D map (``render.overlay.MapOverlay``): one merged actor each, updated in place."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from controlroom.render.overlays.base import MeshOverlay, nearest_on_screen, project_points
from controlroom.render.overlays.entities import EntityOverlay
from controlroom.render.overlays.heatmap import HeatmapOverlay
from controlroom.render.overlays.incidents import IncidentOverlay
from controlroom.render.overlays.sensors import SensorOverlay
from controlroom.render.overlays.trails import TrailOverlay

if TYPE_CHECKING:
    from controlroom.core.entities import EntityStore
    from controlroom.core.incidents import IncidentBoard
    from controlroom.core.sensors import SensorStore

__all__ = [
    "EntityOverlay",
    "HeatmapOverlay",
    "IncidentOverlay",
    "MeshOverlay",
    "SensorOverlay",
    "TrailOverlay",
    "feed_overlays",
    "nearest_on_screen",
    "project_points",
]


def feed_overlays(
    entities: Callable[[], EntityStore | None],
    sensors: Callable[[], SensorStore | None],
    incidents: Callable[[], IncidentBoard | None],
    clock: Callable[[], float],
    bounds: tuple[float, float, float, float],
    titles: dict[str, str] | None = None,
) -> list[MeshOverlay]:
    """The feed's overlays, bottom to top, as ``registry.MAP_OVERLAYS`` draws them (headless
    benchmarks; a live map draws through the registry itself)."""
    from controlroom.core.entities import EntityStore
    from controlroom.core.incidents import IncidentBoard
    from controlroom.core.sensors import SensorStore
    from controlroom.render.overlays.registry import MAP_OVERLAYS, DrawContext

    models = [(EntityStore, entities), (SensorStore, sensors), (IncidentBoard, incidents)]
    drawn = MAP_OVERLAYS.draw(models, DrawContext(clock, bounds, titles or {}))
    return [d.overlay for d in drawn if isinstance(d.overlay, MeshOverlay)]
