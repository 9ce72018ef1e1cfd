"""Model state → history rows (the column dicts ``HistoryWriter.append`` takes)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from controlroom.core.entities import EntityStore
from controlroom.core.incidents import IncidentState
from controlroom.core.protocol import SENSOR_STATUSES
from controlroom.core.sensors import SensorStore


def position_rows(
    ids: list[str],
    t_ms: int,
    kind: npt.NDArray[np.uint8],
    status: npt.NDArray[np.uint8],
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    heading: npt.NDArray[np.floating],
    speed: npt.NDArray[np.floating],
    *,
    kf: bool = False,
) -> dict[str, object]:
    n = len(ids)
    return {
        "id": ids,
        "t_ms": np.full(n, t_ms, np.int64),
        "kf": np.full(n, kf),
        "gone": np.zeros(n, bool),
        "kind": kind,
        "status": status,
        "x_cm": np.round(x * 100).astype(np.int32),
        "y_cm": np.round(y * 100).astype(np.int32),
        "heading_dd": np.round(np.mod(heading, 360.0) * 10).astype(np.int16),
        "speed_cms": np.clip(np.round(speed * 100), -32768, 32767).astype(np.int16),
    }


def store_rows(
    store: EntityStore, t_ms: int, ids: list[str] | None = None, *, kf: bool = False
) -> dict[str, object]:
    """Rows for ``ids`` (every entity when None) as the store holds them now."""
    if ids is None:
        rows: npt.NDArray[np.int64] | slice = slice(None)
        ids = list(store.ids)
    else:
        rows = np.fromiter((store.row(i) for i in ids), np.int64, len(ids))
    return position_rows(
        ids, t_ms, store.kind[rows], store.status[rows], store.x[rows], store.y[rows],
        store.heading[rows], store.speed[rows], kf=kf,
    )  # fmt: skip


def gone_rows(ids: list[str], t_ms: int) -> dict[str, object]:
    n = len(ids)
    z = np.zeros(n, np.int32)
    return {
        "id": ids, "t_ms": np.full(n, t_ms, np.int64), "kf": np.zeros(n, bool), "gone": np.ones(n, bool),
        "kind": z.astype(np.uint8), "status": z.astype(np.uint8), "x_cm": z, "y_cm": z,
        "heading_dd": z.astype(np.int16), "speed_cms": z.astype(np.int16),
    }  # fmt: skip


def sensor_rows(
    store: SensorStore, t_ms: int, ids: list[str] | None = None, *, kf: bool = False
) -> dict[str, object]:
    all_ids = store.ids
    sel = list(range(len(all_ids))) if ids is None else [all_ids.index(i) for i in ids]
    kinds = [store.kinds[int(store.kind[r])] for r in sel]
    return {
        "id": [all_ids[r] for r in sel],
        "t_ms": np.full(len(sel), t_ms, np.int64),
        "kf": np.full(len(sel), kf),
        "kind": kinds,
        "unit": [store.units.get(k, "") for k in kinds],
        "x": store.x[sel],
        "y": store.y[sel],
        "value": store.value[sel],
        "status": [SENSOR_STATUSES[int(store.status[r])] for r in sel],
    }


def incident_rows(
    states: list[IncidentState], t_ms: int, *, kf: bool = False, gone: list[str] | None = None
) -> dict[str, object]:
    gone = gone or []
    n = len(states) + len(gone)
    return {
        "id": [s.id for s in states] + gone,
        "t_ms": np.full(n, t_ms, np.int64),
        "kf": np.full(n, kf),
        "gone": [False] * len(states) + [True] * len(gone),
        "type": [s.type for s in states] + [""] * len(gone),
        "severity": [s.severity for s in states] + [0] * len(gone),
        "x": [s.x for s in states] + [0.0] * len(gone),
        "y": [s.y for s in states] + [0.0] * len(gone),
        "status": [s.status for s in states] + ["closed"] * len(gone),
        "text": [s.text for s in states] + [""] * len(gone),
        "raised_at": [s.raised_at for s in states] + [0.0] * len(gone),
        "source": [s.source for s in states] + [""] * len(gone),
    }
