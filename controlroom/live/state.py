"""``LiveState``: the one live picture of an app instance, written by sources, read by views.

It exists from start-up (the models are empty until a feed speaks), so no reader has to ask
"is there a feed yet?". Writers go through three entries, each tagged with its ``Source``:

- ``apply(change, source=…, at=…)`` after a writer changed the models in place (a pump tick,
  ``pump_feed``: the pump writes into ``state.live``; a replay step: the player writes into the
  models it gave ``enter_replay``). It emits ``ModelsChanged`` when the change is on screen.
- ``enter_replay(models, at)`` / ``replace_all(models, at)`` / ``return_to_live()`` swap the
  shown models: REPLAY shows the player's models at a past instant while the live sources keep
  writing into ``state.live`` unseen, so going back to LIVE is instant and current.
- the dispatch desk (``state.desk``) takes the gateway's replies and events.

Operator intents (fly to, open cameras, select) are methods that emit typed events; a panel asks
the state, another panel listens.

The state is evented itself (as napari's evented models are): ``subscribe`` names a
``live.events`` class, ``emit`` calls its subscribers in order. Subscribers run on the state's
home thread: once the Qt adapter calls ``deliver_on_this_thread(post)`` (from the GUI thread), an
event raised on another thread (the history player's) is handed over through ``post``, and one
raised on the home thread is delivered at once, so the GUI's own writes reach their readers
without a queue. Without an adapter (headless tools, tests) events are delivered where raised.
"""

from __future__ import annotations

import functools
import logging
import operator
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from controlroom.core.entities import EntityStore
from controlroom.core.incidents import IncidentBoard
from controlroom.core.metrics import MetricSeries
from controlroom.core.sensors import SensorStore
from controlroom.live.desk import DispatchDesk
from controlroom.live.events import (
    CamerasAroundRequested,
    CamerasRequested,
    CityLoaded,
    E,
    EntitySelected,
    FloodWhatIfRequested,
    FocusRequested,
    IncidentRequested,
    IncidentSelected,
    Mode,
    ModeChanged,
    ModelsChanged,
    ModelsReplaced,
    ObjectSelected,
    Source,
    Stopped,
)

if TYPE_CHECKING:
    from controlroom.core.city import CityLayer, CityModel
    from controlroom.core.site import Site
    from controlroom.feed.pump import ChangeSet, FeedPump
    from controlroom.geo.crs import LocalFrame
    from controlroom.geo.road_route import RoadRouter

log = logging.getLogger(__name__)

M = TypeVar("M", EntityStore, SensorStore, IncidentBoard, MetricSeries)


@dataclass
class FeedModels:
    """The four models the feed fills; one set is live, a replay brings its own."""

    entities: EntityStore
    sensors: SensorStore
    incidents: IncidentBoard
    metrics: MetricSeries

    @classmethod
    def empty(cls, entity_timeouts_s: Mapping[str, float] | None = None) -> FeedModels:
        return cls(
            EntityStore(timeouts_s=entity_timeouts_s or None), SensorStore(), IncidentBoard(), MetricSeries()
        )

    def of_type(self, model_type: type[M]) -> M:
        model: M = getattr(self, self.name_of(model_type))
        return model

    def name_of(self, model_type: type[M]) -> str:
        """The field holding the model of this type ("entities" for ``EntityStore`` …)."""
        for name in ("entities", "sensors", "incidents", "metrics"):
            if isinstance(getattr(self, name), model_type):
                return name
        raise KeyError(f"the feed has no {model_type.__name__}")


