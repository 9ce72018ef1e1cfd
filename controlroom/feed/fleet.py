"""Columnar fleet frames (``FleetFrame``, topic ``flt|``): a whole fleet per tick, no object per record.

A ``PositionBatch`` costs a Python object per record at every step (decode, buffer, pump); a
fleet frame's columns are read with ``numpy.frombuffer`` (no copy), checked as whole arrays and
written into the entity store's arrays in one ``upsert``. Only the ids are Python strings, since
the store keys its rows by them. Bad rows (outside the extent, not finite, unknown kind or
status code) are dropped and counted under their reason; the rest of the frame is applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from controlroom.core.protocol import ENTITY_KINDS, ENTITY_STATUSES, SCHEMA_VERSION, WGS84, FleetFrame
from controlroom.feed.codec import RejectError

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]

#: Column name → little-endian dtype on the wire.
COLUMNS: dict[str, np.dtype] = {
    "x": np.dtype("<f8"),
    "y": np.dtype("<f8"),
    "heading": np.dtype("<f4"),
    "speed": np.dtype("<f4"),
    "kinds": np.dtype("u1"),
    "statuses": np.dtype("u1"),
    "t": np.dtype("<f8"),
}
_KINDS = len(ENTITY_KINDS)
_STATUSES = len(ENTITY_STATUSES)


@dataclass
class FleetColumns:
    """One accepted frame's rows as arrays (views into the frame where nothing was dropped).

    ``ids_key`` is the frame's ids blob while every row is kept (the pump keeps the store's rows
    per blob), ``None`` once rows were dropped.
    """

    ids: list[str]
    x: F64
    y: F64
    heading: F32
    speed: F32
    kind: U8
    status: U8
    t: F64
    crs: str
    ts: float
    ids_key: bytes | None = None
    #: Ids named more than once in the frame (counted when the ids were first seen).
    repeated: int = 0

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, keep: npt.NDArray[np.bool_]) -> FleetColumns:
        ids = self.ids
        return FleetColumns(
            [ids[i] for i in np.flatnonzero(keep).tolist()],
            self.x[keep],
            self.y[keep],
            self.heading[keep],
            self.speed[keep],
            self.kind[keep],
            self.status[keep],
            self.t[keep],
            self.crs,
            self.ts,
        )


def fleet_frame(
    ids: Sequence[str],
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    *,
    heading: npt.ArrayLike = 0.0,
    speed: npt.ArrayLike = 0.0,
    kind: npt.ArrayLike = 0,
    status: npt.ArrayLike = 0,
    t: npt.ArrayLike = 0.0,
    crs: str = WGS84,
    ts: float = 0.0,
) -> FleetFrame:
    """A frame from arrays (scalars are broadcast); the publisher fills in source, seq and epoch.

    ``kind`` and ``status`` are codes (indexes into ``ENTITY_KINDS`` / ``ENTITY_STATUSES``).
    """
    n = len(ids)
    if any("\n" in i for i in ids):
        raise ValueError("fleet frame ids cannot contain a newline (it separates them on the wire)")
    values = {"x": x, "y": y, "heading": heading, "speed": speed, "kinds": kind, "statuses": status, "t": t}
    packed = {
        name: np.broadcast_to(np.asarray(values[name], dtype), (n,)).astype(dtype, copy=False).tobytes()
        for name, dtype in COLUMNS.items()
    }
    blob = "\n".join(ids).encode()
    return FleetFrame(SCHEMA_VERSION, "", 0, ts, blob, crs=crs, **packed)  # type: ignore[arg-type]


class IdTables:
    """The ids of the last few distinct id blobs: a fleet's blob is split and checked once, not per frame."""

    def __init__(self, keep: int = 16) -> None:
        self.keep = keep
        self._known: dict[bytes, tuple[list[str], int]] = {}

    def __call__(self, blob: bytes) -> tuple[list[str], int]:
        """(ids, how many are repeats of an earlier id in the blob)."""
        known = self._known.get(blob)
        if known is None:
            ids = blob.decode().split("\n") if blob else []
            known = (ids, len(ids) - len(set(ids)))
            if len(self._known) >= self.keep:
                self._known.pop(next(iter(self._known)))
            self._known[blob] = known
        return known


def fleet_columns(msg: FleetFrame, tables: IdTables) -> FleetColumns:
    """The frame's columns as arrays; ``RejectError("malformed")`` when a column has the wrong length."""
    try:
        ids, repeated = tables(msg.ids)
    except UnicodeDecodeError as exc:
        raise RejectError("malformed", f"fleet frame ids: not UTF-8 ({exc})") from None
    n = len(ids)
    arrays = {}
    for name, dtype in COLUMNS.items():
        raw: bytes = getattr(msg, name)
        if len(raw) != n * dtype.itemsize:
            raise RejectError(
                "malformed",
                f"fleet frame column '{name}': {len(raw)} bytes; expected {n} × {dtype.itemsize} for {n} ids",
            )
        arrays[name] = np.frombuffer(raw, dtype)
    return FleetColumns(
        ids,
        arrays["x"],
        arrays["y"],
        arrays["heading"],
        arrays["speed"],
        arrays["kinds"],
        arrays["statuses"],
        arrays["t"],
        msg.crs,
        msg.ts,
        msg.ids,
        repeated,
    )


def check_rows(
    cols: FleetColumns, box: tuple[float, float, float, float]
) -> tuple[FleetColumns, dict[str, int], str]:
    """Rows inside ``box`` with finite values and known codes; the rest counted per reason.

    An id named twice keeps its last row; the others count as ``invalid_record``.

    Returns (kept rows, count per reject reason, a description of the first bad row).
    """
    minx, miny, maxx, maxy = box
    x, y = cols.x, cols.y
    with np.errstate(invalid="ignore"):
        inside = (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)
        finite = np.isfinite(cols.heading + cols.speed) & np.isfinite(cols.t)
    codes = (cols.kind < _KINDS) & (cols.status < _STATUSES)
    ok = inside & finite & codes
    if ok.all():
        if not cols.repeated:
            return cols, {}, ""
        twice = cols.repeated
        return _dedupe(cols), {"invalid_record": twice}, f"{twice} id(s) twice in one fleet frame"
    xy_finite = np.isfinite(x) & np.isfinite(y)
    reasons = {
        "out_of_extent": int(np.count_nonzero(~inside & xy_finite)),
        "non_finite": int(np.count_nonzero(~xy_finite | (inside & ~finite))),
        "invalid_record": int(np.count_nonzero(inside & finite & ~codes)),
    }
    first = int(np.flatnonzero(~ok)[0])
    detail = (
        f"entity {cols.ids[first]!r} at ({x[first]}, {y[first]}) in {cols.crs},"
        f" heading {cols.heading[first]}, speed {cols.speed[first]},"
        f" kind code {cols.kind[first]}, status code {cols.status[first]}"
    )
    kept = cols.take(ok)
    if cols.repeated and len(set(kept.ids)) != len(kept.ids):
        extra = len(kept.ids) - len(set(kept.ids))
        kept = _dedupe(kept)
        reasons["invalid_record"] += extra
    return kept, {r: n for r, n in reasons.items() if n}, detail


def _dedupe(cols: FleetColumns) -> FleetColumns:
    """The last row of each id (a frame naming an id twice: the later row wins, as in a batch)."""
    last = {entity_id: i for i, entity_id in enumerate(cols.ids)}
    keep = np.zeros(len(cols.ids), bool)
    keep[list(last.values())] = True
    return cols.take(keep)
