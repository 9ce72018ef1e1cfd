"""The history player: a clock that can run backwards, and the whole picture at its time.

Given a time (and a speed, forwards or backwards) it gives the state at that instant — entities
(with trails on request), sensors, metrics, open incidents and the alarms as they stood,
acknowledged or not — cheaply enough to scrub: positions come from the reader's decoded minute
files (keyframe + the rows after it, ``chain.MinuteIndex``), which a background thread loads
ahead in the direction of play; the smaller tables are read once per second of history time and
the alarm trail once per hour. Qt-free: a view (or the live state) takes ``Frame`` and draws it.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from controlroom.history.files import HOUR_MS, MINUTE_MS
from controlroom.history.query import ALARM_ENDED, HistoryReader, decode_positions
from controlroom.history.schema import EVENTS, INCIDENTS, METRICS, POSITIONS

#: Speeds the clock offers (the sign gives the direction).
SPEEDS = (1, 2, 4, 8, 16, 32, 64)
#: The alarm trail is read for this long before an instant (an alarm raised earlier and never
#: cleared is still shown).
ALARM_WINDOW_MS = 24 * HOUR_MS
#: Small tables (sensors, incidents, metrics) are re-read when the clock moved this far.
SMALL_TABLES_MS = 1000


@dataclass(frozen=True)
class AlarmState:
    """One alarm as it stood at the frame's time."""

    key: str
    alarm_id: str
    raised_at: float
    state: str  # the latest accepted transition: raised, confirmed, escalated, acknowledge, ...
    acknowledged: bool
    acknowledged_by: str
    owner: str
    last_at: float
    last_who: str
    #: Its place in the alarm lifecycle then: new, acknowledged or in_progress.
    life: str = "new"
    escalations: int = 0
    #: Where the raising desk located it (site metres, district): NaN and "" in a trail recorded
    #: before desks reported places.
    x: float = math.nan
    y: float = math.nan
    district: str = ""


@dataclass(frozen=True)
class Tick:
    """A mark on the timeline: an alarm raised/escalated or an incident reported, by urgency."""

    t: float
    kind: str  # "alarm" or "incident"
    subject: str
    action: str
    rank: int  # 0 = most urgent (critical alarm, severity-4 incident) … 3


#: Alarm transitions worth a mark (acknowledgements and clears are in the list, not on the bar).
TICK_ALARM_ACTIONS = ("raised", "predicted", "re-raised", "escalated")


def event_ticks(
    events: pa.Table, incidents: pa.Table, alarm_rank: Callable[[str], int], t0: float, t1: float
) -> list[Tick]:
    """Marks for [t0, t1]: accepted alarm transitions of ``TICK_ALARM_ACTIONS`` (ranked by
    ``alarm_rank(key)``) and each incident raised then (ranked by severity, 4 most urgent)."""
    ticks = [
        Tick(r["t_ms"] / 1000, "alarm", r["subject"], r["action"], alarm_rank(r["subject"]))
        for r in events.to_pylist()
        if r["kind"] == "alarm" and r["accepted"] and r["action"] in TICK_ALARM_ACTIONS
    ]
    seen: set[str] = set()
    for r in incidents.to_pylist():
        if r["gone"] or r["id"] in seen:
            continue
        seen.add(r["id"])
        first = r["raised_at"] or r["t_ms"] / 1000
        if t0 <= first <= t1:  # raised in the range, not merely still open (a keyframe row)
            ticks.append(
                Tick(first, "incident", r["id"], r["status"], max(0, min(3, 4 - int(r["severity"]))))
            )
    return sorted(ticks, key=lambda k: (k.t, k.rank))


@dataclass
class Frame:
    """The picture at ``time`` (Unix seconds). ``positions`` are as stored (codes, centimetres,
    tenths of a degree, cm/s: what a view writing into its stores wants); ``entities`` decodes
    them to names, metres, degrees and m/s on first use."""

    time: float
    positions: pa.Table  # id, t_ms, gone, kind, status, x_cm, y_cm, heading_dd, speed_cms
    sensors: pa.Table
    metrics: pa.Table
    incidents: pa.Table
    alarms: list[AlarmState]
    keyframe_time: float | None
    warnings: list[str] = field(default_factory=list)
    #: Each metric's hour up to ``time`` (for the KPI charts), when built with ``build``.
    metrics_hour: pa.Table | None = None
    #: Trails rebuilt from history (``build(t, trails=n)``): shape (entities, n, 2) in
    #: ``arrays.ids`` order, oldest first, ending at the frame's position; ``trail_counts`` says
    #: how many of the last points are real (the entity was not there before).
    trail_points: npt.NDArray[np.float32] | None = None
    trail_counts: npt.NDArray[np.int64] | None = None
    #: The dispatch desk as it stood: the gateway's incident and unit rows, and each incident's
    #: timeline, up to ``time``.
    desk: DeskPast | None = None

    @cached_property
    def entities(self) -> pa.Table:
        """id, t, kind, status, x, y, heading, speed (metres, degrees, m/s)."""
        return decode_positions(self.positions)

    @cached_property
    def arrays(self) -> FrameArrays:
        """The positions as the entity store takes them (made where the frame is built)."""
        p = self.positions
        return FrameArrays(
            ids=p.column("id").to_pylist(),
            kind=p.column("kind").to_numpy(),
            status=p.column("status").to_numpy(),
            x=p.column("x_cm").to_numpy() / 100.0,
            y=p.column("y_cm").to_numpy() / 100.0,
            heading=p.column("heading_dd").to_numpy() / 10.0,
            speed=p.column("speed_cms").to_numpy() / 100.0,
            t=p.column("t_ms").to_numpy() / 1000.0,
        )


