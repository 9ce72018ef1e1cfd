"""Fixed sensors (river level, air quality, noise …): latest reading per sensor as numpy columns.

Sensors are few (hundreds) compared with vehicles, but they are drawn the same way, as coloured
columns updated in place, so they share the column layout: one row per sensor, codes for kind
and status, positions in the site's local frame, and a ``version`` bumped on change.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from controlroom.core.protocol import SENSOR_STATUSES

F64 = npt.NDArray[np.float64]
U8 = npt.NDArray[np.uint8]

_STATUS_CODE = {s: i for i, s in enumerate(SENSOR_STATUSES)}


class SensorStore:
    """Latest value per sensor id; sensor kinds get codes in order of first appearance."""

    def __init__(self, stale_after_s: float = 300.0) -> None:
        self.stale_after_s = stale_after_s
        self.kinds: list[str] = []
        self.units: dict[str, str] = {}
        self.version = 0
        self._ids: list[str] = []
        self._row: dict[str, int] = {}
        self._x = np.zeros(0, np.float64)
        self._y = np.zeros(0, np.float64)
        self._value = np.zeros(0, np.float64)
        self._kind = np.zeros(0, np.uint8)
        self._status = np.zeros(0, np.uint8)
        self._seen = np.zeros(0, np.float64)

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> list[str]:
        return self._ids

    @property
    def x(self) -> F64:
        return self._x

    @property
    def y(self) -> F64:
        return self._y

    @property
    def value(self) -> F64:
        return self._value

    @property
    def kind(self) -> U8:
        """Codes: index into ``kinds``."""
        return self._kind

    @property
    def status(self) -> U8:
        """Codes: index into ``protocol.SENSOR_STATUSES``."""
        return self._status

    @property
    def last_seen(self) -> F64:
        return self._seen

    def stale(self, now: float) -> npt.NDArray[np.bool_]:
        return now - self._seen > self.stale_after_s

    def reading(self, sensor_id: str) -> tuple[str, float, str]:
        """(kind, value, status) of one sensor."""
        r = self._row[sensor_id]
        return self.kinds[int(self._kind[r])], float(self._value[r]), SENSOR_STATUSES[int(self._status[r])]

    def kind_code(self, kind: str, unit: str = "") -> int:
        try:
            return self.kinds.index(kind)
        except ValueError:
            if len(self.kinds) >= 255:
                raise ValueError("more than 255 sensor kinds; expected a small fixed vocabulary") from None
            self.kinds.append(kind)
            self.units[kind] = unit
            return len(self.kinds) - 1

    def upsert(
        self,
        ids: Sequence[str],
        kinds: Sequence[str],
        units: Sequence[str],
        x: F64,
        y: F64,
        value: F64,
        status: Sequence[str],
        seen: float,
    ) -> None:
        if not ids:
            return
        new = [i for i in dict.fromkeys(ids) if i not in self._row]
        if new:
            n0 = len(self._ids)
            for j, sensor_id in enumerate(new):
                self._row[sensor_id] = n0 + j
            self._ids.extend(new)
            pad = len(new)
            self._x = np.concatenate([self._x, np.zeros(pad)])
            self._y = np.concatenate([self._y, np.zeros(pad)])
            self._value = np.concatenate([self._value, np.zeros(pad)])
            self._kind = np.concatenate([self._kind, np.zeros(pad, np.uint8)])
            self._status = np.concatenate([self._status, np.zeros(pad, np.uint8)])
            self._seen = np.concatenate([self._seen, np.zeros(pad)])
        rows = np.fromiter((self._row[i] for i in ids), np.int64, len(ids))
        self._x[rows] = x
        self._y[rows] = y
        self._value[rows] = value
        self._kind[rows] = [self.kind_code(k, u) for k, u in zip(kinds, units, strict=True)]
        self._status[rows] = [_STATUS_CODE[s] for s in status]
        self._seen[rows] = seen
        self.version += 1
