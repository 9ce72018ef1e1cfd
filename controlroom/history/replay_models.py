"""A player frame written into the models the map and panels draw (the replay's own set).

The views read ``EntityStore``, ``SensorStore``, ``IncidentBoard`` and ``MetricSeries``; a replay
keeps one set of its own (the live one goes on filling from the feed unseen) and each step writes
the frame into it in place, so overlays keep their buffers. Trails: while the clock plays
forward in small steps each step adds a point, as the live feed does; after a jump or backwards
they restart at the current point, and ``settle_trails`` (call it when the clock stops) rebuilds
them from history. Metrics: the hour before the instant, read once per history minute, so KPI
charts show the period as it was.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from controlroom.core.entities import EntityStore
from controlroom.core.incidents import IncidentBoard, IncidentState
from controlroom.core.metrics import MetricSeries
from controlroom.core.sensors import SensorStore
from controlroom.feed.pump import ChangeSet

if TYPE_CHECKING:
    from controlroom.history.player import Frame

#: A forward step up to this long (history seconds) extends trails; longer ones restart them.
TRAIL_STEP_S = 5.0
#: Metric history kept for charts (the live ``MetricSeries`` default window).
METRIC_WINDOW_S = 3600.0


def _incident(r: dict[str, Any]) -> IncidentState:
    return IncidentState(r["id"], r["type"], int(r["severity"]), float(r["x"]), float(r["y"]), (), r["text"],
                         r["status"], float(r["raised_at"]), r["t_ms"] / 1000, r["source"])  # fmt: skip


class ReplayModels:
    """The replay's entities, sensors, incidents and metrics, written from built player frames
    (``HistoryPlayer.build``: the arrays, metrics and trails come ready, so writing is cheap)."""

    def __init__(self, trail_points: int = 20, clock: Callable[[], float] = time.time) -> None:
        #: The views fade an entity by ``clock() - last_seen``: replayed entities are written as
        #: seen that long before now as they were before the frame's instant.
        self.clock = clock
        self.entities = EntityStore(trail_points=trail_points)
        self.sensors = SensorStore(stale_after_s=float("inf"))
        self.incidents = IncidentBoard()
        self.metrics = MetricSeries(window_s=METRIC_WINDOW_S)
        self.time: float | None = None
        self._metric_minute: int | None = None
        #: The last frame's ids and their store rows (while the store's layout holds): the next
        #: frame of the same fleet skips 50,000 id lookups.
        self._rows: tuple[list[str], npt.NDArray[np.int64], int] | None = None

    def show(self, frame: Frame) -> ChangeSet:
        """Write ``frame`` into the models; the change set tells the views what to redraw."""
        change = ChangeSet()
        a = frame.arrays
        ids = a.ids
        store = self.entities
        seen = a.t + (self.clock() - frame.time)
        steady = self.time is not None and 0 < frame.time - self.time <= TRAIL_STEP_S
        rows = self._rows_of(ids)
        if rows is not None:  # the same fleet as shown: written in place
            if not steady:
                store.restart_trails()  # a jump: trails restart here (``settle_trails`` refills them)
            store.write_rows(rows, a.kind, a.x, a.y, a.heading, a.speed, a.status, seen)
        else:  # entities came and went
            if len(store):
                kept = set(ids)
                change.entities_removed = [i for i in store.ids if i not in kept]
            store.clear()
            rows = store.upsert(ids, a.kind, a.x, a.y, a.heading, a.speed, a.status, seen)
        self._rows = (ids, rows, store.layout)
        change.entities_updated = len(ids)
        s = frame.sensors
        if s.num_rows:
            self.sensors.upsert(
                s.column("id").to_pylist(), s.column("kind").to_pylist(), s.column("unit").to_pylist(),
                s.column("x").to_numpy(), s.column("y").to_numpy(),
                s.column("value").to_numpy().astype(np.float64), s.column("status").to_pylist(), frame.time,
            )  # fmt: skip
            change.sensors_updated = s.num_rows
        change.incidents_updated = self._incidents(frame)
        change.metrics_changed = self._metrics(frame)
        self.time = frame.time
        return change

    def _rows_of(self, ids: list[str]) -> npt.NDArray[np.int64] | None:
        """The store rows of exactly these ids (all known, none missing), else None."""
        store = self.entities
        last = self._rows
        if last is not None and last[2] == store.layout and len(store) == len(ids) and last[0] == ids:
            return last[1]
        if len(ids) != len(store) or not all(map(store.__contains__, ids)):
            return None
        return store.rows_of(ids)

    def _incidents(self, frame: Frame) -> int:
        """The board as it stood: open incidents only (a closed one has left the board)."""
        states = {r["id"]: _incident(r) for r in frame.incidents.to_pylist()}
        if states == {s.id: s for s in self.incidents.all()}:
            return 0
        self.incidents.replace_all(states.values())
        return max(1, len(states))

    def _metrics(self, frame: Frame) -> set[str]:
        """Each metric's last hour up to the frame (a new hour once per history minute)."""
        minute = int(frame.time // 60)
        data = frame.metrics_hour
        if data is None or minute == self._metric_minute:
            return set()
        self._metric_minute = minute
        self.metrics.rings.clear()
        return self.metrics.add(
            (r["name"], r["t_ms"] / 1000, float(r["value"]), r["unit"]) for r in data.to_pylist()
        )

    def settle_trails(self, frame: Frame) -> None:
        """Rebuild every entity's trail from history (the clock stopped after a jump): ``frame``
        is the shown one, built with trails (``trail_points``, ``trail_counts``)."""
        pts, counts = frame.trail_points, frame.trail_counts
        if pts is None or counts is None or not len(frame.arrays.ids):
            return
        rows = self._rows_of(frame.arrays.ids)
        if rows is not None:
            self.entities.set_trails(rows, pts, counts)
