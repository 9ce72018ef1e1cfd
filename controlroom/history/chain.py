"""Per-entity prediction coding of position minute files, and reading them back fast.

A vehicle's next position is close to where its last two put it, so a minute file stores, per
entity (rows sorted by id, then time), the first row's coordinates, the second row's step and
from then on only the change of step (a second difference: 0 or ±1 cm for steady motion, one
larger value at a turn). ZSTD squeezes those small numbers to about a third of a byte; plain
delta encoding of absolute values costs about a byte, because the jump from one entity to the
next sits in every other block of 32. Heading is stored as its change (first difference). Each
file starts its chains afresh, so a lost file costs only its own minute.

``MinuteIndex`` answers "every entity's latest row at or before T" without decoding whole
columns: two prefix sums per coordinate give any row's value in O(1) (see ``_order2``), and
a search in the (entity, time) key finds each entity's row; a reader keeps a few of them so
scrubbing inside a minute costs milliseconds. Segment files (the open minute, absolute values,
unsorted) go through the same class with their rows sorted on load.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

#: Schema metadata key marking a chain-coded file; its value lists "column:order" pairs.
CHAIN_KEY = b"controlroom.chain"
#: Schema metadata key listing a position file's keyframe times (ms, comma-separated): a state
#: question then needs no pass over the ``kf`` column.
KEYFRAMES_KEY = b"controlroom.keyframes"
#: Columns coded per table: 2 = second difference (coordinates), 1 = first difference.
CHAINED: dict[str, dict[str, int]] = {"positions": {"x_cm": 2, "y_cm": 2, "heading_dd": 1}}

I64 = npt.NDArray[np.int64]


def _starts(codes: npt.NDArray[np.integer]) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """The first row of each entity's run (g0) and the second (g1)."""
    g0 = np.ones(len(codes), bool)
    if len(codes) > 1:
        g0[1:] = codes[1:] != codes[:-1]
    g1 = np.zeros(len(codes), bool)
    if len(codes) > 1:
        g1[1:] = g0[:-1] & ~g0[1:]
    return g0, g1


def _key_codes(data: pa.Table, key: str) -> npt.NDArray[np.int64]:
    col = data.column(key)
    if not pa.types.is_dictionary(col.type):
        col = pc.dictionary_encode(col)
    return np.asarray(col.combine_chunks().indices.to_numpy(zero_copy_only=False), np.int64)


def encode(data: pa.Table, table: str, key: str) -> pa.Table:
    """Rows sorted by ``key`` then time → the same rows with ``CHAINED`` columns coded."""
    cols = CHAINED.get(table)
    if not cols or not data.num_rows:
        return data
    g0, g1 = _starts(_key_codes(data, key))
    first, second = np.flatnonzero(g0), np.flatnonzero(g1)
    out = data
    for name, order in cols.items():
        i = out.schema.get_field_index(name)
        typ = out.schema.field(name).type
        stored = typ.to_pandas_dtype()
        v = out.column(name).to_numpy()
        # int32 arithmetic when no step can overflow it (any site smaller than ±5,000 km)
        wide = np.int32 if v.dtype.itemsize < 4 or int(np.abs(v).max()) < 2**29 else np.int64
        v = v.astype(wide, copy=False)
        e = np.empty_like(v)
        e[0] = v[0]
        np.subtract(v[1:], v[:-1], out=e[1:])
        e[first] = v[first]
        r = e
        if order == 2:
            r = np.empty_like(e)
            r[0] = e[0]
            np.subtract(e[1:], e[:-1], out=r[1:])
            r[first] = e[first]
            r[second] = e[second]
        info = np.iinfo(stored)
        if np.iinfo(wide).max > info.max and (r.min() < info.min or r.max() > info.max):
            raise ValueError(f"history: {name} steps exceed {typ} (coordinates out of the site's range)")
        out = out.set_column(i, out.schema.field(name), pa.array(r.astype(stored, copy=False), typ))
    meta = dict(out.schema.metadata or {})
    meta[CHAIN_KEY] = ",".join(f"{n}:{o}" for n, o in cols.items()).encode()
    kf_t = np.sort(pc.unique(pc.filter(out.column("t_ms"), out.column("kf"))).to_numpy())
    meta[KEYFRAMES_KEY] = ",".join(map(str, kf_t.tolist())).encode()
    return out.replace_schema_metadata(meta)


def chained_columns(schema: pa.Schema) -> dict[str, int]:
    raw = (schema.metadata or {}).get(CHAIN_KEY)
    if not raw:
        return {}
    return {n: int(o) for n, o in (p.split(":") for p in raw.decode().split(","))}


