"""Where history lives on disk, and which files of it can be read.

``DIR/<table>/<YYYY-MM-DDTHH>/`` holds an hour (UTC) as one Parquet file per minute, named by the
minute's start (Unix ms); ``DIR/<table>/<hour>.seg/`` holds the segment files of minutes not yet
compacted, one per flush, each complete on its own (written to a temporary name, then renamed),
so a crash loses only what was not flushed yet. (Minute files, not one file per hour: merging
an hour of 50,000 entities re-encodes 180 M rows for no gain, and a question about one instant
opens only the minute files around it.) The small tables asked about over long windows
(``HOURLY``: the alarms active at an instant look back 24 hours) are merged, once an hour is
over, into one ``hour-<start>.parquet`` in its folder that names the minute files it holds:
those are then skipped, so a crash between the merge and their removal doubles nothing.
A file that cannot be read
(truncated, half-written by another tool, a disk error) is reported once by name as a
``HistoryFileWarning`` and left out; everything else still reads.
"""

from __future__ import annotations

import logging
import warnings
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

log = logging.getLogger(__name__)

HOUR_MS = 3_600_000
SEGMENT_SUFFIX = ".seg"
HOUR_FILE_PREFIX = "hour-"
#: Schema metadata key of an hour file: the names of the minute files merged into it.
MERGED_KEY = b"controlroom.merged"


class HistoryFileWarning(UserWarning):
    """A history file that cannot be read; it is left out and the rest is used."""


def hour_of(t_ms: int) -> int:
    """The start of the UTC hour holding ``t_ms``, in ms."""
    return t_ms - t_ms % HOUR_MS


def hour_name(hour_ms: int) -> str:
    return datetime.fromtimestamp(hour_ms / 1000, UTC).strftime("%Y-%m-%dT%H")


def parse_hour(name: str) -> int | None:
    try:
        dt = datetime.strptime(name[:13], "%Y-%m-%dT%H").replace(tzinfo=UTC)
    except ValueError:
        return None
    return int(dt.timestamp()) * 1000


MINUTE_MS = 60_000


def hour_dir(root: Path, table: str, hour_ms: int) -> Path:
    return root / table / hour_name(hour_ms)


def minute_file(root: Path, table: str, minute_ms: int) -> Path:
    return hour_dir(root, table, hour_of(minute_ms)) / f"{minute_ms:013d}.parquet"


def hour_file(root: Path, table: str, hour_ms: int) -> Path:
    return hour_dir(root, table, hour_ms) / f"{HOUR_FILE_PREFIX}{hour_ms:013d}.parquet"


def file_start_ms(path: Path) -> int | None:
    """The first time in a minute or segment file, from its name (None for an hour file)."""
    try:
        return int(path.name.split("-")[0].split(".")[0])
    except ValueError:
        return None


def segment_dir(root: Path, table: str, hour_ms: int) -> Path:
    return root / table / f"{hour_name(hour_ms)}{SEGMENT_SUFFIX}"


def hours_on_disk(root: Path, table: str | None = None) -> list[int]:
    """Every hour (ms) with a file or segment folder, oldest first."""
    tables = [root / table] if table else [p for p in root.iterdir() if p.is_dir()] if root.is_dir() else []
    hours: set[int] = set()
    for folder in tables:
        if not folder.is_dir():
            continue
        for p in folder.iterdir():
            if p.name.startswith("."):
                continue
            h = parse_hour(p.name)
            if h is not None:
                hours.add(h)
    return sorted(hours)


class FileChecker:
    """Opens each file's footer once (cached by size and mtime) and warns once per bad file."""

    def __init__(self) -> None:
        self._known: dict[Path, tuple[int, int, bool]] = {}
        self._merged: dict[Path, tuple[int, int, frozenset[str]]] = {}
        self.bad: dict[Path, str] = {}

    def readable(self, path: Path) -> bool:
        try:
            st = path.stat()
        except FileNotFoundError:
            return False
        cached = self._known.get(path)
        if cached and cached[:2] == (st.st_size, st.st_mtime_ns):
            return cached[2]
        ok = True
        try:
            pq.ParquetFile(path).close()
        except Exception as exc:  # truncated, not Parquet, unreadable: named and left out
            ok = False
            why = f"{type(exc).__name__}: {exc}"
            self.bad[path] = why
            msg = f"history file {path} cannot be read ({why}); it is left out and the rest is used"
            warnings.warn(msg, HistoryFileWarning, stacklevel=2)
            log.warning("%s", msg)
        self._known[path] = (st.st_size, st.st_mtime_ns, ok)
        return ok

    def merged(self, path: Path) -> frozenset[str]:
        """The minute file names an hour file says it holds (cached by size and mtime)."""
        st = path.stat()
        cached = self._merged.get(path)
        if cached and cached[:2] == (st.st_size, st.st_mtime_ns):
            return cached[2]
        raw = (pq.read_schema(path).metadata or {}).get(MERGED_KEY, b"")
        names = frozenset(n for n in raw.decode().split(",") if n)
        self._merged[path] = (st.st_size, st.st_mtime_ns, names)
        return names

    def files(self, root: Path, table: str, first_ms: int, last_ms: int) -> list[Path]:
        """Readable files of ``table`` that may hold rows in [first_ms, last_ms]."""
        out: list[Path] = []
        lo = first_ms - 2 * MINUTE_MS  # a file may run a little past the minute its name gives
        h = hour_of(lo)
        while h <= last_ms:
            merged: frozenset[str] = frozenset()
            whole = hour_file(root, table, h)
            if whole.is_file() and self.readable(whole):
                out.append(whole)
                merged = self.merged(whole)
            for folder in (hour_dir(root, table, h), segment_dir(root, table, h)):
                if not folder.is_dir():
                    continue
                for p in sorted(folder.glob("*.parquet")):
                    start = file_start_ms(p)
                    if start is None or p.name in merged:
                        continue
                    if lo <= start <= last_ms and self.readable(p):
                        out.append(p)
            h += HOUR_MS
        return out
