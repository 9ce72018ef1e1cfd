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

from controlroom.core.entities import EntityStore
from controlroom.core.incidents import IncidentBoard, IncidentState
from controlroom.core.metrics import MetricSeries
from controlroom.core.sensors import SensorStore
from controlroom.feed.pump import ChangeSet
from controlroom.history.schema import METRICS

if TYPE_CHECKING:
    from controlroom.history.player import Frame, HistoryPlayer

#: A forward step up to this long (history seconds) extends trails; longer ones restart them.
TRAIL_STEP_S = 5.0
#: Metric history kept for charts (the live ``MetricSeries`` default window).
METRIC_WINDOW_S = 3600.0


def _incident(r: dict[str, Any]) -> IncidentState:
    return IncidentState(r["id"], r["type"], int(r["severity"]), float(r["x"]), float(r["y"]), (), r["text"],
                         r["status"], float(r["raised_at"]), r["t_ms"] / 1000, r["source"])  # fmt: skip


class ReplayModels:
    """The replay's entities, sensors, incidents and metrics, written from player frames."""

    def __init__(
        self, player: HistoryPlayer, trail_points: int = 20, clock: Callable[[], float] = time.time
    ) -> None:
        self.player = player
        #: The views fade an entity by ``clock() - last_seen``: replayed entities are written as
        #: seen that long before now as they were before the frame's instant.
        self.clock = clock
        self.entities = EntityStore(trail_points=trail_points)
        self.sensors = SensorStore(stale_after_s=float("inf"))
        self.incidents = IncidentBoard()
        self.metrics = MetricSeries(window_s=METRIC_WINDOW_S)
        self.time: float | None = None
        self._metric_minute: int | None = None

    def show(self, frame: Frame) -> ChangeSet:
        """Write ``frame`` into the models; the change set tells the views what to redraw."""
        change = ChangeSet()
        step = None if self.time is None else frame.time - self.time
        p = frame.positions
        ids = p.column("id").to_pylist()
        store = self.entities
        kind, status = p.column("kind").to_numpy(), p.column("status").to_numpy()
        x, y = p.column("x_cm").to_numpy() / 100.0, p.column("y_cm").to_numpy() / 100.0
        heading, speed = p.column("heading_dd").to_numpy() / 10.0, p.column("speed_cms").to_numpy() / 100.0
        seen = p.column("t_ms").to_numpy() / 1000.0 + (self.clock() - frame.time)
        before = len(store)
        steady = step is not None and 0 < step <= TRAIL_STEP_S and len(ids) == before
        if steady:
            store.upsert(ids, kind, x, y, heading, speed, status, seen)  # trails grow as live
        if not steady or len(store) != before:  # a jump, or entities came and went
            kept = set(ids)
            change.entities_removed = [i for i in store.ids if i not in kept]
            store.clear()  # trails restart here (``settle_trails`` refills them)
            store.upsert(ids, kind, x, y, heading, speed, status, seen)
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
        change.metrics_changed = self._metrics(frame.time)
        self.time = frame.time
        return change

    def _incidents(self, frame: Frame) -> int:
        """The board as it stood: open incidents only (a closed one has left the board)."""
        states = {r["id"]: _incident(r) for r in frame.incidents.to_pylist()}
        if states == {s.id: s for s in self.incidents.all()}:
            return 0
        self.incidents.replace_all(states.values())
        return max(1, len(states))

    def _metrics(self, t: float) -> set[str]:
        """Each metric's last hour up to ``t`` (re-read once per history minute)."""
        minute = int(t // 60)
        if minute == self._metric_minute:
            return set()
        self._metric_minute = minute
        data = self.player.reader.range(METRICS, t - METRIC_WINDOW_S, t)
        self.metrics.rings.clear()
        return self.metrics.add(
            (r["name"], r["t_ms"] / 1000, float(r["value"]), r["unit"]) for r in data.to_pylist()
        )

    def settle_trails(self) -> None:
        """Rebuild every entity's trail from history (the clock stopped after a jump)."""
        store = self.entities
        if self.time is None or not len(store):
            return
        ids = store.ids
        n = store.trail_points
        pts = self.player.trails(self.time, ids, n)  # (entities, n, 2), NaN before it was there
        pts[:, -1, 0], pts[:, -1, 1] = store.x, store.y
        for k in range(n - 2, -1, -1):  # a missing point repeats the next one (a shorter trail)
            gap = np.isnan(pts[:, k, 0])
            pts[gap, k] = pts[gap, k + 1]
        kind, heading, speed, status = (
            store.kind.copy(),
            store.heading.copy(),
            store.speed.copy(),
            store.status.copy(),
        )
        seen = store.last_seen.copy()
        store.clear()
        store.upsert(ids, kind, pts[:, 0, 0], pts[:, 0, 1], heading, speed, status, seen)
        for k in range(1, n - 1):
            store.add_trail_points(ids, pts[:, k, 0], pts[:, k, 1])
        store.upsert(ids, kind, pts[:, -1, 0], pts[:, -1, 1], heading, speed, status, seen)