@dataclass(frozen=True)
class FrameArrays:
    """A frame's positions decoded to store units (metres, degrees, m/s, seconds)."""

    ids: list[str]
    kind: npt.NDArray[np.uint8]
    status: npt.NDArray[np.uint8]
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    heading: npt.NDArray[np.float64]
    speed: npt.NDArray[np.float64]
    t: npt.NDArray[np.float64]


def alarms_as_they_stood(events: pa.Table, t_ms: int) -> list[AlarmState]:
    """Alarm trail rows (accepted, time-ordered, any keys) → the alarms open at ``t_ms``.

    An alarm is open when its latest transition up to ``t_ms`` is not an end; it counts as
    acknowledged when an ``acknowledge`` came after its (re-)raise and before ``t_ms``."""
    rows = events.filter(pa.compute.less_equal(events.column("t_ms"), t_ms)).to_pylist()
    book: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["kind"] != "alarm" or not r["accepted"]:
            continue
        key, action = r["subject"], r["action"]
        detail = _detail(r["detail"])
        a = book.get(key)
        if a is None or (action in ("raised", "predicted", "re-raised") and a["ended"]):
            place = a["place"] if a is not None else (math.nan, math.nan, "")  # a re-raise: same place
            a = book[key] = {"alarm_id": detail.get("alarm_id", ""), "raised_at": r["t_ms"] / 1000,
                             "ack": False, "ack_by": "", "owner": "", "ended": False, "life": "new",
                             "esc": 0, "place": place}  # fmt: skip
        if action in ("raised", "predicted") and "x" in detail and "y" in detail:
            a["place"] = (float(detail["x"]), float(detail["y"]), str(detail.get("district", "")))
        a.update(state=action, last_at=r["t_ms"] / 1000, last_who=r["who"], ended=action in ALARM_ENDED)
        if action == "acknowledge":
            a["ack"], a["ack_by"], a["life"] = True, r["who"], "acknowledged"
        if action == "start_work":
            a["life"] = "in_progress"
        if action == "escalated":
            a["esc"] += 1
        if action == "re-raised":
            a["ack"], a["life"] = False, "new"
        if action == "owner":
            a["owner"] = str(detail.get("owner", ""))
    return [
        AlarmState(
            key,
            a["alarm_id"],
            a["raised_at"],
            a["state"],
            a["ack"],
            a["ack_by"],
            a["owner"],
            a["last_at"],
            a["last_who"],
            a["life"],
            a["esc"],
            *a["place"],
        )
        for key, a in sorted(book.items())
        if not a["ended"]
    ]


