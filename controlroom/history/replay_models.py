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

from typing import TYPE_CHECKING, Any

import numpy as np

from controlroom.core.entities import EntityStore
from controlroom.core.incidents import IncidentBoard, IncidentState
from controlroom.core.metrics import MetricSeries
from controlroom.core.protocol import ENTITY_KINDS, ENTITY_STATUSES
from controlroom.core.sensors import SensorStore
from controlroom.feed.pump import ChangeSet
from controlroom.history.schema import METRICS

if TYPE_CHECKING:
    from controlroom.history.player import Frame, HistoryPlayer

#: A forward step up to this long (history seconds) extends trails; longer ones restart them.
TRAIL_STEP_S = 5.0
#: Metric history kept for charts (the live ``MetricSeries`` default window).
METRIC_WINDOW_S = 3600.0
_KIND = {k: i for i, k in enumerate(ENTITY_KINDS)}
_STATUS = {s: i for i, s in enumerate(ENTITY_STATUSES)}


def _incident(r: dict[str, Any]) -> IncidentState:
    return IncidentState(r["id"], r["type"], int(r["severity"]), float(r["x"]), float(r["y"]), (), r["text"],
                         r["status"], float(r["raised_at"]), r["t_ms"] / 1000, r["source"])  # fmt: skip


class ReplayModels:
    """The replay's entities, sensors, incidents and metrics, written from player frames."""

    def __init__(self, player: HistoryPlayer, trail_points: int = 20) -> None:
        self.player = player
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
        e = frame.entities
        ids = e.column("id").to_pylist()
        same = ids == self.entities.ids
        if not (same and step is not None and 0 < step <= TRAIL_STEP_S):
            removed = [i for i in self.entities.ids if i not in set(ids)]
            change.entities_removed = removed
            self.entities.clear()  # a jump: trails restart here (``settle_trails`` refills them)
        if ids:
            self.entities.upsert(
                ids,
                np.fromiter(
                    (_KIND.get(k, len(ENTITY_KINDS) - 1) for k in e.column("kind").to_pylist()), np.uint8
                ),
                e.column("x").to_numpy(),
                e.column("y").to_numpy(),
                e.column("heading").to_numpy(),
                e.column("speed").to_numpy(),
                np.fromiter((_STATUS.get(s, 0) for s in e.column("status").to_pylist()), np.uint8),
                e.column("t").to_numpy(),
            )
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
        cols = (store.kind.copy(), store.heading.copy(), store.speed.copy(), store.status.copy(),
                store.last_seen.copy())  # fmt: skip
        kind, heading, speed, status, seen = cols
        store.clear()
        store.upsert(ids, kind, pts[:, 0, 0], pts[:, 0, 1], heading, speed, status, seen)
        for k in range(1, n - 1):
            store.add_trail_points(ids, pts[:, k, 0], pts[:, k, 1])
        store.upsert(ids, kind, pts[:, -1, 0], pts[:, -1, 1], heading, speed, status, seen)
