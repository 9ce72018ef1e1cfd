"""Incidents as the feed reports them: latest state per incident id, open ones drawn as markers.

The feed re-sends an incident with the same id whenever it changes (acknowledged, dispatched,
resolved); this board keeps the latest and hands the renderer columns of the open ones. Closed
and resolved incidents leave the map after ``keep_resolved_s`` but stay queryable until then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from controlroom.core.protocol import INCIDENT_STATUSES, INCIDENT_TYPES

_OPEN = {"new", "acknowledged", "dispatched", "on_scene"}


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

    @property
    def is_open(self) -> bool:
        return self.status in _OPEN


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


class IncidentBoard:
    def __init__(self, keep_resolved_s: float = 60.0) -> None:
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

    def expire(self, now: float) -> list[str]:
        gone = [
            i.id for i in self._items.values() if not i.is_open and now - i.updated_at > self.keep_resolved_s
        ]
        for incident_id in gone:
            del self._items[incident_id]
        if gone:
            self.version += 1
        return gone

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
        )
