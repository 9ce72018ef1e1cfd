"""The Qt face of an app instance's live picture: ``LiveState`` events as queued Qt signals.

The state itself (feed models, dispatch desk, mode, operator intents) is ``live.LiveState``,
Qt-free and alive from start-up; this adapter loads the city off the GUI thread, ticks the
state's feed pump (``LiveState.pump_feed``) on a Qt timer at a fixed rate, and turns the state's
typed events into the signals panels connect to. The state delivers on the GUI thread (it is
given ``qt.gui_thread.GuiHandover.post`` for events raised elsewhere, so a writer on another
thread — the history player — still reaches the panels there). Each pump tick that changed
something emits ``sig_tick(ChangeSet)`` once, so panels update in place and the views render
once per tick.

Panels never import each other (import-linter), so anything one panel asks of another goes
through the state: the incident list asks the map to fly somewhere (``request_focus``), the
camera layer asks the video grid to open cameras (``request_cameras``).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from controlroom.core.site import Site
from controlroom.feed.pump import PUMP_HZ, ChangeSet
from controlroom.live import LiveState
from controlroom.live import events as ev
from controlroom.qt.gui_gc import collect_on_gui_thread
from controlroom.qt.gui_thread import GuiHandover
from controlroom.qt.worker import BackgroundTask, Progress

if TYPE_CHECKING:
    from controlroom.core.city import CityModel
    from controlroom.core.entities import EntityStore
    from controlroom.core.feed_stats import FeedStats
    from controlroom.core.incidents import IncidentBoard
    from controlroom.core.metrics import MetricSeries
    from controlroom.core.sensors import SensorStore
    from controlroom.feed.site_feed import SiteFeed
    from controlroom.geo.crs import LocalFrame
    from controlroom.live.desk import DispatchDesk
    from controlroom.qt.alarm_service import AlarmService
    from controlroom.qt.dispatch_bridge import DispatchBridge
    from controlroom.qt.flood_state import FloodState

log = logging.getLogger(__name__)

TICK_HZ = PUMP_HZ  # the feed's apply rate; each view decides how often it redraws
STATUS_HZ = 1.0  # feed status refresh (msgs/s, last heard)


def _load_job(site: Site) -> Callable[[Progress], CityModel]:
    def job(progress: Progress) -> CityModel:
        from controlroom.geo.city_loader import load_city

        return load_city(site, progress=progress)

    return job


class LiveCity(QObject):
    """The Qt adapter of one instance's ``LiveState``: city loading, the pump clock, signals.

    ``clock`` returns seconds since the epoch (the feed's time base); tests pass their own.
    ``feed=False`` shows the static city only (no subscriber thread).
    """

    sig_load_progress = Signal(float, str)
    sig_city_loaded = Signal(object)  # CityModel
    sig_city_failed = Signal(str)
    sig_feed_started = Signal()
    sig_tick = Signal(object)  # ChangeSet, only for ticks that changed something
    sig_feed_status = Signal(object)  # FeedStats.snapshot(now) dict, at STATUS_HZ
    #: ``stop()`` was called: services built on this instance stop their timers and threads.
    sig_stopped = Signal()
    #: LIVE / REPLAY (``live.events.Mode``): the shown models changed source.
    sig_mode_changed = Signal(object)
    # Operator intents, asked by one panel and carried out by others.
    sig_focus = Signal(float, float, float, str)  # x, y (local metres), distance_m, label
    sig_open_cameras = Signal(object, str)  # list of camera ids, a title for the grid
    sig_cameras_around = Signal(float, float, str)  # x, y (local metres), title: open the nearest cameras
    sig_incident_selected = Signal(str)
    sig_entity_selected = Signal(str)
    sig_object_selected = Signal(object)  # the picked city object's record (dict), or None when cleared
    sig_create_incident = Signal(object)  # dict: type, severity, x, y, text, camera_ids, source
    sig_flood_what_if = Signal(float, str)  # water level (m), why (an alarm's title): open the what-if
    # The dispatch desk (``state.desk``), after it took the gateway's words.
    sig_desk_changed = Signal(object)  # live.events.DeskChanged
    sig_assignment = Signal(str, str)  # incident id ("" once released), unit id
    sig_detail_read = Signal(str)  # incident id: its detail and timeline are in the desk
    sig_suggestions_read = Signal(str)  # incident id: ``desk.suggestions[id]`` is new
    sig_order_answered = Signal(object)  # dispatch.outbox.OrderEntry
    sig_gateway_event = Signal(object)  # dispatch.wire.Event, after the desk took it
    sig_dispatch_link = Signal(str)  # why the gateway does not answer ("" once it does)

    def __init__(
        self,
        site: Site,
        parent: QObject | None = None,
        *,
        feed: bool = True,
        tick_hz: float = TICK_HZ,
        clock: Callable[[], float] = time.time,
        state: LiveState | None = None,
    ) -> None:
        super().__init__(parent)
        collect_on_gui_thread()  # before this instance starts its loader and feed threads
        self.site = site
        self.clock = clock
        self.state = state if state is not None else LiveState.for_site(site, clock)
        self.feed: SiteFeed | None = None
        self.load_error: str | None = None
        self.tile_memory_mb = site.city.memory_mb  # the map's tile budget (``--memory-mb`` overrides)
        self._want_feed = feed
        self._feed_started_once = False
        self._task: BackgroundTask | None = None
        self._tick = QTimer(self)
        self._tick.setInterval(max(1, int(1000 / tick_hz)))
        self._tick.timeout.connect(self.state.pump_feed)
        self._status = QTimer(self)
        self._status.setInterval(int(1000 / STATUS_HZ))
        self._status.timeout.connect(self._emit_status)
        self.handover = GuiHandover(self)
        #: The dispatch desk's Qt bridge, once something needs the gateway (``DispatchBridge.for_live``).
        self.dispatch_bridge: DispatchBridge | None = None
        #: The instance's shared services, made on first use (``alarm_service_for``, ``flood_state_for``).
        self.alarm_service: AlarmService | None = None
        self.flood_state: FloodState | None = None
        self.state.deliver_on_this_thread(self.handover.post)
        for kind, emit in _SIGNALS.items():
            self.state.subscribe(kind, functools.partial(emit, self))

    # ------------------------------------------------------------------ state
    @property
    def loaded(self) -> bool:
        return self.model is not None

    @property
    def model(self) -> CityModel | None:
        return self.state.model

    @property
    def frame(self) -> LocalFrame | None:
        return self.state.frame

    @property
    def entities(self) -> EntityStore:
        return self.state.entities

    @property
    def sensors(self) -> SensorStore:
        return self.state.sensors

    @property
    def incidents(self) -> IncidentBoard:
        return self.state.incidents

    @property
    def metrics(self) -> MetricSeries:
        return self.state.metrics

    @property
    def desk(self) -> DispatchDesk:
        return self.state.desk

    @property
    def stats(self) -> FeedStats | None:
        return self.feed.stats if self.feed else None

    # -------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Load the city off the GUI thread; the feed starts once the extent is known."""
        self._task = BackgroundTask(_load_job(self.site), self)
        self._task.sig_progress.connect(self.sig_load_progress)
        self._task.sig_finished.connect(self._on_loaded)
        self._task.sig_failed.connect(self._on_failed)
        self._task.start()

    def set_model(self, model: CityModel) -> None:
        """Use an already loaded city (tests, a second window of the same instance)."""
        self._on_loaded(model)

    def start_feed(self, *, endpoint: str | None = None, snapshot_endpoint: str | None = None) -> None:
        """Subscribe to the site's feed (or the given endpoints) and start the pump clock."""
        from controlroom.feed.site_feed import open_site_feed

        if self.model is None or self.frame is None:
            raise RuntimeError("start_feed needs the city model (its extent validates positions)")
        self.stop_feed()
        if self._feed_started_once:
            self.state.reset_live()  # other endpoints: nothing of the old feed carries over
        self._feed_started_once = True
        models = self.state.live
        self.feed = open_site_feed(
            self.site,
            city=self.model,
            frame=self.frame,
            endpoint=endpoint,
            snapshot_endpoint=snapshot_endpoint,
            entities=models.entities,
            sensors=models.sensors,
            incidents=models.incidents,
            metrics=models.metrics,
        ).start()
        self.state.feed_pump = self.feed.pump
        self._tick.start()
        self._status.start()
        self.sig_feed_started.emit()

    def stop_feed(self) -> None:
        self._tick.stop()
        self._status.stop()
        self.state.feed_pump = None
        if self.feed is not None:
            self.feed.stop()
            self.feed = None

    def stop(self) -> None:
        """Stop the feed and the dispatch client, wait for a running load (the app calls this at
        exit, then ``feed.service_thread.stop_all_service_threads`` for whatever else still runs)."""
        self.stop_feed()
        if self.dispatch_bridge is not None:
            self.dispatch_bridge.shutdown()
        if self._task is not None and self._task.is_running():
            self._task.wait()
        self.state.stop()

    # ------------------------------------------------------------------ ticks
    def pump_now(self) -> None:
        """One pump tick, as the timer's (``LiveState.pump_feed``): for tests that step the clock."""
        self.state.pump_feed()

    @Slot()
    def _emit_status(self) -> None:
        if self.feed is not None:
            snapshot = self.feed.stats.snapshot(self.clock())
            # each source's own rate from its heartbeat (a bridge: messages/s from its upstream)
            sources: dict[str, dict[str, object]] = snapshot["sources"]  # type: ignore[assignment]
            for name, beat in list(self.feed.pump.heartbeats.items()):
                if name in sources:
                    sources[name]["rate_hz"] = beat.rate_hz
            self.sig_feed_status.emit(snapshot)

    # ---------------------------------------------------------------- intents
    def request_flood_what_if(self, level_m: float, why: str = "") -> None:
        """Ask the flood what-if (its panel and the maps' water) to show this river level."""
        self.state.request_flood_what_if(level_m, why)

    def request_focus(self, x: float, y: float, distance_m: float = 800.0, label: str = "") -> None:
        """Ask the map(s) to fly to a place given in the site's local frame."""
        self.state.request_focus(x, y, distance_m, label)

    def request_focus_lonlat(
        self, lon: float, lat: float, distance_m: float = 800.0, label: str = ""
    ) -> None:
        if self.frame is None:
            return
        x, y = self.frame.from_wgs84([lon], [lat])
        self.request_focus(float(x[0]), float(y[0]), distance_m, label)

    def request_cameras(self, camera_ids: list[str], title: str = "") -> None:
        """Ask the video grid to open these cameras (nearest first)."""
        self.state.request_cameras(camera_ids, title)

    def request_cameras_around(self, x: float, y: float, title: str = "") -> None:
        """Ask the video side to open the site's N nearest cameras to a local-frame point."""
        self.state.request_cameras_around(x, y, title)

    def request_incident(self, fields: dict[str, object]) -> None:
        """Ask the dispatch side to raise an incident (an alarm turned into an incident)."""
        self.state.request_incident(fields)

    def select_incident(self, incident_id: str) -> None:
        self.state.select_incident(incident_id)

    def select_object(self, layer_kind: str | None, index: int = -1) -> None:
        """A city object was picked on a map (``None`` clears): every selection panel shows it."""
        if layer_kind is None or self.model is None or layer_kind not in self.model.layers:
            self.state.select_record(None)
            return
        self.state.select_record(self.model.record(layer_kind, index))

    def select_feature(self, feature: dict[str, object]) -> None:
        """A building picked on streamed tiles: its feature-table row, shaped like a city record."""
        builtin = ("id", "type", "name", "height", "lod", "parent")
        record: dict[str, object] = {k: feature.get(k) for k in builtin}
        # An attribute named like a built-in column is stored as "attributes.<name>" in the tile's
        # table (geo.tiles.build); in the record it is the attribute <name>, as on a single mesh.
        record["attributes"] = {
            (k.removeprefix("attributes.") if k.removeprefix("attributes.") in builtin else k): v
            for k, v in feature.items()
            if k not in builtin
        }
        record["layer"] = "buildings"
        self.state.select_record(record)

    def select_entity(self, entity_id: str) -> None:
        self.state.select_entity(entity_id)

    # -------------------------------------------------------------- internals
    @Slot(object)
    def _on_loaded(self, model: CityModel) -> None:
        from controlroom.geo.crs import LocalFrame

        self.state.set_city(model, LocalFrame.of_model(model))
        self.sig_city_loaded.emit(model)
        if self._want_feed and self.feed is None:
            try:
                self.start_feed()
            except Exception as exc:  # a feed misconfiguration must not hide the city
                log.error("feed not started: %s", exc)
                self.load_error = f"feed not started: {exc}"

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.load_error = message
        self.sig_city_failed.emit(message)


def _everything(live: LiveCity) -> ChangeSet:
    """What a swap of the shown models changed, as a tick: every model, in full."""
    state = live.state
    return ChangeSet(
        entities_updated=max(1, len(state.entities)),
        sensors_updated=len(state.sensors),
        incidents_updated=len(state.incidents),
        metrics_changed=set(state.metrics.names()),
    )


#: The state's events → this adapter's signals (each emitted on the GUI thread).
_SIGNALS: dict[type, Callable[[LiveCity, Any], None]] = {
    ev.ModelsChanged: lambda lc, e: lc.sig_tick.emit(e.change),
    ev.ModelsReplaced: lambda lc, e: lc.sig_tick.emit(_everything(lc)),
    ev.ModeChanged: lambda lc, e: lc.sig_mode_changed.emit(e.mode),
    ev.Stopped: lambda lc, e: lc.sig_stopped.emit(),
    ev.FocusRequested: lambda lc, e: lc.sig_focus.emit(e.x, e.y, e.distance_m, e.label),
    ev.CamerasRequested: lambda lc, e: lc.sig_open_cameras.emit(list(e.camera_ids), e.title),
    ev.CamerasAroundRequested: lambda lc, e: lc.sig_cameras_around.emit(e.x, e.y, e.title),
    ev.IncidentSelected: lambda lc, e: lc.sig_incident_selected.emit(e.incident_id),
    ev.EntitySelected: lambda lc, e: lc.sig_entity_selected.emit(e.entity_id),
    ev.ObjectSelected: lambda lc, e: lc.sig_object_selected.emit(e.record),
    ev.IncidentRequested: lambda lc, e: lc.sig_create_incident.emit(dict(e.fields)),
    ev.FloodWhatIfRequested: lambda lc, e: lc.sig_flood_what_if.emit(e.level_m, e.why),
    ev.DeskChanged: lambda lc, e: lc.sig_desk_changed.emit(e),
    ev.AssignmentChanged: lambda lc, e: lc.sig_assignment.emit(e.incident_id, e.unit_id),
    ev.DetailRead: lambda lc, e: lc.sig_detail_read.emit(e.incident_id),
    ev.SuggestionsRead: lambda lc, e: lc.sig_suggestions_read.emit(e.incident_id),
    ev.OrderAnswered: lambda lc, e: lc.sig_order_answered.emit(e.entry),
    ev.GatewayEventTaken: lambda lc, e: lc.sig_gateway_event.emit(e.event),
    ev.LinkChanged: lambda lc, e: lc.sig_dispatch_link.emit(e.problem),
}
