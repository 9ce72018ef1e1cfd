"""Where history lives on disk, and which files of it can be read.

``DIR/<table>/<YYYY-MM-DDTHH>.parquet`` is a closed hour (UTC); ``DIR/<table>/<hour>.seg/`` holds
the open hour's segment files, one per flush, each complete on its own (written to a temporary
name, then renamed), so a crash loses only what was not flushed yet. A file that cannot be read
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


def hour_file(root: Path, table: str, hour_ms: int) -> Path:
    return root / table / f"{hour_name(hour_ms)}.parquet"


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

    def files(self, root: Path, table: str, first_ms: int, last_ms: int) -> list[Path]:
        """Readable files of ``table`` that may hold rows in [first_ms, last_ms]."""
        out: list[Path] = []
        h = hour_of(first_ms)
        while h <= last_ms:
            closed = hour_file(root, table, h)
            if closed.exists() and self.readable(closed):
                out.append(closed)
            seg = segment_dir(root, table, h)
            if seg.is_dir():
                out += [p for p in sorted(seg.glob("*.parquet")) if self.readable(p)]
            h += HOUR_MS
        return out
