"""Questions to the history files, answered by an embedded DuckDB (no server).

The state at an instant is the last keyframe at or before it plus every row after that keyframe
up to the instant, latest per key; entities and incidents that went away before the instant
(a ``gone`` row) are not in it. Only the files of the hours around the instant are opened, and
DuckDB skips row groups whose time range misses the window, so the answer costs about one
keyframe interval of rows whatever the length of the history.
"""

from __future__ import annotations

import contextlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from controlroom.history.chain import MinuteIndex, file_head, load_index, read_latest
from controlroom.history.files import HOUR_MS, FileChecker, file_start_ms
from controlroom.history.schema import (
    EVENTS,
    INCIDENTS,
    KEY,
    KIND_NAMES,
    METRICS,
    POSITIONS,
    SCHEMAS,
    SENSORS,
    STATUS_NAMES,
    TABLES,
)

#: How far before an instant a keyframe is looked for (a recorder down longer has no state there).
LOOKBACK_MS = 10 * 60 * 1000
#: Keyframes come every few seconds: the first, cheap, look is this far back.
NEAR_MS = 60 * 1000
#: Position files kept decoded by a reader (scrubbing inside a minute then costs milliseconds).
INDEX_CACHE = 2
#: Alarms (24 h back) and metrics (an hour back) are small tables asked about over long windows:
#: a reader keeps their files' rows in memory (a file does not change under its name while it
#: is unchanged in size and time), so a question reads only the files it has not seen and
#: answers in Arrow, not with a DuckDB query over dozens of files. A folder not merged into hour
#: files yet (written before them; a recorder merges its past hours when it starts) holds 1,440
#: event files a day: its first question reads them all (about 2 s), later ones none.
SMALL_FILE_CACHE = 4000
POSITION_COLUMNS = ["gone", "kind", "status", "x_cm", "y_cm", "heading_dd", "speed_cms"]
#: Metrics: the latest value per name within this window counts as current.
METRIC_WINDOW_MS = HOUR_MS
OPEN_INCIDENT = ("new", "acknowledged", "dispatched", "on_scene")
ALARM_ACTIVE = ("raised", "predicted", "confirmed", "re-raised", "escalated", "acknowledge", "start_work",
                "snooze", "owner")  # fmt: skip
ALARM_ENDED = ("cleared", "withdrawn", "close")


class HistoryQueryError(ValueError):
    """A question the history cannot answer as asked (bad kind, empty range); says why."""


@dataclass
class State:
    """The picture at one instant: full rows per table (Arrow) and the counts a desk shows."""

    time: float
    entities: pa.Table
    sensors: pa.Table
    metrics: pa.Table
    incidents: pa.Table
    alarms: pa.Table
    keyframe_time: float | None = None
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "keyframe_time": self.keyframe_time,
            "entities": self.entities.num_rows,
            "sensors": self.sensors.num_rows,
            "metrics": {r["name"]: r["value"] for r in self.metrics.to_pylist()},
            "incidents_open": self.incidents.num_rows,
            "alarms_active": self.alarms.num_rows,
            "entities_by_kind": _count(self.entities.column("kind").to_pylist()),
            "warnings": self.warnings,
        }


def _arrow(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    """A query's rows as an Arrow table (``to_arrow_table`` in DuckDB ≥ 1.4, ``arrow`` before)."""
    rel = con.sql(sql)
    fetch = getattr(rel, "to_arrow_table", None) or rel.arrow
    return fetch()


def _count(values: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))


