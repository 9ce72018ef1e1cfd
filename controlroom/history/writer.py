"""Appending history: rows buffered in memory, a segment file per flush, a minute file per minute.

Each flush writes, per table, one small Parquet file holding the rows since the last flush
(LZ4, unsorted: it lives a minute), under a temporary name then renamed: a ``kill -9`` loses at
most one flush interval and never leaves a half file under a real name. Once a minute has
passed, its segments become one minute file: ZSTD, one row group, rows sorted by key then time
so each entity's consecutive samples sit together (what makes the prediction coding of its
coordinates, ``chain``, small); the segments are removed only once the minute file is complete on disk.
The writer keeps the rows of the segments it wrote until their minute is compacted, so
compaction reads back only what an earlier (crashed) writer left.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from controlroom.history import chain
from controlroom.history.files import (
    HOUR_MS,
    MERGED_KEY,
    MINUTE_MS,
    FileChecker,
    file_start_ms,
    hour_dir,
    hour_file,
    hour_of,
    hours_on_disk,
    minute_file,
    segment_dir,
)
from controlroom.history.schema import (
    DELTA_COLUMNS,
    DICT_COLUMNS,
    EVENTS,
    KEY,
    METRICS,
    SCHEMAS,
    SPLIT_COLUMNS,
    TABLES,
)

log = logging.getLogger(__name__)

ZSTD_LEVEL = 3
#: A minute is compacted once this long after its end (its last segment is surely flushed).
SETTLE_MS = 5_000
#: Tables merged into one file per hour once it is over (``files``): questions about them span
#: hours (the alarms active at an instant look back 24 h: 1,440 minute files cost DuckDB about
#: half a second a question, 24 hour files a few milliseconds); they are small to merge.
HOURLY = (EVENTS, METRICS)
#: Rows kept in memory per table while the disk refuses writes (about a minute of 50,000 entities).
MAX_PENDING_ROWS = 3_000_000
#: Segment files live a minute: LZ4 without dictionaries (hashing every id each flush cost 3-4x
#: the write), time statistics only (what a query prunes by).
SEGMENT_OPTIONS: dict[str, object] = {
    "compression": "lz4",
    "use_dictionary": False,
    "write_statistics": ["t_ms"],
}


def write_options(table: str) -> dict[str, object]:
    """pyarrow ``write_table`` options for a minute file (ZSTD, per-column encodings)."""
    opts: dict[str, object] = {
        "compression": "zstd",
        "compression_level": ZSTD_LEVEL,
        # what queries prune by (``gone``: a file without gone rows need not read that column);
        # the others cost bytes and time
        "write_statistics": ["t_ms", "gone"],
    }
    if table in DICT_COLUMNS:
        opts["use_dictionary"] = DICT_COLUMNS[table]
    encoding = dict.fromkeys(DELTA_COLUMNS.get(table, []), "DELTA_BINARY_PACKED")
    encoding.update(dict.fromkeys(SPLIT_COLUMNS.get(table, []), "BYTE_STREAM_SPLIT"))
    if encoding:
        opts["column_encoding"] = encoding
    return opts


def sort_rows(data: pa.Table, table: str) -> pa.Table:
    """By key, then time, with the key column dictionary-encoded (what the minute file stores).

    The key's dictionary codes are sorted stably when the rows are already in time order (they
    are: segments concatenate in time order), a radix sort when there are fewer than 65,536
    keys; the key column is rebuilt from its codes rather than moving millions of strings."""
    name = KEY[table]
    key = data.column(name)
    enc = (key if pa.types.is_dictionary(key.type) else pc.dictionary_encode(key)).combine_chunks()
    codes = enc.indices.to_numpy(zero_copy_only=False)
    t = data.column("t_ms").to_numpy()
    if len(t) < 2 or bool((t[1:] >= t[:-1]).all()):
        small = codes.astype(np.uint16) if len(enc.dictionary) < 65_536 else codes
        order = np.argsort(small, kind="stable")
    else:
        order = np.lexsort((t, codes))
    take = pa.array(order)
    columns = [
        pa.DictionaryArray.from_arrays(pa.array(codes[order]), enc.dictionary)
        if field.name == name
        else data.column(field.name).take(take)
        for field in data.schema
    ]
    fields = [pa.field(name, enc.type) if f.name == name else f for f in data.schema]
    return pa.Table.from_arrays(columns, schema=pa.schema(fields, metadata=data.schema.metadata))


def required_where_full(data: pa.Table) -> pa.Table:
    """Columns without nulls marked REQUIRED: a reader then decodes no definition levels (one
    per row and column: a third of a cold positions read). The data and bytes are the same."""
    fields = [f.with_nullable(False) if data.column(f.name).null_count == 0 else f for f in data.schema]
    return data.cast(pa.schema(fields, metadata=data.schema.metadata))


def _atomic_write(data: pa.Table, path: Path, **opts: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(data, tmp, row_group_size=max(1, data.num_rows), **opts)
    os.replace(tmp, path)


class HistoryWriter:
    """Buffers rows per table; ``flush()`` writes segments, ``close_minutes(now_ms)`` compacts."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._pending: dict[str, list[pa.RecordBatch]] = defaultdict(list)
        self.rows_written = 0
        self.segments_written = 0
        #: The rows of each segment this writer wrote and has not compacted yet: compaction takes
        #: them from here instead of reading its own files back (a restarted writer reads them).
        self._written: dict[Path, pa.Table] = {}
        self.checker = FileChecker()
        #: (table, hour) merged after its end: not looked at again by this writer
        self._hours_done: set[tuple[str, int]] = set()
        root.mkdir(parents=True, exist_ok=True)
        for table in TABLES:
            for tmp in (root / table).glob("**/.*.tmp") if (root / table).is_dir() else []:
                tmp.unlink(missing_ok=True)  # a write a crash interrupted: never renamed, never read

    def append(self, table: str, columns: Mapping[str, object]) -> None:
        """Add rows (a column name → array/list mapping in the table's schema)."""
        batch = pa.RecordBatch.from_pydict(dict(columns), schema=SCHEMAS[table])
        if batch.num_rows:
            self._pending[table].append(batch)

    def pending_rows(self) -> int:
        return sum(b.num_rows for batches in self._pending.values() for b in batches)

    def flush(self) -> int:
        """Write what is buffered as one segment per table and hour; returns rows written.

        Should the disk refuse (full, gone), the rows not written stay buffered for the next
        flush, up to ``MAX_PENDING_ROWS`` (then the oldest go) and the error is raised."""
        written = 0
        pending, self._pending = self._pending, defaultdict(list)
        failed: OSError | None = None
        for table, batches in pending.items():
            try:
                written += self._write_segment(table, batches)
            except OSError as exc:
                failed = exc
                kept = self._pending[table] = batches + self._pending[table]
                while sum(b.num_rows for b in kept) > MAX_PENDING_ROWS and len(kept) > 1:
                    kept.pop(0)
        self.rows_written += written
        if failed is not None:
            raise failed
        return written

    def _write_segment(self, table: str, batches: list[pa.RecordBatch]) -> int:
        written = 0
        data = pa.Table.from_batches(batches, SCHEMAS[table])
        t = data.column("t_ms")
        lo, hi = pc.min(t).as_py(), pc.max(t).as_py()
        # one segment per minute it touches: a minute file then holds its own minute only
        for m in range(lo - lo % MINUTE_MS, hi + 1, MINUTE_MS):
            part = data
            if lo - lo % MINUTE_MS != hi - hi % MINUTE_MS:
                part = data.filter(pc.and_(pc.greater_equal(t, m), pc.less(t, m + MINUTE_MS)))
            if not part.num_rows:
                continue
            first = max(lo, m)
            name = f"{first:013d}-{self.segments_written:06d}.parquet"
            path = segment_dir(self.root, table, hour_of(m)) / name
            _atomic_write(part, path, **SEGMENT_OPTIONS)
            self._written[path] = part
            self.segments_written += 1
            written += part.num_rows
        return written

    def close_minutes(self, now_ms: int | None = None) -> list[Path]:
        """Compact every minute that ended ``SETTLE_MS`` before ``now_ms`` (all of them if None)."""
        done: list[Path] = []
        for table in TABLES:
            for h in hours_on_disk(self.root, table):
                seg = segment_dir(self.root, table, h)
                if not seg.is_dir():
                    continue
                minutes: dict[int, list[Path]] = defaultdict(list)
                for p in sorted(seg.glob("*.parquet")):
                    start = file_start_ms(p)
                    if start is not None:
                        minutes[start - start % MINUTE_MS].append(p)
                for minute, paths in sorted(minutes.items()):
                    if now_ms is None or minute + MINUTE_MS + SETTLE_MS <= now_ms:
                        done.append(self.compact(table, minute, paths))
                if not any(seg.iterdir()):
                    seg.rmdir()
        for gone in [p for p in self._written if not p.exists()]:  # dropped by retention
            del self._written[gone]
        return done + self.close_hours(now_ms)

    def close_hours(self, now_ms: int | None = None) -> list[Path]:
        """Merge each ``HOURLY`` table's minute files of every hour over by ``now_ms`` (its last
        minute compacted) into its hour file; all hours if None (the writer closing)."""
        done: list[Path] = []
        for table in HOURLY:
            for h in hours_on_disk(self.root, table):
                over = now_ms is not None and h + HOUR_MS + SETTLE_MS <= now_ms
                if (table, h) in self._hours_done or (now_ms is not None and not over):
                    continue
                if segment_dir(self.root, table, h).is_dir():
                    continue  # minutes still to compact (a writer that was down)
                merged = self.merge_hour(table, h)
                if merged is not None:
                    done.append(merged)
                if over:
                    self._hours_done.add((table, h))
        return done

    def merge_hour(self, table: str, hour_ms: int) -> Path | None:
        """The hour's minute files (and its earlier hour file) → one hour file naming them; the
        minute files go once it is on disk. Minute files an hour file already names (a crash
        came before their removal) are only removed; unreadable ones stay, named in warnings,
        and so does an unreadable hour file, with the minutes written after it beside it."""
        folder = hour_dir(self.root, table, hour_ms)
        target = hour_file(self.root, table, hour_ms)
        if not folder.is_dir():
            return None
        whole = target.is_file() and self.checker.readable(target)
        if target.is_file() and not whole:
            return None  # damaged (named in a warning): kept as it is for whoever repairs it
        listed = self.checker.merged(target) if whole else frozenset()
        minutes = [p for p in sorted(folder.glob("*.parquet")) if file_start_ms(p) is not None]
        fresh = [p for p in minutes if p.name not in listed and self.checker.readable(p)]
        if fresh:
            sources = ([target] if whole else []) + fresh
            data = pa.concat_tables([self._rows_of(p, table) for p in sources])
            names = sorted(listed | {p.name for p in fresh})
            rows = required_where_full(sort_rows(data, table))
            meta = dict(rows.schema.metadata or {})
            meta[MERGED_KEY] = ",".join(names).encode()
            _atomic_write(rows.replace_schema_metadata(meta), target, **write_options(table))
            with open(target, "rb") as f:
                os.fsync(f.fileno())
        for p in minutes:
            if p.name in listed or p in fresh:
                p.unlink(missing_ok=True)
        return target if fresh else None

    def compact(self, table: str, minute_ms: int, segments: list[Path]) -> Path:
        """One minute's segments (and an earlier file of that minute, if any) → one minute file."""
        target = minute_file(self.root, table, minute_ms)
        sources = [p for p in segments if self.checker.readable(p)]
        if target.exists() and self.checker.readable(target):
            sources.insert(0, target)
        schema = SCHEMAS[table]
        parts = [self._rows_of(p, table) for p in sources]
        data = pa.concat_tables(parts) if parts else schema.empty_table()
        if data.num_rows:
            sorted_rows = sort_rows(data, table)
            coded = required_where_full(chain.encode(sorted_rows, table, KEY[table]))
            _atomic_write(coded, target, **write_options(table))
            with open(target, "rb") as f:
                os.fsync(f.fileno())
        for p in segments:
            p.unlink(missing_ok=True)  # unreadable ones too: they were named in a warning
            self._written.pop(p, None)
        return target

    def _rows_of(self, path: Path, table: str) -> pa.Table:
        held = self._written.get(path)
        if held is not None:
            return held
        return chain.decode(pq.read_table(path), KEY[table]).cast(SCHEMAS[table])

    def close(self) -> None:
        self.flush()
        self.close_minutes(None)
