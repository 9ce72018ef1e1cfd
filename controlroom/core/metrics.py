"""City vital signs (congestion index, AQI, power load, hotline calls) as rolling time series.

The KPI panel shows a big number and a chart of the last hour per metric. Each metric is a fixed
ring buffer of (time, value), so memory stays bounded however long the wall runs, and reading
the last hour is two array slices (no per-point objects for pyqtgraph to walk).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


class MetricRing:
    """One metric's samples in time order of arrival, bounded to ``capacity``."""

    def __init__(self, name: str, capacity: int, unit: str = "") -> None:
        self.name = name
        self.unit = unit
        self._t = np.zeros(capacity, np.float64)
        self._v = np.zeros(capacity, np.float64)
        self._head = 0
        self._count = 0
        self.version = 0

    def __len__(self) -> int:
        return self._count

    def append(self, t: float, value: float) -> None:
        cap = len(self._t)
        self._t[self._head] = t
        self._v[self._head] = value
        self._head = (self._head + 1) % cap
        self._count = min(self._count + 1, cap)
        self.version += 1

    def latest(self) -> tuple[float, float] | None:
        if not self._count:
            return None
        i = (self._head - 1) % len(self._t)
        return float(self._t[i]), float(self._v[i])

    def window(self, now: float, seconds: float) -> tuple[F64, F64]:
        """Samples with ``t`` in [now - seconds, now], sorted by time (late arrivals fall in place)."""
        cap = len(self._t)
        idx = (np.arange(self._head - self._count, self._head) % cap).astype(np.int64)
        t, v = self._t[idx], self._v[idx]
        keep = (t >= now - seconds) & (t <= now)
        t, v = t[keep], v[keep]
        if t.size > 1 and np.any(np.diff(t) < 0):
            order = np.argsort(t, kind="stable")
            t, v = t[order], v[order]
        return t, v


class MetricSeries:
    """All metrics by name; a metric appears the first time a point for it arrives."""

    def __init__(self, window_s: float = 3600.0, capacity: int = 8192) -> None:
        self.window_s = window_s
        self.capacity = capacity
        self.rings: dict[str, MetricRing] = {}
        self.version = 0

    def names(self) -> list[str]:
        return sorted(self.rings)

    def add(self, points: Iterable[tuple[str, float, float, str]]) -> set[str]:
        """Append (name, t, value, unit) points; returns the names that changed."""
        changed: set[str] = set()
        for name, t, value, unit in points:
            ring = self.rings.get(name)
            if ring is None:
                ring = self.rings[name] = MetricRing(name, self.capacity, unit)
            if unit and not ring.unit:
                ring.unit = unit
            ring.append(t, value)
            changed.add(name)
        if changed:
            self.version += 1
        return changed

    def latest(self, name: str) -> tuple[float, float] | None:
        ring = self.rings.get(name)
        return ring.latest() if ring else None

    def series(self, name: str, now: float) -> tuple[F64, F64]:
        """The last ``window_s`` of one metric, time-sorted; empty arrays for an unknown name."""
        ring = self.rings.get(name)
        if ring is None:
            return np.zeros(0), np.zeros(0)
        return ring.window(now, self.window_s)
