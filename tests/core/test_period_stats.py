"""The briefing's numbers: incidents in a period by type and district, response and closing times."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from controlroom.core.incidents import IncidentState
from controlroom.core.period_stats import IncidentHistory, IncidentRecord, period_bounds, summarise

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()


def test_today_starts_at_local_midnight_in_the_site_time_zone() -> None:
    start, end = period_bounds("today", NOW, "Asia/Shanghai")
    assert end - start == 10 * 3600
    assert period_bounds("7d", NOW)[0] == NOW - 7 * 86400
    with pytest.raises(ValueError, match="period 'week': expected one of today, 24h, 7d"):
        period_bounds("week", NOW)


def test_summary_counts_by_type_and_district_and_times_responses() -> None:
    h = 3600.0
    rows = [
        IncidentRecord("A", "waterlogging", 3, NOW - 2 * h, "东湖区", "closed", NOW - 2 * h + 120, NOW - h),
        IncidentRecord("B", "waterlogging", 4, NOW - h, "东湖区", "acknowledged", NOW - h + 600),
        IncidentRecord("C", "fallen_tree", 2, NOW - 0.5 * h, "珠北区", "new"),
        IncidentRecord("D", "fallen_tree", 2, NOW - 20 * h, "珠北区", "new"),  # yesterday
    ]
    s = summarise(rows, *period_bounds("today", NOW))
    assert s.total == 3
    assert s.by_type == {"waterlogging": 2, "fallen_tree": 1}
    assert s.by_district == {"东湖区": 2, "珠北区": 1}
    assert s.open_by_severity == {4: 1, 3: 0, 2: 1, 1: 0}
    assert s.response.count == 2 and s.response.median_s == 360.0
    assert s.closing.count == 1 and s.closing.median_s == h


def test_history_notes_when_each_incident_was_acknowledged_and_closed() -> None:
    h = IncidentHistory(locate=lambda x, y: "东湖区" if x > 0 else "")

    def state(status: str, t: float) -> IncidentState:
        return IncidentState("I1", "road_damage", 2, 10.0, 0.0, (), "", status, NOW, t)

    h.observe([state("new", NOW)], NOW)
    h.observe([state("dispatched", NOW + 300)], NOW + 300)
    h.observe([state("on_scene", NOW + 900)], NOW + 900)
    h.observe([state("resolved", NOW + 1800)], NOW + 1800)
    (rec,) = h.records()
    assert (rec.district, rec.response_s, rec.closing_s, rec.is_open) == ("东湖区", 300.0, 1800.0, False)