def _segcum(v: I64, starts: npt.NDArray[np.bool_]) -> I64:
    """Cumulative sum restarting at every ``starts`` row."""
    cs = np.cumsum(v)
    idx = np.flatnonzero(starts)
    base = np.concatenate(([0], cs))[idx]
    return cs - np.repeat(base, np.diff(np.append(idx, len(v))))


def decode(data: pa.Table, key: str) -> pa.Table:
    """A chain-coded table → absolute values (every row)."""
    cols = chained_columns(data.schema)
    if not cols or not data.num_rows:
        return data.replace_schema_metadata(None) if cols else data
    g0, g1 = _starts(_key_codes(data, key))
    out = data
    for name, order in cols.items():
        r = out.column(name).to_numpy().astype(np.int64)
        v = _segcum(_segcum(r, g0 | g1), g0) if order == 2 else _segcum(r, g0)
        f = out.schema.field(name)
        out = out.set_column(
            out.schema.get_field_index(name), f, pa.array(v.astype(f.type.to_pandas_dtype()))
        )
    return out.replace_schema_metadata(None)


@dataclass
class MinuteIndex:
    """One file's rows, ready for "latest row per entity at or before T" in milliseconds.

    Coded columns are kept as int32 prefix sums; their arithmetic wraps modulo 2**32, which
    leaves every difference, and so every value that fits the column, exact."""

    path: Path
    ids: pa.Array  # the distinct entity ids, one per group, in file order
    group_start: I64  # first row of each group
    t_rel: npt.NDArray[np.int32]  # t_ms - t0 per row (ascending within each group)
    t0: int
    kf_times: I64  # sorted
    columns: dict[str, tuple[np.ndarray, ...]]  # plain: (values,); order 1: (A,); order 2: (r, A, C)
    orders: dict[str, int] = field(default_factory=dict)

    def t_at(self, rows: I64) -> I64:
        return self.t_rel[rows].astype(np.int64) + self.t0

    @property
    def t_min(self) -> int:
        return self.t0

    @cached_property
    def t_max(self) -> int:
        return int(self.t_rel.max()) + self.t0 if len(self.t_rel) else self.t0

    def keyframe_at(self, t_ms: int) -> int | None:
        """The last keyframe at or before ``t_ms`` in this file."""
        i = int(np.searchsorted(self.kf_times, t_ms, side="right")) - 1
        return int(self.kf_times[i]) if i >= 0 else None

    def latest(self, t_ms: int) -> pa.Table:
        """Each entity's latest row at or before ``t_ms`` (absolute values, stored units)."""
        n = len(self.group_start)
        if not n or t_ms < self.t0:
            return pa.table({"id": pa.array([], pa.string())})
        rel = min(t_ms - self.t0, np.iinfo(np.int32).max)
        # rows at or before the instant form a prefix of each group (time ascends within it)
        last = last_at_or_before(self.t_rel, self.group_start, rel)
        groups = np.flatnonzero(last >= self.group_start)
        return self._rows(last[groups], groups)

    def all_rows(self) -> pa.Table:
        """Every row, absolute (for ranges)."""
        j = np.arange(len(self.t_rel), dtype=np.int64)
        g = np.repeat(
            np.arange(len(self.group_start), dtype=np.int64), np.diff(np.append(self.group_start, len(j)))
        )
        return self._rows(j, g)

    def _rows(self, j: I64, g: I64) -> pa.Table:
        out: dict[str, object] = {"id": self.ids.take(pa.array(g)), "t_ms": self.t_at(j)}
        for name, col in self.columns.items():
            order = self.orders.get(name, 0)
            if order == 0:
                out[name] = col[0][j]
            elif order == 1:
                out[name] = col[0][j + 1] - col[0][self.group_start[g]]
            else:
                out[name] = _order2(col, j, self.group_start[g])
        return pa.table(out)


def _order2(col: tuple[np.ndarray, ...], j: I64, s0: I64) -> np.ndarray:
    """Value at rows ``j`` of a second-difference chain starting at ``s0``.

    With r the stored values and A its prefix sum, the steps are e_m = A[m+1] - A[s0+1] + r[s0+1]
    for m > s0 (the second row holds the first step), so x_j = r[s0] + Σ_{m=s0+1..j} e_m
    = r[s0] + (j - s0)·(r[s0+1] - A[s0+1]) + (C[j+1] - C[s0+1]), C the prefix sum of A[1:]
    (int32, wrapping: the differences come out exact). ``col`` is (r, A, C), or (r, A) to sum
    C over A's own buffer once the A values needed are taken (A is then lost)."""
    r, a_sum = col[0], col[1]
    out = r[s0].copy()
    step = j > s0
    js, ss = j[step], s0[step]
    with np.errstate(over="ignore"):
        first = r[ss + 1] - a_sum[ss + 2]  # e_m = A[m+1] - A[s0+2] + r[s0+1]
        if len(col) > 2:
            c_sum = col[2]
        else:
            c_sum = a_sum
            np.cumsum(a_sum[1:], dtype=np.int32, out=a_sum[1:])
        out[step] += (js - ss).astype(np.int32) * first + (c_sum[js + 1] - c_sum[ss + 1])
    return out