def _detail(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        out = json.loads(raw or "{}")
    except ValueError:
        return {}
    return out if isinstance(out, dict) else {}


@dataclass(frozen=True)
class DeskPast:
    """What the gateway had said by an instant: its incident rows, its unit rows and each
    incident's timeline (accepted orders, oldest first), in the forms the live desk keeps."""

    details: dict[str, dict[str, Any]]
    units: dict[str, dict[str, Any]]
    timelines: dict[str, tuple[dict[str, Any], ...]]


@dataclass(frozen=True)
class EventSpan:
    """The events of [lo - a day, hi], split into the alarm trail and the dispatch trail (both in
    time order), so a frame replays only the rows up to its instant."""

    lo: int
    hi: int
    alarms: pa.Table
    dispatch: pa.Table

    @classmethod
    def of(cls, lo: int, hi: int, events: pa.Table) -> EventSpan:
        def only(kinds: tuple[str, ...]) -> pa.Table:
            if not events.num_rows:
                return events
            keep = pc.is_in(events.column("kind"), value_set=pa.array(kinds))
            return events.filter(keep)

        return cls(lo, hi, only(("alarm",)), only(("incident", "unit", "order")))

    def count_alarms(self, t_ms: int) -> int:
        return int(np.searchsorted(self.alarms.column("t_ms").to_numpy(), t_ms, side="right"))

    def count_dispatch(self, t_ms: int) -> int:
        return int(np.searchsorted(self.dispatch.column("t_ms").to_numpy(), t_ms, side="right"))


def desk_as_it_stood(events: pa.Table) -> DeskPast:
    """Dispatch trail rows (time-ordered, all before the instant) → the desk as it stood then."""
    details: dict[str, dict[str, Any]] = {}
    units: dict[str, dict[str, Any]] = {}
    timelines: dict[str, list[dict[str, Any]]] = {}
    for r in events.to_pylist():
        detail = _detail(r["detail"])
        if r["kind"] == "incident":
            details[r["subject"]] = detail
        elif r["kind"] == "unit":
            units[r["subject"]] = detail
        elif r["kind"] == "order" and r["accepted"] and detail.get("incident_id"):
            inner = detail.get("detail")
            timelines.setdefault(str(detail["incident_id"]), []).append({
                "at": float(detail.get("at") or r["t_ms"] / 1000),
                "user": str(detail.get("user") or r["who"]),
                "desk": str(detail.get("desk") or r["desk"]), "kind": str(detail.get("kind") or r["action"]),
                "unit_id": detail.get("unit_id") or "", "role": detail.get("role", ""),
                "detail": inner if isinstance(inner, dict) else _detail(inner),
            })  # fmt: skip
    return DeskPast(details, units, {k: tuple(v) for k, v in timelines.items()})


class HistoryPlayer:
    """A replay clock over a history folder (through its ``HistoryReader``)."""

    def __init__(self, reader: HistoryReader, *, prefetch: bool = True) -> None:
        self.reader = reader
        self.time = 0.0
        self.speed = 1
        self.playing = False
        self._lock = threading.Lock()  # the reader (its DuckDB connection, its cache) is not shared
        self._small: tuple[int, Frame] | None = None
        self._span: EventSpan | None = None
        self._alarms_cache: tuple[EventSpan, int, list[AlarmState]] | None = None
        self._desk_cache: tuple[EventSpan, int, DeskPast] | None = None
        self._metrics_hour: tuple[int, pa.Table] | None = None
        self._prefetch = prefetch
        self._ahead: threading.Thread | None = None

    # ---------------------------------------------------------------- the clock
    def seek(self, t: float) -> Frame:
        self.time = t
        return self.build(t)

    def set_speed(self, speed: int) -> None:
        """1×–64×, negative for backwards."""
        if abs(speed) not in SPEEDS:
            raise ValueError(
                f"replay speed {speed}× is not offered; expected ±{', ±'.join(map(str, SPEEDS))}"
            )
        self.speed = speed

    def advance(self, wall_s: float) -> Frame:
        """Move the clock by ``wall_s`` seconds of wall time at the current speed."""
        if self.playing:
            self.time += wall_s * self.speed
        return self.build(self.time)

    # ---------------------------------------------------------------- the picture
    def build(self, t: float, *, trails: int = 0) -> Frame:
        """The frame at ``t`` with everything the replay's models take made ready: the arrays,
        the metrics' hour and (``trails`` > 0) that many trail points per entity. This is the
        costly part of a replay step, so an app runs it on its replay thread, not the GUI's."""
        frame = self.frame(t)
        _ = frame.arrays
        frame.metrics_hour = self.metrics_hour(t)
        if trails > 0:
            pts = self.trails(t, frame.arrays.ids, trails)
            pts[:, -1, 0], pts[:, -1, 1] = frame.arrays.x, frame.arrays.y
            frame.trail_counts = trails - np.isnan(pts[:, :, 0]).sum(axis=1)
            for k in range(trails - 2, -1, -1):  # a missing point repeats the next one
                gap = np.isnan(pts[:, k, 0])
                pts[gap, k] = pts[gap, k + 1]
            frame.trail_points = pts.astype(np.float32)
        return frame

    def metrics_hour(self, t: float) -> pa.Table:
        """Every metric row of the hour up to ``t`` (re-read once per history minute)."""
        minute = int(t // 60)
        if self._metrics_hour is None or self._metrics_hour[0] != minute:
            with self._lock:
                data = self.reader.range(METRICS, t - HOUR_MS / 1000, t)
            self._metrics_hour = (minute, data)
        return self._metrics_hour[1]

    def close(self) -> None:
        self.reader.close()

    def frame(self, t: float) -> Frame:
        t_ms = round(t * 1000)
        with self._lock:
            bucket = t_ms // SMALL_TABLES_MS
            small_job = None
            if self._small is None or self._small[0] != bucket:  # DuckDB, while positions decode here
                small_job = self.reader._pool().submit(self.reader.state_at, t_ms / 1000, positions=False,
                                                       alarms=False)  # fmt: skip
            pos, kf = self.reader.positions_at(t_ms, sort=False)
            if small_job is not None:
                st = small_job.result()
                small_frame = Frame(st.time, st.entities, st.sensors, st.metrics, st.incidents, [], None)
                self._small = (bucket, small_frame)
            assert self._small is not None
            small = self._small[1]
            events = self._events(t_ms)
            alarms = self._alarms_at(events, t_ms)
            desk = self._desk_at(events, t_ms)
            warnings = [f"{p}: {why}" for p, why in sorted(self.reader.checker.bad.items())]
        self._prefetch_next(t_ms)
        return Frame(t, pos, small.sensors, small.metrics, small.incidents, alarms,
                     kf / 1000 if kf else None, warnings, desk=desk)  # fmt: skip

    def _events(self, t_ms: int) -> EventSpan:
        """The alarm and dispatch trail, read an hour at a time (with the day before it)."""
        span = self._span
        if span is None or not span.lo <= t_ms <= span.hi:
            lo, hi = t_ms - ALARM_WINDOW_MS, t_ms - t_ms % HOUR_MS + HOUR_MS
            events = self.reader.range(EVENTS, lo / 1000, hi / 1000)
            span = self._span = EventSpan.of(hi - HOUR_MS, hi, events)
        return span

    def _alarms_at(self, span: EventSpan, t_ms: int) -> list[AlarmState]:
        n = span.count_alarms(t_ms)
        if self._alarms_cache is None or self._alarms_cache[0] is not span or self._alarms_cache[1] != n:
            self._alarms_cache = (span, n, alarms_as_they_stood(span.alarms, t_ms))
        return self._alarms_cache[2]

    def _desk_at(self, span: EventSpan, t_ms: int) -> DeskPast:
        n = span.count_dispatch(t_ms)
        if self._desk_cache is None or self._desk_cache[0] is not span or self._desk_cache[1] != n:
            self._desk_cache = (span, n, desk_as_it_stood(span.dispatch.slice(0, n)))
        return self._desk_cache[2]

    def trails(
        self, t: float, ids: list[str], points: int = 20, step_s: float = 1.0
    ) -> npt.NDArray[np.float64]:
        """Each entity's positions over the ``points`` samples up to ``t`` (oldest first), shape
        (len(ids), points, 2); NaN where it was not yet there."""
        out = np.full((len(ids), points, 2), np.nan)
        wanted = pa.array(ids, pa.string())
        for k in range(points):
            with self._lock:
                rows, _ = self.reader.positions_at(round((t - (points - 1 - k) * step_s) * 1000), sort=False)
            if not rows.num_rows:
                continue
            at = pc.index_in(rows.column("id"), value_set=wanted).fill_null(-1).to_numpy()
            hit = at >= 0
            out[at[hit], k, 0] = rows.column("x_cm").to_numpy()[hit] / 100
            out[at[hit], k, 1] = rows.column("y_cm").to_numpy()[hit] / 100
        return out

    def ticks(self, t0: float, t1: float, alarm_rank: Callable[[str], int] = lambda _key: 2) -> list[Tick]:
        """The timeline's marks between ``t0`` and ``t1`` (alarms and incidents, by urgency)."""
        with self._lock:
            events = self.reader.range(EVENTS, t0, t1)
            incidents = self.reader.range(INCIDENTS, t0, t1)
        return event_ticks(events, incidents, alarm_rank, t0, t1)

    @staticmethod
    def next_tick(ticks: list[Tick], t: float, forward: bool = True) -> Tick | None:
        """The first mark after ``t`` (or the last before it): "next/previous event"."""
        if forward:
            return next((k for k in ticks if k.t > t + 1e-3), None)
        return next((k for k in reversed(ticks) if k.t < t - 1e-3), None)

    # ---------------------------------------------------------------- ahead of the clock
    def _prefetch_next(self, t_ms: int) -> None:
        """Load the minute file the clock is heading into while this one is shown."""
        if not self._prefetch or not self.playing or (self._ahead is not None and self._ahead.is_alive()):
            return
        step = MINUTE_MS if self.speed > 0 else -MINUTE_MS
        target = t_ms + step

        def load() -> None:
            with self._lock:
                paths = self.reader.checker.files(self.reader.root, POSITIONS, target, target)
            for path in paths:  # decoded outside the lock: the shown frame is not held up
                try:
                    self.reader.load_index(path)
                except (OSError, pa.ArrowException):
                    continue  # named when the clock gets there

        self._ahead = threading.Thread(target=load, name="history-prefetch", daemon=True)
        self._ahead.start()