class LiveState:
    """Feed models, city, dispatch desk, mode and operator intents of one app instance."""

    def __init__(
        self,
        *,
        entity_timeouts_s: Mapping[str, float] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._subscribers: dict[type, list[Callable[[Any], None]]] = {}
        self._lock = threading.Lock()
        #: The thread subscribers run on and how another thread's events get there (None: anywhere).
        self._home: int | None = None
        self._post: Callable[..., None] | None = None
        self._posted = 0  # events handed to ``_post``, not yet delivered: later ones queue behind
        self.clock = clock
        self._entity_timeouts_s = dict(entity_timeouts_s or {})
        #: What the live sources write into, whatever is shown.
        self.live = FeedModels.empty(self._entity_timeouts_s)
        self._shown = self.live
        self.mode = Mode.LIVE
        #: The instant shown in REPLAY (seconds since the epoch); None while LIVE.
        self.replay_at: float | None = None
        self.desk = DispatchDesk(self.emit)
        #: The desk as it stood at the replay instant (the history player writes it); shown, not
        #: ``desk``, while replaying.
        self.past_desk: DispatchDesk | None = None
        self.model: CityModel | None = None
        self.frame: LocalFrame | None = None
        #: The live feed's pump, writing into ``live`` (set while a feed runs).
        self.feed_pump: FeedPump | None = None

    @classmethod
    def for_site(cls, site: Site, clock: Callable[[], float] = time.time) -> LiveState:
        return cls(entity_timeouts_s=site.feed.entity_timeouts_s or None, clock=clock)

    # ------------------------------------------------------------------ reading
    @property
    def entities(self) -> EntityStore:
        return self._shown.entities

    @property
    def sensors(self) -> SensorStore:
        return self._shown.sensors

    @property
    def incidents(self) -> IncidentBoard:
        return self._shown.incidents

    @property
    def metrics(self) -> MetricSeries:
        return self._shown.metrics

    @property
    def shown(self) -> FeedModels:
        return self._shown

    @property
    def shown_desk(self) -> DispatchDesk:
        """The dispatch desk to show: as it stood at the replay instant, or the live one."""
        if self.mode is Mode.REPLAY and self.past_desk is not None:
            return self.past_desk
        return self.desk

    def now(self) -> float:
        """The instant on screen: the replay's, or the clock's (ages are counted from it)."""
        if self.mode is Mode.REPLAY and self.replay_at is not None:
            return self.replay_at
        return self.clock()

    def shown_model(self, model_type: type[M]) -> M:
        """The shown model of this type (live or replayed)."""
        return self._shown.of_type(model_type)

    def source_of(self, model_type: type[M]) -> Callable[[], M]:
        """A reader of the shown model of this type that follows replay swaps (for overlays).

        An ``attrgetter`` of ``_shown.<model>``: an overlay reads its model every refresh without
        running the state's code (no call back into the state per frame)."""
        name = self._shown.name_of(model_type)
        reader: Callable[[], M] = functools.partial(operator.attrgetter(f"_shown.{name}"), self)
        return reader

    # ------------------------------------------------------------------ events
    def subscribe(self, event_type: type[E], callback: Callable[[E], None]) -> Callable[[], None]:
        """Call ``callback(event)`` for every ``event_type`` emitted; returns the unsubscriber."""
        with self._lock:
            self._subscribers.setdefault(event_type, []).append(callback)

        def unsubscribe() -> None:
            with self._lock:
                callbacks = self._subscribers.get(event_type, [])
                if callback in callbacks:
                    callbacks.remove(callback)

        return unsubscribe

    def deliver_on_this_thread(self, post: Callable[..., None]) -> None:
        """Run subscribers on the calling thread from now on; ``post(fn, *args)`` must run
        ``fn(*args)`` there, in order (the Qt adapter's ``GuiHandover.post``)."""
        self._home = threading.get_ident()
        self._post = post

    def emit(self, event: object) -> None:
        """Tell ``event``'s subscribers, in order, on the home thread (see the module docstring).

        A failing subscriber is logged and the others still run: one broken panel must not stop
        the map from hearing about a tick."""
        post = self._post
        if post is not None and (self._posted or threading.get_ident() != self._home):
            with self._lock:
                self._posted += 1
            post(self._deliver_posted, event)
            return
        self._deliver(event)

    def _deliver_posted(self, event: object) -> None:
        with self._lock:
            self._posted -= 1
        self._deliver(event)

    def _deliver(self, event: object) -> None:
        with self._lock:
            callbacks = list(self._subscribers.get(type(event), ()))
        for callback in callbacks:
            try:
                callback(event)
            except Exception:
                log.exception("live state: a subscriber of %s failed", type(event).__name__)

    # ------------------------------------------------------------------ writing
    def apply(self, change: ChangeSet, *, source: Source, at: float | None = None) -> bool:
        """A writer changed its models in place; tell the readers if that is what they see.

        Live sources (feed, gateway) always write into ``live``; while replaying their changes
        are kept but not announced. The history player may only write while replaying.
        """
        if source is Source.HISTORY and self.mode is not Mode.REPLAY:
            raise ValueError("the history player writes only in REPLAY mode (call enter_replay first)")
        if not change:
            return False
        if self.mode is Mode.REPLAY and source is not Source.HISTORY:
            return False
        self.emit(ModelsChanged(change, source, self.clock() if at is None else at))
        return True

    def pump_feed(self) -> bool:
        """One feed tick (a clock calls this at ``feed.pump.PUMP_HZ``): the pump applies what
        arrived into ``live``, and readers hear once when that changed what they see."""
        pump = self.feed_pump
        if pump is None:
            return False
        now = self.clock()
        return self.apply(pump.apply_pending(now), source=Source.FEED, at=now)

    def enter_replay(self, models: FeedModels, at: float) -> None:
        """Show the player's models at ``at``; the live sources keep writing unseen."""
        changed = self.mode is not Mode.REPLAY
        self.mode = Mode.REPLAY
        self.replace_all(models, at=at)
        if changed:
            self.emit(ModeChanged(Mode.REPLAY, at))

    def replace_all(self, models: FeedModels, *, at: float, source: Source = Source.HISTORY) -> None:
        """Swap the shown models at once (a replay seek); readers redraw everything."""
        if source is Source.HISTORY and self.mode is not Mode.REPLAY:
            raise ValueError("the history player replaces the models only in REPLAY mode")
        self._shown = models
        self.replay_at = at if self.mode is Mode.REPLAY else None
        self.emit(ModelsReplaced(source, at))

    def return_to_live(self) -> None:
        if self.mode is Mode.LIVE:
            return
        now = self.clock()
        self.mode = Mode.LIVE
        self.replay_at = None
        self._shown = self.live
        self.emit(ModelsReplaced(Source.FEED, now))
        self.emit(ModeChanged(Mode.LIVE, now))

    def reset_live(self) -> None:
        """Fresh, empty live models (a feed restarted on other endpoints: nothing old carries over)."""
        self.live = FeedModels.empty(self._entity_timeouts_s)
        if self.mode is Mode.LIVE:
            self._shown = self.live
            self.emit(ModelsReplaced(Source.FEED, self.clock()))

    def set_city(self, model: CityModel, frame: LocalFrame) -> None:
        self.model = model
        self.frame = frame
        self.emit(CityLoaded())

    def city_layer(self, kind: str) -> CityLayer | None:
        """One layer of the loaded city (None before it loads, or when the city has no such layer)."""
        return self.model.layers.get(kind) if self.model is not None else None

    def road_router(self) -> RoadRouter | None:
        """The city's road graph (None without roads), built on first use, kept with the model."""
        from controlroom.geo.road_route import road_router_for

        return road_router_for(self.model)

    def stop(self) -> None:
        self.emit(Stopped())

    # ------------------------------------------------------------------ operator intents
    def request_focus(self, x: float, y: float, distance_m: float = 800.0, label: str = "") -> None:
        """Ask the map(s) to fly to a place given in the site's local frame."""
        self.emit(FocusRequested(float(x), float(y), float(distance_m), label))

    def request_cameras(self, camera_ids: list[str], title: str = "") -> None:
        self.emit(CamerasRequested(tuple(camera_ids), title))

    def request_cameras_around(self, x: float, y: float, title: str = "") -> None:
        self.emit(CamerasAroundRequested(float(x), float(y), title))

    def request_incident(self, fields: Mapping[str, object]) -> None:
        self.emit(IncidentRequested(dict(fields)))

    def request_flood_what_if(self, level_m: float, why: str = "") -> None:
        self.emit(FloodWhatIfRequested(float(level_m), why))

    def select_incident(self, incident_id: str) -> None:
        self.emit(IncidentSelected(incident_id))

    def select_entity(self, entity_id: str) -> None:
        self.emit(EntitySelected(entity_id))

    def select_record(self, record: dict[str, Any] | None) -> None:
        self.emit(ObjectSelected(record))