def _prefix(v: np.ndarray, into: np.ndarray | None = None) -> np.ndarray:
    """0 followed by the running sum of ``v`` (int32, wrapping), in ``into`` when given."""
    out = np.empty(len(v) + 1, np.int32) if into is None else into[: len(v) + 1]
    out[0] = 0
    with np.errstate(over="ignore"):
        np.cumsum(v, dtype=np.int32, out=out[1:])
    return out


def _keyframes(listed: bytes | None, data: pa.Table, t: np.ndarray) -> I64:
    if listed is not None:
        return np.array([int(v) for v in listed.decode().split(",") if v], np.int64)
    return np.unique(t[data.column("kf").to_numpy(zero_copy_only=False)]).astype(np.int64)


def load_index(path: Path, table: str, key: str, columns: list[str]) -> MinuteIndex:
    """Read ``columns`` (besides key, time and ``kf``) of one file into a ``MinuteIndex``."""
    pf = pq.ParquetFile(path, read_dictionary=[key])
    orders = chained_columns(pf.schema_arrow)
    listed = (pf.schema_arrow.metadata or {}).get(KEYFRAMES_KEY)
    data = pf.read(columns=[key, "t_ms", *columns] + ([] if listed is not None else ["kf"]))
    col = data.column(key).combine_chunks()
    if not pa.types.is_dictionary(col.type):
        col = pc.dictionary_encode(col)
    codes = np.asarray(col.indices.to_numpy(zero_copy_only=False))
    t = data.column("t_ms").to_numpy()
    if not orders:  # a segment: absolute values, rows in arrival order
        order = np.lexsort((t, codes))
        data, codes, t = data.take(pa.array(order)), codes[order], t[order]
    g0, _ = _starts(codes)
    group_start = np.flatnonzero(g0).astype(np.int64)
    t0 = int(t.min()) if len(t) else 0
    cols: dict[str, tuple[np.ndarray, ...]] = {}
    for name in columns:
        v = data.column(name).combine_chunks().to_numpy(zero_copy_only=False)
        o = orders.get(name, 0)
        if o == 0:
            cols[name] = (v,)
            continue
        r = np.asarray(v, np.int32)  # no copy for int32 columns
        a_sum = _prefix(r)
        cols[name] = (a_sum,) if o == 1 else (r, a_sum, _prefix(a_sum[1:]))
    return MinuteIndex(
        path=path,
        ids=col.dictionary.take(pa.array(codes[group_start]))
        if len(group_start)
        else pa.array([], pa.string()),
        group_start=group_start,
        t_rel=(t - t0).astype(np.int32),
        t0=t0,
        kf_times=_keyframes(listed, data, t),
        columns=cols,
        orders=orders,
    )


@dataclass
class FileHead:
    """What a file's footer says without decoding a row: its time span and keyframes."""

    t_min: int
    t_max: int
    kf_times: I64

    def keyframe_at(self, t_ms: int) -> int | None:
        i = int(np.searchsorted(self.kf_times, t_ms, side="right")) - 1
        return int(self.kf_times[i]) if i >= 0 else None


def file_head(path: Path) -> FileHead | None:
    """The footer's time span and keyframe list, or None where the footer lacks them (a
    segment, an older file): the file is then decoded to answer."""
    md = pq.ParquetFile(path).metadata
    listed = (md.metadata or {}).get(KEYFRAMES_KEY)
    if listed is None or CHAIN_KEY not in (md.metadata or {}):
        return None
    i = md.schema.to_arrow_schema().get_field_index("t_ms")
    lo, hi = [], []
    for g in range(md.num_row_groups):
        stats = md.row_group(g).column(i).statistics
        if stats is None or not stats.has_min_max:
            return None
        lo.append(stats.min)
        hi.append(stats.max)
    kf = np.array([int(v) for v in listed.decode().split(",") if v], np.int64)
    return FileHead(min(lo, default=0), max(hi, default=0), kf)


