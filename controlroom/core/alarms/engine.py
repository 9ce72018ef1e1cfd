"""The alarm engine: evaluates a site's rules over the feed models once per pump tick.

It runs where the pump runs (the GUI thread, after ``sig_tick``; a plain loop in the CLI and the
benchmark) and reads the Qt-free models directly, copying only what changed this tick into its
own source slots. All rule kinds are evaluated as numpy columns (``alarm_scalar``,
``alarm_fences``), so the cost per tick grows with sources and entities, not with messages.
Call ``evaluate`` also on a slow clock (1 Hz) when no data arrives: silence and minimum
durations are about time passing.
"""

from __future__ import annotations

import numpy as np

from controlroom.core.alarms.events import AlarmEvent, ZoneIndex
from controlroom.core.alarms.fences import GeofenceConditions, IncidentConditions
from controlroom.core.alarms.rules import RuleSet
from controlroom.core.alarms.scalar import ScalarConditions, SourceSlots
from controlroom.core.entities import EntityStore
from controlroom.core.feed_stats import FeedStats
from controlroom.core.incidents import IncidentBoard
from controlroom.core.metrics import MetricSeries
from controlroom.core.sensors import SensorStore


class AlarmEngine:
    """Rules → condition events. ``zones`` resolves geofence polygons (``geo.alarm_zones``)."""

    def __init__(self, rules: RuleSet, zones: ZoneIndex | None = None) -> None:
        self.rules = rules
        self.slots = SourceSlots()
        self.scalar = ScalarConditions(rules.rule, self.slots)
        self.fences = GeofenceConditions(rules.rule, zones)
        self.incidents = IncidentConditions(rules.rule)
        self.scalar.ensure_feed_slots()
        self._sensor_slot = np.zeros(0, np.int64)
        self._sensor_seen = np.zeros(0)
        self._sensor_value = np.zeros(0)
        self._metric_version: dict[str, int] = {}
        self.ticks = 0

    def evaluate(
        self,
        now: float,
        *,
        metrics: MetricSeries | None = None,
        sensors: SensorStore | None = None,
        entities: EntityStore | None = None,
        incidents: IncidentBoard | None = None,
        stats: FeedStats | None = None,
        removed_entities: list[str] | None = None,
    ) -> list[AlarmEvent]:
        """One tick: copy what changed from the models, return the conditions that changed."""
        self.ticks += 1
        if metrics is not None:
            self._take_metrics(metrics)
        if sensors is not None:
            self._take_sensors(sensors)
        if stats is not None:
            self._take_sources(stats)
        events = self.scalar.evaluate(now)
        if entities is not None:
            events += self.fences.evaluate(entities, removed_entities or [], now)
        if incidents is not None:
            events += self.incidents.evaluate(incidents, now)
        return events

    # ------------------------------------------------------------------ inputs
    def _take_metrics(self, metrics: MetricSeries) -> None:
        slots: list[int] = []
        times: list[float] = []
        values: list[float] = []
        for name, ring in metrics.rings.items():
            if self._metric_version.get(name) == ring.version:
                continue
            self._metric_version[name] = ring.version
            latest = ring.latest()
            if latest is not None:
                slots.append(self.slots.slot(f"metric:{name}", ring.unit))
                times.append(latest[0])
                values.append(latest[1])
        if slots:  # one vectorised write for all metrics that moved (distinct slots)
            self.slots.write(np.array(slots, np.int64), np.array(times), np.array(values))

    def _take_sensors(self, sensors: SensorStore) -> None:
        n = len(sensors)
        if not n:
            return
        known = len(self._sensor_slot)
        if n > known:  # new sensors: one slot each (a few hundred, once)
            ids = sensors.ids
            new = [
                self.slots.slot(f"sensor:{ids[r]}", sensors.units.get(sensors.kinds[k], ""), sensors.kinds[k])
                for r, k in zip(range(known, n), sensors.kind[known:n].tolist(), strict=True)
            ]
            for r in range(known, n):
                self.scalar.places[f"sensor:{ids[r]}"] = (float(sensors.x[r]), float(sensors.y[r]))
            self._sensor_slot = np.concatenate([self._sensor_slot, np.array(new, np.int64)])
            self._sensor_seen = np.concatenate([self._sensor_seen, np.full(n - known, -np.inf)])
            self._sensor_value = np.concatenate([self._sensor_value, np.full(n - known, np.nan)])
        # A reading is new when its time OR its value differs from the one taken: two pump ticks
        # at the same clock instant (a coarse or hand-driven clock) stamp the same last_seen, and
        # the second tick's value must not be lost.
        seen, value = sensors.last_seen, sensors.value
        fresh = np.flatnonzero((seen != self._sensor_seen) | (value != self._sensor_value))
        if fresh.size:
            self.slots.write(self._sensor_slot[fresh], seen[fresh], value[fresh])
            self._sensor_seen[fresh] = seen[fresh]
            self._sensor_value[fresh] = value[fresh]

    def _take_sources(self, stats: FeedStats) -> None:
        heard = [
            (slot, src.last_heard)
            for name, src in list(stats.sources.items())
            if src.last_heard and (slot := self.slots.index.get(f"feed:{name}")) is not None
        ]
        if heard:
            slots, times = zip(*heard, strict=True)
            self.slots.heard(np.array(slots, np.int64), np.array(times))
