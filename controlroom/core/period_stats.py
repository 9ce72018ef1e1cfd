"""What went wrong in a period and how fast it was handled: the leader's briefing numbers.

Works on plain incident records (id, type, district, severity, raised/acknowledged/closed times)
so the same summary is fed from the live feed (``IncidentHistory`` watches status changes), a
feed recording, or the dispatch gateway's store. Qt-free; times are unix seconds.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from controlroom.core.incidents import IncidentState

Period = Literal["today", "24h", "7d"]
PERIODS: tuple[str, ...] = get_args(Period)
_ACKED = {"acknowledged", "dispatched", "on_scene", "resolved", "closed"}
_CLOSED = {"resolved", "closed"}


@dataclass(frozen=True)
class IncidentRecord:
    id: str
    type: str
    severity: int
    raised_at: float
    district: str = ""
    status: str = "new"
    acked_at: float | None = None  # first seen acknowledged (or further)
    closed_at: float | None = None  # first seen resolved or closed
    x: float = 0.0
    y: float = 0.0
    text: str = ""

    @property
    def is_open(self) -> bool:
        return self.status not in _CLOSED

    @property
    def response_s(self) -> float | None:
        return None if self.acked_at is None else max(0.0, self.acked_at - self.raised_at)

    @property
    def closing_s(self) -> float | None:
        return None if self.closed_at is None else max(0.0, self.closed_at - self.raised_at)


def period_bounds(period: str, now: float, timezone: str = "Asia/Shanghai") -> tuple[float, float]:
    """[start, now] of a period; "today" starts at local midnight in the site's time zone."""
    if period == "24h":
        return now - 86400.0, now
    if period == "7d":
        return now - 7 * 86400.0, now
    if period == "today":
        local = datetime.fromtimestamp(now, ZoneInfo(timezone))
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight.timestamp(), now
    raise ValueError(f"period '{period}': expected one of {', '.join(PERIODS)}")


@dataclass(frozen=True)
class Durations:
    """Median and 90th percentile of a set of durations (seconds); None when there are none."""

    count: int
    median_s: float | None
    p90_s: float | None

    @classmethod
    def of(cls, values: Iterable[float | None]) -> Durations:
        v = sorted(x for x in values if x is not None)
        if not v:
            return cls(0, None, None)
        p90 = v[min(len(v) - 1, round(0.9 * (len(v) - 1)))]
        return cls(len(v), float(statistics.median(v)), float(p90))


@dataclass(frozen=True)
class PeriodStats:
    start: float
    end: float
    total: int
    by_type: dict[str, int]
    by_district: dict[str, int]
    open_by_severity: dict[int, int]
    response: Durations
    closing: Durations
    response_by_type: dict[str, Durations] = field(default_factory=dict)
    records: list[IncidentRecord] = field(default_factory=list)

    @property
    def open_count(self) -> int:
        return sum(self.open_by_severity.values())


def summarise(records: Iterable[IncidentRecord], start: float, end: float) -> PeriodStats:
    """Incidents raised in [start, end] by type and district, response/closing times, open by severity."""
    rows = sorted((r for r in records if start <= r.raised_at <= end), key=lambda r: r.raised_at)
    by_type = Counter(r.type for r in rows)
    by_district = Counter(r.district or "" for r in rows)
    open_sev = Counter(r.severity for r in rows if r.is_open)
    return PeriodStats(
        start=start,
        end=end,
        total=len(rows),
        by_type=dict(by_type.most_common()),
        by_district=dict(by_district.most_common()),
        open_by_severity={s: open_sev.get(s, 0) for s in (4, 3, 2, 1)},
        response=Durations.of(r.response_s for r in rows),
        closing=Durations.of(r.closing_s for r in rows),
        response_by_type={t: Durations.of(r.response_s for r in rows if r.type == t) for t in by_type},
        records=rows,
    )


class IncidentHistory:
    """Incident records built from the live board: notes when each incident was first acknowledged
    and closed (the feed only sends the latest status), and keeps closed ones after the board
    forgets them. ``locate(x, y)`` names the district (optional)."""

    def __init__(self, locate: object | None = None) -> None:
        self._records: dict[str, IncidentRecord] = {}
        self._locate = locate
        self.version = 0

    def __len__(self) -> int:
        return len(self._records)

    def records(self) -> list[IncidentRecord]:
        return list(self._records.values())

    def observe(self, states: Iterable[IncidentState], now: float) -> None:
        changed = False
        for s in states:
            old = self._records.get(s.id)
            acked = old.acked_at if old else None
            closed = old.closed_at if old else None
            if acked is None and s.status in _ACKED:
                acked = s.updated_at or now
            if closed is None and s.status in _CLOSED:
                closed = s.updated_at or now
            if old is None:
                district = self._locate(s.x, s.y) if callable(self._locate) else ""
                rec = IncidentRecord(
                    s.id,
                    s.type,
                    s.severity,
                    s.raised_at or now,
                    district or "",
                    s.status,
                    acked,
                    closed,
                    s.x,
                    s.y,
                    s.text,
                )
            else:
                rec = replace(old, status=s.status, severity=s.severity, acked_at=acked, closed_at=closed)
            if rec != old:
                self._records[s.id] = rec
                changed = True
        if changed:
            self.version += 1

    def forget_before(self, t: float) -> None:
        """Drop records raised before ``t`` (the longest period is 7 days)."""
        old = [k for k, r in self._records.items() if r.raised_at < t]
        for k in old:
            del self._records[k]
