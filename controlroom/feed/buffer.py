"""The hand-over between the feed thread and the GUI thread: latest per entity, bounded.

The feed thread merges a drained batch in one locked step; the pump swaps the whole pending set
out in another, so neither side waits on the other for more than a dict update. Between two pump
ticks an entity may report several times: only the latest state is applied. With
``history_points > 0`` the superseded positions are kept too (that many per entity), for trails
that must show every reported point; it is off by default because it costs ~0.5 µs per
superseded record and the store samples trails at its own interval anyway.
Everything is bounded: past ``max_entities`` distinct pending ids, new ids are refused and counted.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING

from controlroom.core.protocol import WGS84, Heartbeat, Incident, MetricPoint, Position, SensorReading

if TYPE_CHECKING:
    from controlroom.feed.fleet import FleetColumns

#: A superseded position kept for trails: the record and its batch's CRS.
PendingPosition = tuple[Position, str]
_id = attrgetter("id")


@dataclass
class Pending:
    """Everything waiting for the next pump tick.

    Positions are stored bare (no per-record tuple) because this is the hot path; the CRS is kept
    aside only for entities whose batch was not WGS 84, and publish times per message.
    """

    positions: dict[str, Position] = field(default_factory=dict)
    #: Entity id → CRS, only where it is not WGS 84.
    position_crs: dict[str, str] = field(default_factory=dict)
    #: Publish time of every position message accepted (for latency figures).
    position_ts: list[float] = field(default_factory=list)
    history: dict[str, deque[PendingPosition]] = field(default_factory=dict)
    sensors: dict[str, tuple[SensorReading, str]] = field(default_factory=dict)
    incidents: dict[str, tuple[Incident, str]] = field(default_factory=dict)
    #: Incident id → the source that sent it (its silence makes the incident stale).
    incident_sources: dict[str, str] = field(default_factory=dict)
    metrics: list[MetricPoint] = field(default_factory=list)
    heartbeats: dict[str, Heartbeat] = field(default_factory=dict)
    #: Accepted fleet frames in arrival order (columnar; applied before ``positions`` in a tick).
    fleets: list[FleetColumns] = field(default_factory=list)
    #: Records superseded by a newer one for the same id before reaching the models.
    coalesced: int = 0

    def __bool__(self) -> bool:
        return bool(
            self.positions or self.sensors or self.incidents or self.metrics or self.heartbeats or self.fleets
        )

    @property
    def records(self) -> int:
        fleet_rows = sum(map(len, self.fleets))
        return len(self.positions) + len(self.sensors) + len(self.incidents) + len(self.metrics) + fleet_rows


class CoalescingBuffer:
    def __init__(
        self,
        max_entities: int = 500_000,
        history_points: int = 0,
        max_metric_points: int = 100_000,
        max_items: int = 100_000,
    ) -> None:
        self.max_entities = max_entities
        self.history_points = history_points
        self.max_metric_points = max_metric_points
        self.max_items = max_items
        self._lock = threading.Lock()
        self._pending = Pending()

    def merge(self, batch: Pending) -> int:
        """Add a drained batch; returns how many records were refused because the buffer is full."""
        refused = 0
        with self._lock:
            p = self._pending
            pos = p.positions
            incoming = batch.positions
            if len(pos) + len(incoming) > self.max_entities:
                refused += self._trim_new(pos, incoming, self.max_entities)
            crs_of = p.position_crs
            if pos and incoming:
                common = pos.keys() & incoming.keys()
                if common:
                    p.coalesced += len(common)
                    if self.history_points:
                        hist = p.history
                        for entity_id in common:
                            h = hist.get(entity_id)
                            if h is None:
                                h = hist[entity_id] = deque(maxlen=self.history_points)
                            h.append((pos[entity_id], crs_of.get(entity_id, WGS84)))
                    if crs_of:
                        for entity_id in common - batch.position_crs.keys():
                            crs_of.pop(entity_id, None)
            pos.update(incoming)
            crs_of.update(batch.position_crs)
            p.position_ts.extend(batch.position_ts)
            p.coalesced += batch.coalesced
            for name, items in (("sensors", batch.sensors), ("incidents", batch.incidents)):
                target = getattr(p, name)
                if len(target) + len(items) > self.max_items:
                    refused += self._trim_new(target, items, self.max_items)
                p.coalesced += len(target.keys() & items.keys())
                target.update(items)
            room = self.max_metric_points - len(p.metrics)
            if len(batch.metrics) > room:
                refused += len(batch.metrics) - max(room, 0)
                p.metrics.extend(batch.metrics[: max(room, 0)])
            else:
                p.metrics.extend(batch.metrics)
            p.incident_sources.update(batch.incident_sources)
            p.heartbeats.update(batch.heartbeats)
            if batch.fleets:
                refused += self._merge_fleets(p, batch.fleets)
        return refused

    def _merge_fleets(self, p: Pending, fleets: list[FleetColumns]) -> int:
        """A frame with the same ids as one still pending supersedes it (coalesced, as positions
        are); other frames queue, and beyond ``max_entities`` pending rows the newest are refused."""
        refused = 0
        room = self.max_entities - sum(map(len, p.fleets))
        for cols in fleets:
            key = cols.ids_key
            if key is not None:
                for i, old in enumerate(p.fleets):
                    if old.ids_key == key:
                        del p.fleets[i]
                        p.coalesced += len(old)
                        room += len(old)
                        break
            if len(cols) <= room:
                p.fleets.append(cols)
                room -= len(cols)
            else:
                refused += len(cols)
        return refused

    def merge_positions(self, records: Sequence[Position], ts: Iterable[float]) -> int:
        """The hot path's merge: WGS 84 positions straight into the pending set.

        Same result as ``merge`` of a ``Pending`` holding them, without building that dict and
        intersecting key sets first (a third of the ingest time at one record per message).
        Returns how many records were refused because the buffer is full.
        """
        with self._lock:
            p = self._pending
            pos = p.positions
            if not self.history_points and len(pos) + len(records) <= self.max_entities:
                before = len(pos)
                pos.update(zip(map(_id, records), records, strict=True))
                p.coalesced += len(records) - (len(pos) - before)
                crs_of = p.position_crs
                if crs_of:
                    for entity_id in map(_id, records):
                        crs_of.pop(entity_id, None)
                p.position_ts.extend(ts)
                return 0
        batch = Pending()
        batch.positions.update(zip(map(_id, records), records, strict=True))
        batch.coalesced = len(records) - len(batch.positions)
        batch.position_ts.extend(ts)
        return self.merge(batch)

    @staticmethod
    def _trim_new(target: dict, incoming: dict, limit: int) -> int:
        """Drop incoming ids that are not already pending once ``limit`` is reached (in place)."""
        room = limit - len(target)
        refused = 0
        for key in list(incoming):
            if key in target:
                continue
            if room > 0:
                room -= 1
            else:
                del incoming[key]
                refused += 1
        return refused

    def drain(self) -> Pending:
        """Take everything pending (the buffer is empty afterwards)."""
        with self._lock:
            out, self._pending = self._pending, Pending()
        return out

    def __len__(self) -> int:
        with self._lock:
            return self._pending.records
