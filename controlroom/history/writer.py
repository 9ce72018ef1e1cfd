"""Appending history: rows buffered in memory, a segment file per flush, an hour file per hour.

Each flush writes, per table, one small Parquet file holding the rows since the last flush,
sorted by key and time, under a temporary name then renamed: a ``kill -9`` loses at most one
flush interval and never leaves a half file under a real name. When an hour has closed, its
segments are streamed into one hour file, one row group per ``group_s`` of time, each sorted by
key then time (so a query for an instant reads only the row groups around it, and each entity's
consecutive samples sit together, which is what makes the delta encoding small); the segments
are removed only once the hour file is complete on disk.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from controlroom.history.files import (
    HOUR_MS,
    FileChecker,
    hour_file,
    hour_of,
    hours_on_disk,
    segment_dir,
)
from controlroom.history.schema import DELTA_COLUMNS, DICT_COLUMNS, KEY, SCHEMAS, TABLES

log = logging.getLogger(__name__)

ZSTD_LEVEL = 3


def write_options(table: str) -> dict[str, object]:
    """pyarrow ``write_table``/``ParquetWriter`` options for a table (ZSTD, per-column encodings)."""
    delta = DELTA_COLUMNS.get(table, [])
    opts: dict[str, object] = {"compression": "zstd", "compression_level": ZSTD_LEVEL}
    if delta:
        opts["use_dictionary"] = DICT_COLUMNS[table]
        opts["column_encoding"] = dict.fromkeys(delta, "DELTA_BINARY_PACKED")
    return opts


def sort_rows(data: pa.Table, table: str) -> pa.Table:
    return data.sort_by([(KEY[table], "ascending"), ("t_ms", "ascending")])


def _atomic_write(data: pa.Table, path: Path, table: str, *, sync: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(data, tmp, row_group_size=max(1, data.num_rows), **write_options(table))
    if sync:
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
    os.replace(tmp, path)


class HistoryWriter:
    """Buffers rows per table; ``flush(now_ms)`` writes segments, ``close_hours`` compacts."""

    def __init__(self, root: Path, *, group_s: float = 60.0) -> None:
        self.root = root
        self.group_ms = int(group_s * 1000)
        self._pending: dict[str, list[pa.RecordBatch]] = defaultdict(list)
        self.rows_written = 0
        self.segments_written = 0
        self.checker = FileChecker()
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
        """Write what is buffered as one segment per table and hour; returns rows written."""
        written = 0
        pending, self._pending = self._pending, defaultdict(list)
        for table, batches in pending.items():
            data = pa.Table.from_batches(batches, SCHEMAS[table])
            t = data.column("t_ms")
            lo, hi = pc.min(t).as_py(), pc.max(t).as_py()
            for h in range(hour_of(lo), hi + 1, HOUR_MS):
                part = (
                    data
                    if hour_of(lo) == hour_of(hi)
                    else data.filter(pc.and_(pc.greater_equal(t, h), pc.less(t, h + HOUR_MS)))
                )
                if not part.num_rows:
                    continue
                first = pc.min(part.column("t_ms")).as_py()
                name = f"{first:013d}-{self.segments_written:06d}.parquet"
                _atomic_write(sort_rows(part, table), segment_dir(self.root, table, h) / name, table)
                self.segments_written += 1
                written += part.num_rows
        self.rows_written += written
        return written

    def close_hours(self, now_ms: int | None = None) -> list[Path]:
        """Compact every hour with segments before ``now_ms``'s hour (all of them if None)."""
        done: list[Path] = []
        current = hour_of(now_ms) if now_ms is not None else None
        for table in TABLES:
            for h in hours_on_disk(self.root, table):
                if current is not None and h >= current:
                    continue
                if segment_dir(self.root, table, h).is_dir():
                    done.append(self.compact(table, h))
        return done

    def compact(self, table: str, hour_ms: int) -> Path:
        """Stream an hour's segments (and an older hour file, if any) into one hour file."""
        seg = segment_dir(self.root, table, hour_ms)
        target = hour_file(self.root, table, hour_ms)
        sources = [p for p in sorted(seg.glob("*.parquet")) if self.checker.readable(p)]
        if target.exists() and self.checker.readable(target):
            sources.insert(0, target)
        tmp = target.with_name(f".{target.name}.tmp")
        schema = SCHEMAS[table]
        writer = pq.ParquetWriter(tmp, schema, **write_options(table))
        try:
            group: list[pa.Table] = []
            group_end = None
            for path in sources:
                data = pq.read_table(path, schema=schema)
                if not data.num_rows:
                    continue
                # time slices: rows of one group_ms window go into one sorted row group
                t = data.column("t_ms")
                start = pc.min(t).as_py()
                if group_end is None:
                    group_end = start - start % self.group_ms + self.group_ms
                if start >= group_end and group:
                    self._write_group(writer, group, table)
                    group = []
                    group_end = start - start % self.group_ms + self.group_ms
                group.append(data)
            if group:
                self._write_group(writer, group, table)
        finally:
            writer.close()
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
        shutil.rmtree(seg, ignore_errors=True)
        return target

    @staticmethod
    def _write_group(writer: pq.ParquetWriter, group: list[pa.Table], table: str) -> None:
        data = sort_rows(pa.concat_tables(group), table)
        writer.write_table(data, row_group_size=max(1, data.num_rows))

    def close(self) -> None:
        self.flush()
        self.close_hours(None)
