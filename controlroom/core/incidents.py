"""Incidents as the feed reports them: latest state per incident id, open ones drawn as markers.

The feed re-sends an incident with the same id whenever it changes (acknowledged, dispatched,
resolved); this board keeps the latest and hands the renderer columns of the open ones. Closed
and resolved incidents leave the map after ``keep_resolved_s`` but stay queryable until then.

An incident is only as current as its source: once nothing from that source has been accepted
for the incident type's timeout (the publisher died, or everything it sends is refused), its
open incidents are marked ``stale`` (drawn grey, listed as such) until the source speaks again.
They are not removed: an open incident is a real thing in the street that someone must close.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from controlroom.core.dispatch_model import OPEN_STATUSES
from controlroom.core.protocol import INCIDENT_STATUSES, INCIDENT_TYPES

#: Seconds of silence from an incident's source before its open incidents are marked stale
#: (sources send a heartbeat about every second, so a minute is many missed ones).
DEFAULT_INCIDENT_TIMEOUTS_S: dict[str, float] = dict.fromkeys(INCIDENT_TYPES, 60.0)


@dataclass(frozen=True)
class IncidentState:
    """One incident's latest report; x/y in the site's local frame."""

    id: str
    type: str
    severity: int
    x: float
    y: float
    camera_ids: tuple[str, ...]
    text: str
    status: str
    raised_at: float
    updated_at: float
    #: The feed source that reported it ("" when not from the feed) and whether it went silent.
    source: str = ""
    stale: bool = False

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class IncidentColumns:
    """Open incidents for the renderer: local x/y, severity 1–4, type and status codes."""

    ids: list[str]
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    severity: npt.NDArray[np.uint8]
    type: npt.NDArray[np.uint8]
    status: npt.NDArray[np.uint8]
    raised_at: npt.NDArray[np.float64]
    stale: npt.NDArray[np.bool_]


class IncidentBoard:
    def __init__(self, keep_resolved_s: float = 60.0, timeouts_s: Mapping[str, float] | None = None) -> None:
        merged = {**DEFAULT_INCIDENT_TIMEOUTS_S, **(timeouts_s or {})}
        unknown = sorted(set(merged) - set(INCIDENT_TYPES))
        if unknown:
            raise ValueError(
                f"incident timeouts for unknown types {unknown}; expected types from {INCIDENT_TYPES}"
            )
        self.timeouts_s = merged
        self.keep_resolved_s = keep_resolved_s
        self.version = 0
        self._items: dict[str, IncidentState] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, incident_id: object) -> bool:
        return incident_id in self._items

    def get(self, incident_id: str) -> IncidentState | None:
        return self._items.get(incident_id)

    def all(self) -> list[IncidentState]:
        return list(self._items.values())

    def open(self) -> list[IncidentState]:
        """Open incidents, most severe first, then newest first."""
        items = [i for i in self._items.values() if i.is_open]
        return sorted(items, key=lambda i: (-i.severity, -i.raised_at))

    def apply(self, states: Iterable[IncidentState]) -> list[str]:
        """Store the latest report per id; returns ids seen for the first time (to draw the eye)."""
        fresh: list[str] = []
        changed = False
        for s in states:
            if s.id not in self._items:
                fresh.append(s.id)
            self._items[s.id] = s
            changed = True
        if changed:
            self.version += 1
        return fresh

    def replace_all(self, states: Iterable[IncidentState]) -> None:
        """The board becomes exactly ``states`` (a replay showing the board as it stood)."""
        self._items = {s.id: s for s in states}
        self.version += 1

    def expire(self, now: float) -> list[str]:
        gone = [
            i.id for i in self._items.values() if not i.is_open and now - i.updated_at > self.keep_resolved_s
        ]
        for incident_id in gone:
            del self._items[incident_id]
        if gone:
            self.version += 1
        return gone

    def mark_stale(self, now: float, heard: Mapping[str, float]) -> list[str]:
        """Mark open incidents stale whose source (``heard``: source → when data from it was last
        accepted) has been silent past the type's timeout, and fresh again once it speaks.
        Returns the ids whose mark changed."""
        changed: list[str] = []
        for s in list(self._items.values()):
            if not s.is_open:
                continue
            last = max(heard.get(s.source, 0.0), s.updated_at)
            stale = now - last > self.timeouts_s[s.type]
            if stale != s.stale:
                self._items[s.id] = replace(s, stale=stale)
                changed.append(s.id)
        if changed:
            self.version += 1
        return changed

    def columns(self) -> IncidentColumns:
        items = self.open()
        return IncidentColumns(
            ids=[i.id for i in items],
            x=np.array([i.x for i in items], np.float64),
            y=np.array([i.y for i in items], np.float64),
            severity=np.array([i.severity for i in items], np.uint8),
            type=np.array([INCIDENT_TYPES.index(i.type) for i in items], np.uint8),
            status=np.array([INCIDENT_STATUSES.index(i.status) for i in items], np.uint8),
            raised_at=np.array([i.raised_at for i in items], np.float64),
            stale=np.array([i.stale for i in items], np.bool_),
        )
