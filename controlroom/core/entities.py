"""Latest state of every moving thing as numpy columns, with staleness and short trails.

The render adapter copies these columns into VTK arrays in place each tick, so the store keeps
one row per entity in contiguous arrays (no per-entity objects) and bumps ``version`` on every
change. Positions are in the site's local frame (metres east/north of the origin); the pump
converts before applying. An entity not heard from for its kind's timeout fades out over the next
timeout and is then removed (``expire``), so a dead tracker never lingers on the wall.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import repeat

import numpy as np
import numpy.typing as npt

from controlroom.core.protocol import ENTITY_KINDS

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]

#: Seconds without news before an entity of a kind starts to fade (GPS units report every 1–30 s).
DEFAULT_TIMEOUTS_S: dict[str, float] = {
    "bus": 30.0,
    "muck_truck": 60.0,
    "police": 30.0,
    "city_management": 60.0,
    "taxi": 30.0,
    "ambulance": 20.0,
    "fire_engine": 20.0,
    "sanitation": 60.0,
    "other": 60.0,
}


class EntityStore:
    """One row per entity id: position, heading, speed, kind and status codes, last-seen time."""

    def __init__(
        self,
        timeouts_s: Mapping[str, float] | None = None,
        trail_points: int = 20,
        capacity: int = 1024,
    ) -> None:
        merged = {**DEFAULT_TIMEOUTS_S, **(timeouts_s or {})}
        unknown = sorted(set(merged) - set(ENTITY_KINDS))
        if unknown:
            raise ValueError(
                f"entity timeouts for unknown kinds {unknown}; expected kinds from {ENTITY_KINDS}"
            )
        if trail_points < 1:
            raise ValueError(f"trail_points must be ≥ 1, got {trail_points}")
        #: Per kind code: seconds before fading starts (fading lasts as long again).
        self.timeout_by_kind: F64 = np.array([merged[k] for k in ENTITY_KINDS], np.float64)
        self.trail_points = trail_points
        self.version = 0
        self._n = 0
        self._ids: list[str] = []
        self._row: dict[str, int] = {}
        self._layout = 0
        self._alloc(max(16, capacity))

    def _alloc(self, cap: int) -> None:
        n = self._n

        def grow(old: npt.NDArray | None, shape: tuple[int, ...], dtype: type) -> npt.NDArray:
            new: npt.NDArray = np.zeros(shape, dtype)
            if old is not None and n:
                new[:n] = old[:n]
            return new

        g = getattr
        self._x: F64 = grow(g(self, "_x", None), (cap,), np.float64)
        self._y: F64 = grow(g(self, "_y", None), (cap,), np.float64)
        self._heading: F32 = grow(g(self, "_heading", None), (cap,), np.float32)
        self._speed: F32 = grow(g(self, "_speed", None), (cap,), np.float32)
        self._kind: U8 = grow(g(self, "_kind", None), (cap,), np.uint8)
        self._status: U8 = grow(g(self, "_status", None), (cap,), np.uint8)
        self._seen: F64 = grow(g(self, "_seen", None), (cap,), np.float64)
        self._trail: F32 = grow(g(self, "_trail", None), (cap, self.trail_points, 2), np.float32)
        self._trail_head: I64 = grow(g(self, "_trail_head", None), (cap,), np.int64)
        self._trail_count: I64 = grow(g(self, "_trail_count", None), (cap,), np.int64)
        self._cap = cap

    # ---------------------------------------------------------------- reading

    def __len__(self) -> int:
        return self._n

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._row

    @property
    def ids(self) -> list[str]:
        """Row → id (a copy is cheap to avoid; do not mutate)."""
        return self._ids

    def row(self, entity_id: str) -> int:
        return self._row[entity_id]

    @property
    def x(self) -> F64:
        return self._x[: self._n]

    @property
    def y(self) -> F64:
        return self._y[: self._n]

    @property
    def xy(self) -> F64:
        return np.column_stack((self.x, self.y))

    @property
    def heading(self) -> F32:
        return self._heading[: self._n]

    @property
    def speed(self) -> F32:
        return self._speed[: self._n]

    @property
    def kind(self) -> U8:
        """Codes: index into ``protocol.ENTITY_KINDS``."""
        return self._kind[: self._n]

    @property
    def status(self) -> U8:
        """Codes: index into ``protocol.ENTITY_STATUSES``."""
        return self._status[: self._n]

    @property
    def last_seen(self) -> F64:
        return self._seen[: self._n]

    def age(self, now: float) -> F64:
        return now - self.last_seen

    def opacity(self, now: float, rows: I64 | None = None) -> F32:
        """1 while fresh, falling linearly to 0 over a second timeout, for the renderer's alpha.

        ``rows``: only those (a renderer drawing a few of many), in that order.
        """
        if rows is None:
            kind, seen = self.kind, self.last_seen
        else:
            kind, seen = self._kind[rows], self._seen[rows]
        timeout = self.timeout_by_kind[kind]
        over = (now - seen - timeout) / timeout
        return np.clip(1.0 - over, 0.0, 1.0).astype(np.float32)

    def stale(self, now: float) -> npt.NDArray[np.bool_]:
        return self.age(now) > self.timeout_by_kind[self.kind]

    def trail(self, entity_id: str) -> F32:
        """The entity's last positions, oldest first, shape (k, 2)."""
        r = self._row[entity_id]
        count = int(self._trail_count[r])
        head = int(self._trail_head[r])
        order = (np.arange(head - count, head) % self.trail_points).astype(np.int64)
        return self._trail[r, order].copy()

    def trails(self, rows: I64 | list[int] | None = None) -> tuple[F32, I64]:
        """Trails of the given rows (all when None) as (k, trail_points, 2) oldest-first arrays,
        plus each one's valid point count (the last ``count`` points are valid)."""
        sel = np.arange(self._n) if rows is None else np.asarray(rows, np.int64)
        idx = (self._trail_head[sel, None] + np.arange(self.trail_points)[None, :]) % self.trail_points
        ordered = self._trail[sel[:, None], idx]
        return ordered, self._trail_count[sel]

    # ---------------------------------------------------------------- writing

    def upsert(
        self,
        ids: Sequence[str],
        kind: U8,
        x: F64,
        y: F64,
        heading: npt.ArrayLike,
        speed: npt.ArrayLike,
        status: U8,
        seen: float | F64,
    ) -> I64:
        """Write one batch (unique ids); new ids get new rows. Returns the rows written."""
        if len(ids) == 0:
            return np.zeros(0, np.int64)
        rows = self.rows_of(ids)
        self.write_rows(rows, kind, x, y, heading, speed, status, seen)
        return rows

    def rows_of(self, ids: Sequence[str]) -> I64:
        """The rows of these (unique) ids, new ids getting new rows. Valid while ``layout`` is unchanged."""
        row_of = self._row
        try:  # the steady state: every id already has a row (one C-speed pass, no Python loop)
            return np.fromiter(map(row_of.__getitem__, ids), np.int64, count=len(ids))
        except KeyError:
            return self._rows_adding_new(ids)

    @property
    def layout(self) -> int:
        """Changes when rows move (expiry compacts them, ``clear``): rows from ``rows_of`` are then stale.

        A caller that writes the same ids again and again (a fleet frame per tick) keeps their
        rows while this is unchanged and calls ``write_rows``, skipping the id lookups.
        """
        return self._layout

    def write_rows(
        self,
        rows: I64,
        kind: U8,
        x: F64,
        y: F64,
        heading: npt.ArrayLike,
        speed: npt.ArrayLike,
        status: U8,
        seen: float | F64,
    ) -> None:
        """``upsert`` for rows already known (``rows_of``)."""
        self._x[rows] = x
        self._y[rows] = y
        self._heading[rows] = heading
        self._speed[rows] = speed
        self._kind[rows] = kind
        self._status[rows] = status
        self._seen[rows] = seen
        self._push_trail(rows, x, y)
        self.version += 1

    def _rows_adding_new(self, ids: Sequence[str]) -> I64:
        """Rows for a batch with ids not seen before: those get new rows at the end."""
        row_of = self._row
        rows = np.fromiter(map(row_of.get, ids, repeat(-1)), np.int64, count=len(ids))
        new = np.flatnonzero(rows < 0)
        need = self._n + len(new)
        if need > self._cap:
            self._alloc(max(need, self._cap * 2))
        start = self._n
        added = list(ids) if len(new) == len(ids) else [ids[i] for i in new.tolist()]
        row_of.update(zip(added, range(start, need), strict=True))  # C-speed for a whole fleet
        self._ids.extend(added)
        rows[new] = np.arange(start, need)
        self._trail_count[start:need] = 0
        self._trail_head[start:need] = 0
        self._n = need
        return rows

    def set_trails(self, rows: I64, points: npt.NDArray[np.floating], counts: I64) -> None:
        """Replace these rows' trails at once: ``points`` (len(rows), k, 2) oldest first, of which
        the last ``counts`` are valid (a replay rebuilding trails from history after a jump)."""
        k = min(points.shape[1], self.trail_points)
        self._trail[rows, :k] = points[:, points.shape[1] - k :]
        self._trail_head[rows] = k % self.trail_points
        self._trail_count[rows] = np.minimum(counts, k)
        self.version += 1

    def restart_trails(self) -> None:
        """Every trail back to empty (a replay jumped: the next write starts each one afresh)."""
        self._trail_count[: self._n] = 0
        self._trail_head[: self._n] = 0
        self.version += 1

    def add_trail_points(self, ids: Sequence[str], x: F64, y: F64) -> None:
        """Earlier positions superseded in the feed buffer, so trails keep their shape under load."""
        rows = [self._row.get(i, -1) for i in ids]
        keep = np.array([r >= 0 for r in rows], bool)
        if keep.any():
            self._push_trail(np.array(rows, np.int64)[keep], np.asarray(x)[keep], np.asarray(y)[keep])

    def _push_trail(self, rows: I64, x: npt.ArrayLike, y: npt.ArrayLike) -> None:
        head = self._trail_head[rows]
        flat = (rows * self.trail_points + head) * 2  # one flat scatter per coordinate
        trail = self._trail.reshape(-1)
        trail[flat] = x
        trail[flat + 1] = y
        self._trail_head[rows] = (head + 1) % self.trail_points
        self._trail_count[rows] = np.minimum(self._trail_count[rows] + 1, self.trail_points)

    def expire(self, now: float) -> list[str]:
        """Drop entities past twice their timeout (fully faded); returns the removed ids."""
        n = self._n
        if n == 0:
            return []
        dead = self.age(now) > 2.0 * self.timeout_by_kind[self.kind]
        if not dead.any():
            return []
        keep = np.flatnonzero(~dead)
        removed = [self._ids[i] for i in np.flatnonzero(dead)]
        k = len(keep)
        for arr in (
            self._x,
            self._y,
            self._heading,
            self._speed,
            self._kind,
            self._status,
            self._seen,
            self._trail,
            self._trail_head,
            self._trail_count,
        ):
            arr[:k] = arr[keep]
        self._ids = [self._ids[i] for i in keep]
        self._row = {entity_id: r for r, entity_id in enumerate(self._ids)}
        self._n = k
        self._layout += 1
        self.version += 1
        return removed

    def clear(self) -> None:
        self._n = 0
        self._ids = []
        self._row = {}
        self._layout += 1
        self.version += 1