class HistoryReader:
    """Reads a history folder; cheap to create, keeps its file checks between questions."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.checker = FileChecker()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._indexes: dict[Path, tuple[int, int, MinuteIndex]] = {}
        self._index_lock = threading.Lock()
        self._small: dict[Path, tuple[int, int, pa.Table]] = {}
        self._executor: ThreadPoolExecutor | None = None

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection, opened on first question (so on the thread that asks: an app
        making a reader on its GUI thread for a replay thread does not wait for DuckDB)."""
        if self._con is None:
            self._con = duckdb.connect()
            self._con.sql("SET threads TO 2")
        return self._con

    def _warnings(self) -> list[str]:
        return [f"{p}: {why}" for p, why in sorted(self.checker.bad.items())]

    def _scan(self, table: str, first_ms: int, last_ms: int) -> str | None:
        files = self.checker.files(self.root, table, first_ms, last_ms)
        if not files:
            return None
        names = ", ".join("'" + str(p).replace("'", "''") + "'" for p in files)
        return f"read_parquet([{names}], union_by_name = true)"

    def _small_rows(self, table: str, files: list[Path]) -> pa.Table:
        """The rows of ``files`` (one small table), each file read once while it is unchanged."""
        schema = SCHEMAS[table]
        parts = []
        for path in files:
            try:
                st = path.stat()
                hit = self._small.pop(path, None)
                if hit is None or hit[:2] != (st.st_size, st.st_mtime_ns):
                    hit = (st.st_size, st.st_mtime_ns, _conform(pq.read_table(path), schema))
            except FileNotFoundError:
                continue  # compacted into a file listed after it, or merged: its rows are there
            except (OSError, pa.ArrowException) as exc:
                self.checker.bad[path] = f"{type(exc).__name__}: {exc}"
                continue
            self._small[path] = hit  # most recently used last
            parts.append(hit[2])
        while len(self._small) > SMALL_FILE_CACHE:
            self._small.pop(next(iter(self._small)))
        return pa.concat_tables(parts) if parts else schema.empty_table()

    def _empty(self, table: str) -> pa.Table:
        return SCHEMAS[table].empty_table()

    def _latest(self, table: str, lo_ms: int, hi_ms: int, where: str = "TRUE") -> pa.Table:
        """The latest row per key with lo_ms <= t_ms <= hi_ms (``max_by``: cheaper than a window)."""
        src = self._scan(table, lo_ms, hi_ms)
        if src is None:
            return self._empty(table)
        key = KEY[table]
        sql = (
            f"SELECT {key}, max_by(COLUMNS(* EXCLUDE ({key})), t_ms) FROM {src} "
            f"WHERE t_ms >= {lo_ms} AND t_ms <= {hi_ms} GROUP BY {key}"
        )
        return _arrow(self.con, f"SELECT * FROM ({sql}) WHERE {where} ORDER BY {key}")

    def keyframe_at(self, table: str, t_ms: int) -> int | None:
        """The last keyframe at or before ``t_ms``: looked for in the last minute, then further."""
        for back in (NEAR_MS, LOOKBACK_MS):
            src = self._scan(table, t_ms - back, t_ms)
            if src is None:
                continue
            row = self.con.sql(
                f"SELECT max(t_ms) FROM {src} WHERE kf AND t_ms <= {t_ms} AND t_ms >= {t_ms - back}"
            ).fetchall()
            if row and row[0][0] is not None:
                return int(row[0][0])
        return None

    def _keyed_state(self, table: str, t_ms: int, where: str) -> tuple[pa.Table, int | None]:
        kf = self.keyframe_at(table, t_ms)
        if kf is None:
            return self._empty(table), None
        return self._latest(table, kf, t_ms, where), kf

    def load_index(self, path: Path) -> MinuteIndex:
        """A position file decoded (kept among the last ``INDEX_CACHE``); safe from a prefetch
        thread: the decoding runs outside the lock."""
        st = path.stat()
        with self._index_lock:
            hit = self._indexes.get(path)
        if hit is None or hit[:2] != (st.st_size, st.st_mtime_ns):
            hit = (st.st_size, st.st_mtime_ns, load_index(path, POSITIONS, "id", POSITION_COLUMNS))
        with self._index_lock:
            self._indexes.pop(path, None)
            self._indexes[path] = hit  # most recently used last
            while len(self._indexes) > INDEX_CACHE:
                self._indexes.pop(next(iter(self._indexes)))
        return hit[2]

    def cached(self, path: Path) -> bool:
        """Whether ``path`` is held decoded (and unchanged since)."""
        with self._index_lock:
            hit = self._indexes.get(path)
        if hit is None:
            return False
        try:
            st = path.stat()
        except OSError:
            return False
        return hit[:2] == (st.st_size, st.st_mtime_ns)

    def positions_at(self, t_ms: int, *, sort: bool = True, keep: bool = True) -> tuple[pa.Table, int | None]:
        """Every entity at ``t_ms`` (stored units; by id unless ``sort`` is False) and the
        keyframe it was rebuilt from.

        Files are taken newest first: each gives its latest row per entity up to ``t_ms`` and its
        last keyframe; older files are read only while they may hold rows after the newest
        keyframe found (their footers say so without decoding). ``keep`` False (a one-off
        question) reads a minute file not already decoded for that instant only, without
        building and keeping its index: about half the work. A file that cannot be read is
        skipped (named in the warnings)."""
        files = self.checker.files(self.root, POSITIONS, t_ms - LOOKBACK_MS, t_ms)
        files.sort(key=lambda p: (file_start_ms(p) or 0, p.parent.name.endswith(".seg")))
        parts: list[pa.Table] = []
        kf: int | None = None
        for path in reversed(files):
            try:
                head = None if keep or self.cached(path) else file_head(path)
                if head is not None:
                    if kf is not None and head.t_max < kf:
                        break
                    k = head.keyframe_at(t_ms)
                    rows = read_latest(path, "id", POSITION_COLUMNS, t_ms) if head.t_min <= t_ms else None
                else:
                    idx = self.load_index(path)
                    if kf is not None and idx.t_max < kf:
                        break
                    k = idx.keyframe_at(t_ms)
                    rows = idx.latest(t_ms)
            except (OSError, pa.ArrowException) as exc:
                self.checker.bad[path] = f"{type(exc).__name__}: {exc}"
                continue
            if k is not None and (kf is None or k > kf):
                kf = k
            if rows is not None:
                parts.append(rows)
        if kf is None:
            return self._empty(POSITIONS), None
        full = [p for p in parts if p.num_rows]
        if not full:
            return self._empty(POSITIONS), kf
        rows = pa.concat_tables(full)
        rows = rows.filter(pc.greater_equal(rows.column("t_ms"), kf)) if rows.num_rows else rows
        if len(parts) > 1 and rows.num_rows:
            codes = pc.dictionary_encode(rows.column("id")).combine_chunks().indices.to_numpy()
            order = np.lexsort((-rows.column("t_ms").to_numpy(), codes))
            first = np.ones(len(order), bool)
            first[1:] = codes[order][1:] != codes[order][:-1]
            rows = rows.take(pa.array(order[first]))
        if rows.num_rows:
            rows = rows.filter(pc.invert(rows.column("gone")))
            if sort:
                rows = rows.take(pc.sort_indices(rows, [("id", "ascending")]))
        return rows, kf

    def state_at(self, t: float, *, positions: bool = True, alarms: bool = True) -> State:
        """The whole picture at ``t`` (Unix seconds); ``positions``/``alarms`` False leave those
        tables empty (the player reads them its own way). The small tables are asked of DuckDB
        on the reader's query thread while the positions decode here: both release the GIL,
        so on two cores the answer costs about the longer of the two."""
        t_ms = round(t * 1000)
        small = self._pool().submit(self._small_state, t_ms, alarms) if positions else None
        pos, kf = self.positions_at(t_ms, keep=False) if positions else (self._empty(POSITIONS), None)
        sen, inc, met, alarm_rows = small.result() if small is not None else self._small_state(t_ms, alarms)
        return State(
            t, decode_positions(pos), sen, met, inc, alarm_rows, kf / 1000 if kf else None, self._warnings()
        )

    def _small_state(self, t_ms: int, alarms: bool) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table]:
        """Sensors, open incidents, metrics and active alarms at ``t_ms`` (DuckDB)."""
        sen, _ = self._keyed_state(SENSORS, t_ms, "TRUE")
        inc, _ = self._keyed_state(
            INCIDENTS, t_ms, "NOT gone AND status IN (" + ", ".join(f"'{s}'" for s in OPEN_INCIDENT) + ")"
        )
        met = latest_per_key(self._window(METRICS, t_ms - METRIC_WINDOW_MS, t_ms), KEY[METRICS])
        return sen, inc, met, self.alarms_at(t_ms) if alarms else self._empty(EVENTS)

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="history-query")
        return self._executor

    def alarms_at(self, t_ms: int, window_ms: int = 24 * HOUR_MS) -> pa.Table:
        """Alarms open at ``t_ms``: the latest accepted transition per alarm key is not an end."""
        rows = self._window(EVENTS, t_ms - window_ms, t_ms)
        rows = rows.filter(pc.and_(pc.equal(rows.column("kind"), "alarm"), rows.column("accepted")))
        latest = latest_per_key(rows, KEY[EVENTS])
        return latest.filter(pc.invert(pc.is_in(latest.column("action"), pa.array(ALARM_ENDED))))

    def _window(self, table: str, lo_ms: int, hi_ms: int) -> pa.Table:
        """Every row of a cached small table with lo_ms <= t_ms <= hi_ms, in file order."""
        files = self.checker.files(self.root, table, lo_ms, hi_ms)
        rows = self._small_rows(table, files)
        t = rows.column("t_ms")
        return rows.filter(pc.and_(pc.greater_equal(t, lo_ms), pc.less_equal(t, hi_ms)))

    def range(self, kind: str, t0: float, t1: float, limit: int | None = None) -> pa.Table:
        """Every row of ``kind`` (a table name) with t0 <= time <= t1, in time order."""
        if kind not in TABLES:
            raise HistoryQueryError(f"unknown kind {kind!r}; expected one of {', '.join(TABLES)}")
        if t1 < t0:
            raise HistoryQueryError(f"range ends ({t1}) before it starts ({t0})")
        lo, hi = int(t0 * 1000), int(t1 * 1000)
        if kind == POSITIONS:
            return decode_positions(self._position_range(lo, hi, limit))
        src = self._scan(kind, lo, hi)
        if src is None:
            return self._empty(kind)
        lim = f" LIMIT {int(limit)}" if limit else ""
        sql = f"SELECT * FROM {src} WHERE t_ms >= {lo} AND t_ms <= {hi} ORDER BY t_ms, {KEY[kind]}{lim}"
        return _arrow(self.con, sql)

    def _position_range(self, lo: int, hi: int, limit: int | None) -> pa.Table:
        parts = []
        for path in self.checker.files(self.root, POSITIONS, lo, hi):
            rows = self.load_index(path).all_rows()
            t = rows.column("t_ms")
            parts.append(rows.filter(pc.and_(pc.greater_equal(t, lo), pc.less_equal(t, hi))))
        if not parts:
            return self._empty(POSITIONS)
        data = pa.concat_tables(parts)
        data = data.take(pc.sort_indices(data, [("t_ms", "ascending"), ("id", "ascending")]))
        return data.slice(0, limit) if limit else data

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._con is not None:
            self._con.close()
            self._con = None


