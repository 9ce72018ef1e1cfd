"""Overlays are registered by the model type they draw; a map draws what its models call for."""

from __future__ import annotations

from controlroom.core.entities import EntityStore
from controlroom.core.incidents import IncidentBoard
from controlroom.core.sensors import SensorStore
from controlroom.render.overlays import feed_overlays
from controlroom.render.overlays.registry import MAP_OVERLAYS, DrawContext, Drawn, OverlayRegistry
from controlroom.render.overlays.sensors import SensorOverlay

T0 = 1_800_000_000.0


def test_the_feed_models_are_drawn_bottom_to_top_with_the_maps_titles() -> None:
    stores = (EntityStore(), SensorStore(), IncidentBoard())
    overlays = feed_overlays(
        *(lambda s=s: s for s in stores), lambda: T0, (0, 10, 0, 10), {"trails": "Spuren"}
    )
    assert [o.key for o in overlays] == ["heatmap", "sensors", "trails", "entities", "incidents"]
    assert overlays[2].title == "Spuren"


def test_a_new_model_type_is_one_maker_and_one_line_and_picks_go_to_its_handler() -> None:
    class Gauges(SensorStore):
        """A new model: drawn by what its base type registered, plus its own layer."""

    picked: list[str] = []
    registry = OverlayRegistry()
    registry.register(SensorStore, lambda src, ctx: SensorOverlay(src, ctx.clock), order=20)
    registry.register(
        Gauges, lambda src, ctx: Drawn(SensorOverlay(src, ctx.clock, title="Gauges"), picked.append), order=5
    )
    registry.register(IncidentBoard, lambda src, ctx: None, order=1)  # nothing to draw on this map
    gauges = Gauges()
    drawn = registry.draw([(Gauges, lambda: gauges), (IncidentBoard, IncidentBoard)], DrawContext(lambda: T0))
    assert [(d.overlay.title, d.on_pick is not None) for d in drawn] == [("Gauges", True), ("Sensors", False)]
    assert drawn[0].on_pick is not None
    drawn[0].on_pick("G-1")
    assert picked == ["G-1"]
    assert {EntityStore, SensorStore, IncidentBoard} <= MAP_OVERLAYS.model_types()
