"""Keeping history within its age and disk limits, oldest hour first, never the open hour."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from controlroom.history.files import HOUR_MS, hour_name, hours_on_disk, parse_hour

log = logging.getLogger(__name__)
GB = 1024**3


@dataclass
class RetentionResult:
    dropped: list[str] = field(default_factory=list)  # hour names, oldest first
    reason: str = ""  # "age", "disk cap", "disk nearly full" (the last one that applied)
    bytes: int = 0  # history's size afterwards
    free_bytes: int = 0  # free space on its disk afterwards
    disk_low: bool = False  # the disk is nearly full (an alarm for the room)


def history_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.is_dir() else 0


def _hour_bytes(root: Path, hour_ms: int) -> int:
    name = hour_name(hour_ms)
    return sum(
        p.stat().st_size for t in root.iterdir() if t.is_dir() for q in t.glob(f"{name}*")
        for p in ([q] if q.is_file() else q.rglob("*")) if p.is_file()
    )  # fmt: skip


def drop_hour(root: Path, hour_ms: int) -> None:
    """Remove one hour of every table (hour files first, so a reader never sees half an hour)."""
    name = hour_name(hour_ms)
    for table in (t for t in root.iterdir() if t.is_dir()):
        for p in table.glob(f"{name}*"):
            if parse_hour(p.name) != hour_ms:
                continue
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)


def enforce(
    root: Path, *, keep_days: float, max_gb: float, min_free_gb: float, now_ms: int
) -> RetentionResult:
    """Drop hours older than ``keep_days``; then, while over ``max_gb`` or the disk has less
    than ``min_free_gb`` free, the oldest hour (never the one being written)."""
    res = RetentionResult()
    current = now_ms - now_ms % HOUR_MS
    hours = [h for h in hours_on_disk(root) if h < current]
    cutoff = now_ms - int(keep_days * 86_400_000)
    while hours and hours[0] + HOUR_MS <= cutoff:
        drop_hour(root, hours[0])
        res.dropped.append(hour_name(hours.pop(0)))
        res.reason = "age"
    size = history_bytes(root)
    free = shutil.disk_usage(root).free
    while hours and (size > max_gb * GB or free < min_free_gb * GB):
        res.reason = "disk cap" if size > max_gb * GB else "disk nearly full"
        freed = _hour_bytes(root, hours[0])
        drop_hour(root, hours[0])
        res.dropped.append(hour_name(hours.pop(0)))
        size -= freed
        free += freed
    res.bytes, res.free_bytes = size, free
    squeezed = res.reason in ("disk cap", "disk nearly full")
    res.disk_low = squeezed or free < min_free_gb * GB * 2 or size > max_gb * GB * 0.95
    for name in res.dropped:
        log.warning("history: dropped hour %s (%s)", name, res.reason)
    return res
