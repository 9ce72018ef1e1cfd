"""The desk's flood what-if: one per live city, shared by the what-if panel and every map.

The scene (terrain, river cells, buildings' and roads' samples, admin grids) is built once per
loaded city in a background task. A level is then answered on the GUI thread when the last answer
took under ``SYNC_LIMIT_S`` (the sample site: ~15 ms), else in a background task; while one runs,
newer levels only replace the one waiting, so dragging the slider never queues up stale work.
Maps read ``source()`` (a version and the current impact) on their clock; the panel listens to
``sig_impact_changed``. "Apply to dispatch routes" closes the cut roads on the road graph the
dispatch route layer uses, and re-closes them on every new level until it is switched off.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from controlroom.qt.worker import BackgroundTask

if TYPE_CHECKING:
    from controlroom.geo.flood import FloodExtent
    from controlroom.geo.flood_whatif import FloodImpact, FloodScene
    from controlroom.qt.live import LiveCity

SYNC_LIMIT_S = 0.05


def river_alarm_level(alarm: Any, rules: Sequence[Any], sensors: Any) -> float | None:
    """The river level a river-gauge alarm asks about: the line a forecast says will be crossed
    (or the reading, when higher); the reading for a real alarm. None for any other alarm."""
    rule = next((r for r in rules if getattr(r, "id", None) == alarm.rule_id), None)
    kind = getattr(rule, "sensor_kind", None)
    if kind is None and sensors is not None and alarm.subject in sensors.ids:
        kind = sensors.reading(alarm.subject)[0]
    if kind != "river_level":
        return None
    line = getattr(rule, "above", None)
    value = float(alarm.value)
    if alarm.predicted and line is not None:
        return max(float(line), value) if math.isfinite(value) else float(line)
    return value if math.isfinite(value) else (float(line) if line is not None else None)


def flood_state_for(live: LiveCity) -> FloodState:
    """The one flood what-if of a live city (made on first use)."""
    if live.flood_state is None:
        live.flood_state = FloodState(live)
    return live.flood_state


class FloodState(QObject):
    sig_scene_ready = Signal()
    sig_failed = Signal(str)  # the scene could not be built (no terrain, unreadable DEM …)
    sig_impact_changed = Signal(object)  # FloodImpact | None

    def __init__(self, live: LiveCity) -> None:
        super().__init__(live)
        self.live = live
        self.scene: FloodScene | None = None
        self.impact: FloodImpact | None = None
        self.version = 0
        self.error = ""
        self.routes_applied = False
        #: a site without [terrain]: the operator chose the flat-ground approximation
        self.flat_ground = False
        #: closes the cut roads on the dispatch road graph (set by the app, which owns that graph)
        self.close_roads: Callable[[FloodExtent | None, float], int] | None = None
        self.last_compute_s = 0.0
        self._scene_task: BackgroundTask | None = None
        self._task: BackgroundTask | None = None
        self._pending: tuple[float, tuple[float, float] | None] | None = None
        self._wanted: tuple[float, tuple[float, float] | None] | None = None
        self._want_scene = False
        live.sig_city_loaded.connect(self._on_city_loaded)
        live.sig_stopped.connect(self.stop)
        live.sig_flood_what_if.connect(self._on_what_if_requested)

    # ------------------------------------------------------------------ scene
    def ensure_scene(self) -> None:
        """Build the scene for the loaded city (once); ``sig_scene_ready`` or ``sig_failed``."""
        if self.live.model is None:
            self._want_scene = True  # build as soon as the city is loaded
            return
        if self.scene is not None or self._scene_task is not None:
            return
        site, model, flat = self.live.site, self.live.model, self.flat_ground

        def job(progress: Any) -> FloodScene:
            from controlroom.geo.crs import LocalFrame
            from controlroom.geo.flood_site import NoTerrainError, scene_for

            if site.terrain is None and not flat:
                raise NoTerrainError(
                    f"{site.path}: the site has no [terrain]; the what-if needs ground heights "
                    f"(see docs/site.md)"
                )
            levels = None
            if site.boundaries:
                from controlroom.dispatch.routing import AdminRouter

                router = AdminRouter(site.boundaries, site.dispatch)
                levels = {
                    lv: (list(v.frame.geometry), list(v.names))
                    for lv, v in router.levels.items()
                    if lv in ("district", "street", "grid")
                }
            scene = scene_for(site, model, LocalFrame.of_model(model), admin_levels=levels, flat_ground=flat)
            scene.prepare_levels()  # here, off the GUI thread: then every slider level is a comparison
            for level in ("district", "street", "grid"):  # every building's and road sample's area
                scene.label_codes(level)
            return scene

        task = BackgroundTask(job, self)
        task.sig_finished.connect(self._on_scene)
        task.sig_failed.connect(self._on_scene_failed)
        self._scene_task = task
        task.start()

    def use_flat_ground(self) -> None:
        """A site without terrain: build the flat-ground approximation (``scene_for``) instead."""
        if self.live.site.terrain is not None or self.flat_ground:
            return
        self.flat_ground, self.error = True, ""
        self.ensure_scene()

    def _on_city_loaded(self, _model: object) -> None:
        self.scene, self.impact, self.error = None, None, ""
        self._bump(None)
        if self._want_scene or self._wanted is not None:
            self.ensure_scene()

    def _on_scene(self, scene: object) -> None:
        self._scene_task = None
        self.scene = scene  # type: ignore[assignment]
        self.sig_scene_ready.emit()
        if self._wanted is not None:
            self.set_level(*self._wanted)

    def _on_scene_failed(self, message: str) -> None:
        self._scene_task = None
        self.error = message
        self.sig_failed.emit(message)

    # ------------------------------------------------------------------ levels
    def set_level(self, level_m: float, breach: tuple[float, float] | None = None) -> None:
        """Flood to ``level_m`` (absolute, metres); the result arrives as ``sig_impact_changed``."""
        self._wanted = (level_m, breach)
        if self.scene is None:
            self.ensure_scene()
            return
        if self._task is not None:
            self._pending = (level_m, breach)
            return
        if self.last_compute_s <= SYNC_LIMIT_S:
            self._publish(self._compute(self.scene, level_m, breach))
            return
        scene = self.scene
        task = BackgroundTask(lambda progress: self._compute(scene, level_m, breach), self)
        task.sig_finished.connect(self._on_computed)
        task.sig_failed.connect(self._on_compute_failed)
        self._task = task
        task.start()

    def _compute(self, scene: FloodScene, level_m: float, breach: tuple[float, float] | None) -> FloodImpact:
        t0 = time.perf_counter()
        impact = scene.impact(scene.at(level_m, breach))
        self.last_compute_s = time.perf_counter() - t0
        return impact

    def _on_computed(self, impact: object) -> None:
        self._task = None
        self._publish(impact)  # type: ignore[arg-type]
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self.set_level(*pending)

    def _on_compute_failed(self, message: str) -> None:
        self._task = None
        self.error = message
        self.sig_failed.emit(message)

    @property
    def wanted_level(self) -> float | None:
        """The level last asked for (shown or still being computed), None when cleared."""
        return self._wanted[0] if self._wanted is not None else None

    def _on_what_if_requested(self, level_m: float, _why: str) -> None:
        self.set_level(level_m)

    def clear(self) -> None:
        """No what-if: the map shows no water, routes use every road."""
        self._wanted = self._pending = None
        self._publish(None)

    def _publish(self, impact: FloodImpact | None) -> None:
        self.impact = impact
        if self.routes_applied:
            self._apply_routes()
        self._bump(impact)

    def _bump(self, impact: FloodImpact | None) -> None:
        self.version += 1
        self.sig_impact_changed.emit(impact)

    def source(self) -> tuple[int, FloodImpact | None]:
        """What the map overlays draw."""
        return self.version, self.impact

    # ------------------------------------------------------------------ dispatch routes
    def apply_to_routes(self, on: bool) -> int:
        """While on, dispatch routes avoid the roads this what-if cuts; returns closed edges."""
        self.routes_applied = on
        return self._apply_routes()

    def _apply_routes(self) -> int:
        if self.close_roads is None:
            return 0
        impact = self.impact if self.routes_applied else None
        cut = self.scene.config.road_cut_depth_m if self.scene is not None else 0.3
        return self.close_roads(impact.extent if impact is not None else None, cut)

    def gauge_levels(self) -> dict[str, float]:
        """Latest reading of every river-level gauge on the live feed (metres)."""
        sensors = self.live.sensors
        if sensors is None or not len(sensors):
            return {}
        code = sensors.kinds.index("river_level") if "river_level" in sensors.kinds else -1
        return {
            sid: float(v)
            for sid, k, v in zip(sensors.ids, sensors.kind.tolist(), sensors.value.tolist(), strict=True)
            if k == code
        }

    def forecast_levels(self) -> dict[str, float]:
        """Open river alarms still only forecast: their title → the level they forecast."""
        from controlroom.qt.alarm_service import existing_alarm_service

        service = existing_alarm_service(self.live)
        if service is None:
            return {}
        rules = service.rules
        out = {}
        for a in service.open_alarms():
            level = river_alarm_level(a, rules, self.live.sensors) if a.predicted else None
            if level is not None:
                out[a.title] = level
        return out

    def stop(self) -> None:
        for task in (self._task, self._scene_task):
            if task is not None and task.is_running():
                task.stop()
        self._task = self._scene_task = None