def _group_starts(codes: npt.NDArray[np.integer]) -> I64:
    """The first row of each run of equal codes."""
    if not len(codes):
        return np.zeros(0, np.int64)
    return np.concatenate(([0], np.flatnonzero(codes[1:] != codes[:-1]) + 1)).astype(np.int64)


def last_at_or_before(t: npt.NDArray[np.integer], starts: I64, t_ms: int) -> I64:
    """Per group (rows ``starts[g]`` up to the next start, times ascending), the last row with
    ``t <= t_ms``, or ``starts[g] - 1`` where there is none: a binary search in every group at
    once, so a 60-row group costs 7 steps instead of a pass over all its rows."""
    lo = starts.copy()
    hi = np.append(starts[1:], len(t)).astype(np.int64)
    top = max(len(t) - 1, 0)
    while True:
        open_ = lo < hi
        if not open_.any():
            return lo - 1
        mid = (lo + hi) >> 1
        right = t[np.minimum(mid, top)] <= t_ms
        lo = np.where(open_ & right, mid + 1, lo)
        hi = np.where(open_ & ~right, mid, hi)


def _never_true(md: pq.FileMetaData, name: str) -> bool:
    """Whether the footer's statistics show a boolean column holding no true value at all."""
    names = md.schema.names
    if name not in names:
        return False
    i = names.index(name)
    for g in range(md.num_row_groups):
        stats = md.row_group(g).column(i).statistics
        if stats is None or not stats.has_min_max or stats.max is not False:
            return False
    return True


def read_latest(path: Path, key: str, columns: list[str], t_ms: int) -> pa.Table:
    """Each key's latest row at or before ``t_ms`` in one chain-coded file, decoding only what
    that needs: the columns read once (a boolean column the footer shows all false, such as
    ``gone`` in a minute nobody left, not at all), each key's answer row found by a binary
    search in its run, and the coded columns summed only at those rows (a cold question:
    nothing is kept, unlike ``load_index``)."""
    pf = pq.ParquetFile(path, read_dictionary=[key], memory_map=True)
    orders = chained_columns(pf.schema_arrow)
    all_false = [
        c for c in columns if pf.schema_arrow.field(c).type == pa.bool_() and _never_true(pf.metadata, c)
    ]
    data = pf.read(columns=[key, "t_ms", *(c for c in columns if c not in all_false)])
    return _latest_rows(data, key, columns, orders, all_false, t_ms)


def _latest_rows(
    data: pa.Table, key: str, columns: list[str], orders: dict[str, int], all_false: list[str], t_ms: int
) -> pa.Table:
    col = data.column(key).combine_chunks()
    if not pa.types.is_dictionary(col.type):
        col = pc.dictionary_encode(col)
    codes = np.asarray(col.indices.to_numpy(zero_copy_only=False))
    t = data.column("t_ms").to_numpy()
    group_start = _group_starts(codes)
    last = last_at_or_before(t, group_start, t_ms)
    groups = np.flatnonzero(last >= group_start)
    s0, last = group_start[groups], last[groups]
    out: dict[str, object] = {"id": col.dictionary.take(pa.array(codes[s0])), "t_ms": t[last]}
    scratch = _scratch(len(t) + 1) if orders else None
    for name in columns:
        if name in all_false:
            out[name] = np.zeros(len(last), bool)
            continue
        v = data.column(name).combine_chunks().to_numpy(zero_copy_only=False)
        order = orders.get(name, 0)
        if order == 0 or scratch is None:
            out[name] = v[last]
            continue
        a_sum = _prefix(v, scratch)  # summed as int32 straight from int16 (no copy)
        if order == 1:
            out[name] = a_sum[last + 1] - a_sum[s0]  # int32, as ``MinuteIndex`` gives it
        else:
            out[name] = _order2((np.asarray(v, np.int32), a_sum), last, s0)  # A summed into C
    return pa.table(out)


_SCRATCH = threading.local()


def _scratch(n: int) -> npt.NDArray[np.int32]:
    """This thread's int32 prefix-sum buffer, at least ``n`` long, kept between questions.

    A fresh 12 MB array per coded column and question is memory the allocator maps anew each
    time: its page faults cost a cold question more than the sums themselves (measured: the
    prefix sums of one 3 M-row minute 49 ms in a process's second question, 15 ms once its
    memory is reused)."""
    buf: npt.NDArray[np.int32] | None = getattr(_SCRATCH, "buf", None)
    if buf is None or len(buf) < n:
        buf = _SCRATCH.buf = np.empty(max(n, 1), np.int32)
    return buf
