"""How long ago, at a glance: one format for every panel (incident queue, alarm detail)."""

from __future__ import annotations


def age_text(seconds: float) -> str:
    """'45 s', '12 min', '3 h 05 min': how long ago, at a glance."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"