def latest_per_key(rows: pa.Table, key: str) -> pa.Table:
    """Each key's row with the greatest ``t_ms`` (the one written last among equal times), in
    key order: what DuckDB's ``max_by`` gave, in numpy and Arrow for a few thousand rows."""
    order = pc.sort_indices(
        rows.append_column("_row", pa.array(np.arange(rows.num_rows))),
        [(key, "ascending"), ("t_ms", "descending"), ("_row", "descending")],
    )
    ordered = rows.take(order)
    keys = ordered.column(key)
    first = np.ones(len(keys), bool)
    if len(keys) > 1:
        first[1:] = pc.not_equal(keys.slice(1), keys.slice(0, len(keys) - 1)).to_numpy(zero_copy_only=False)
    return ordered.filter(pa.array(first))


def _conform(data: pa.Table, schema: pa.Schema) -> pa.Table:
    """``data`` in ``schema``: dictionary keys as strings, a column an older file lacks as nulls."""
    have = set(data.column_names)
    columns = {
        f.name: data.column(f.name).cast(f.type) if f.name in have else pa.nulls(data.num_rows, f.type)
        for f in schema
    }
    return pa.table(columns, schema=schema)


def decode_positions(data: pa.Table) -> pa.Table:
    """Stored position rows → metres, degrees, m/s and kind/status names."""
    if "x_cm" not in data.column_names:
        return data
    import numpy as np

    def arr(name: str) -> Any:
        return data.column(name).to_numpy(zero_copy_only=False)

    kinds, statuses = pa.array(KIND_NAMES, pa.string()), pa.array(STATUS_NAMES, pa.string())
    return pa.table(
        {
            "id": data.column("id"),
            "t": arr("t_ms") / 1000.0,
            "kind": kinds.take(pa.array(arr("kind").astype(np.int32))),  # names, not Python objects
            "status": statuses.take(pa.array(arr("status").astype(np.int32))),
            "x": arr("x_cm") / 100.0,
            "y": arr("y_cm") / 100.0,
            "heading": arr("heading_dd") / 10.0,
            "speed": arr("speed_cms") / 100.0,
        }
    )


def rows_json(data: pa.Table) -> list[dict[str, Any]]:
    rows = data.to_pylist()
    for r in rows:
        if isinstance(r.get("detail"), str):
            with contextlib.suppress(ValueError):
                r["detail"] = json.loads(r["detail"])
    return rows
