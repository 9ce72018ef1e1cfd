"""Which overlay draws which model: a registry keyed by model type (as napari's ``layer_to_visual``).

A map asks the registry to draw the models it has — ``(model type, model or its source)`` pairs
— and gets the overlays registered for those types, bottom to top by ``order``, each with what a
click on one of its items does. Adding an overlay is one maker function in its own module and one
``register`` line: the feed's layers are registered here (they draw core models only); the app
registers its own (cameras, alarms, the dispatch route, the flood what-if) in ``app.map_overlays``.
A maker gets the model (or a callable returning the shown one, which follows a replay) and a
``DrawContext``; it returns a ``Drawn``, or ``None`` when it has nothing to draw on this map.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from controlroom.core.entities import EntityStore
from controlroom.core.incidents import IncidentBoard
from controlroom.core.sensors import SensorStore
from controlroom.render.overlay import MapOverlay
from controlroom.render.overlays.entities import EntityOverlay
from controlroom.render.overlays.heatmap import HeatmapOverlay
from controlroom.render.overlays.incidents import IncidentOverlay
from controlroom.render.overlays.sensors import SensorOverlay
from controlroom.render.overlays.trails import TrailOverlay


@dataclass(frozen=True)
class DrawContext:
    """What a maker may use: the clock, the city's extent, translated titles, the map and its city."""

    clock: Callable[[], float]
    bounds: tuple[float, float, float, float] = (0.0, 1.0, 0.0, 1.0)
    titles: Mapping[str, str] = field(default_factory=dict)
    #: The map panel drawing (a Qt widget; makers in qt/app use it, render's never do).
    host: Any = None
    #: The app instance's live city (``qt.live.LiveCity``) when drawn on a live map.
    live: Any = None


@dataclass(frozen=True)
class Drawn:
    """An overlay and what a click on one of its items does (``on_pick(item_id)``)."""

    overlay: MapOverlay
    on_pick: Callable[[str], None] | None = None


Maker = Callable[[Any, DrawContext], "Drawn | MapOverlay | None"]


@dataclass(frozen=True)
class _Entry:
    model_type: type
    maker: Maker
    order: int


class OverlayRegistry:
    def __init__(self) -> None:
        self._entries: list[_Entry] = []

    def register(self, model_type: type, maker: Maker, *, order: int) -> None:
        """Draw models of ``model_type`` with ``maker``; lower ``order`` is drawn (and listed) first."""
        if any(e.model_type is model_type and e.maker is maker for e in self._entries):
            return  # registering module imported twice
        self._entries.append(_Entry(model_type, maker, order))

    def model_types(self) -> set[type]:
        return {e.model_type for e in self._entries}

    def draw(self, models: Iterable[tuple[type, Any]], ctx: DrawContext) -> list[Drawn]:
        """The overlays for these models, by order; a model type nobody draws is skipped."""
        made: list[tuple[int, int, Drawn]] = []
        for n, (model_type, model) in enumerate(models):
            for entry in self._entries:
                if not issubclass(model_type, entry.model_type):
                    continue
                result = entry.maker(model, ctx)
                if result is None:
                    continue
                drawn = result if isinstance(result, Drawn) else Drawn(result)
                if drawn.overlay.key in ctx.titles:
                    drawn.overlay.title = ctx.titles[drawn.overlay.key]
                made.append((entry.order, n, drawn))
        return [d for _, _, d in sorted(made, key=lambda t: (t[0], t[1]))]


#: The one registry every map draws from.
MAP_OVERLAYS = OverlayRegistry()

# The feed's layers, bottom to top: heatmap, sensors, trails, entities, incidents.
MAP_OVERLAYS.register(EntityStore, lambda src, ctx: HeatmapOverlay(src, ctx.bounds), order=10)
MAP_OVERLAYS.register(SensorStore, lambda src, ctx: SensorOverlay(src, ctx.clock), order=20)
MAP_OVERLAYS.register(EntityStore, lambda src, ctx: TrailOverlay(src, ctx.clock), order=30)
MAP_OVERLAYS.register(EntityStore, lambda src, ctx: EntityOverlay(src, ctx.clock), order=40)
MAP_OVERLAYS.register(IncidentBoard, lambda src, ctx: IncidentOverlay(src, ctx.clock), order=50)
