"""Times on the command line: ISO 8601 (in the site's time zone unless it says otherwise) or
Unix seconds."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


class TimeFormatError(ValueError):
    pass


def parse_time(text: str, tz: str) -> float:
    """``'2026-12-06T14:02'``, ``'2026-12-06 14:02:30+08:00'`` or ``'1796536920'`` → Unix seconds."""
    s = text.strip()
    try:
        return float(s)
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise TimeFormatError(
            f"time {text!r}: expected ISO 8601 such as 2026-12-06T14:02:00 (site time zone {tz}) "
            "or Unix seconds such as 1796536920"
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo(tz))
    return dt.timestamp()


def format_time(t: float, tz: str) -> str:
    return datetime.fromtimestamp(t, ZoneInfo(tz)).isoformat(timespec="milliseconds")
