"""The leader's brief of a past period, from history: the same ``BriefData`` as a live brief.

Incidents come from the incident rows of the period (replayed in time order through the same
``IncidentHistory`` the app keeps, so "first acknowledged" and "closed" are when the room saw
them), vital signs from the metric rows, units in service and sensors in alarm from the state at
the period's end, which is also the instant the map shows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from controlroom.core.districts import DistrictLocator
from controlroom.core.incidents import IncidentState
from controlroom.core.period_stats import IncidentHistory, summarise
from controlroom.core.protocol import ENTITY_STATUSES
from controlroom.feed.brief_data import UNIT_KINDS, BriefData, MetricSummary
from controlroom.history.query import HistoryQueryError, HistoryReader
from controlroom.history.schema import INCIDENTS, METRICS

if TYPE_CHECKING:
    from controlroom.core.city import CityModel
    from controlroom.core.site import Site

_OUT_OF_SERVICE = ENTITY_STATUSES.index("out_of_service")


def period_text(t0: float, t1: float, timezone: str) -> str:
    """ "2026-12-06 14:00 – 16:30" in the site's zone (the date once when both ends share it)."""
    z = ZoneInfo(timezone)
    a, b = datetime.fromtimestamp(t0, z), datetime.fromtimestamp(t1, z)
    end = b.strftime("%H:%M") if a.date() == b.date() else b.strftime("%Y-%m-%d %H:%M")
    return f"{a.strftime('%Y-%m-%d %H:%M')} – {end}"


def brief_from_history(
    site: Site, model: CityModel, reader: HistoryReader, t0: float, t1: float
) -> BriefData:
    """Everything a brief shows for [t0, t1], read from history (``HistoryQueryError`` if backwards)."""
    if t1 <= t0:
        raise HistoryQueryError(f"the period ends ({t1:.0f}) at or before it starts ({t0:.0f})")
    locator = DistrictLocator(model.lines.get("boundary:district"))
    history = IncidentHistory(locate=locator.locate)
    rows = reader.range(INCIDENTS, t0, t1).to_pylist()
    by_time: dict[int, list[IncidentState]] = defaultdict(list)
    for r in rows:
        if r["gone"]:
            continue
        by_time[r["t_ms"]].append(IncidentState(
            r["id"], r["type"], r["severity"], r["x"], r["y"], (), r["text"], r["status"],
            r["raised_at"], r["t_ms"] / 1000, r["source"],
        ))  # fmt: skip
    for t_ms in sorted(by_time):
        history.observe(by_time[t_ms], t_ms / 1000)
    state = reader.state_at(t1)
    units: dict[str, int] = dict.fromkeys(UNIT_KINDS, 0)
    for kind, status in zip(state.entities.column("kind").to_pylist(),
                            state.entities.column("status").to_pylist(), strict=True):  # fmt: skip
        if kind in units and status != ENTITY_STATUSES[_OUT_OF_SERVICE]:
            units[kind] += 1
    sensors = sorted(
        ((r["id"], r["kind"], float(r["value"]), r["status"]) for r in state.sensors.to_pylist()
         if r["status"] in ("warning", "alarm")),
        key=lambda s: (s[3] != "alarm", s[0]),
    )  # fmt: skip
    has_data = bool(rows) or state.entities.num_rows > 0 or state.sensors.num_rows > 0
    return BriefData(
        site_title=site.title,
        timezone=site.site.timezone,
        period=period_text(t0, t1, site.site.timezone),
        now=t1,
        source="history" if has_data else "none",
        source_detail=str(reader.root),
        stats=summarise(history.records(), t0, t1),
        metrics=metric_summaries(reader, t0, t1),
        units_in_service=units,
        sensor_alarms=sensors,
    )


def metric_summaries(reader: HistoryReader, t0: float, t1: float) -> list[MetricSummary]:
    series: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for r in reader.range(METRICS, t0, t1).to_pylist():
        series[r["name"]].append((r["t_ms"] / 1000, float(r["value"]), r["unit"]))
    out = []
    for name, pts in sorted(series.items()):
        t = [p[0] for p in pts]
        v = [p[1] for p in pts]
        out.append(MetricSummary(name, pts[-1][2], v[-1], v[0], min(v), max(v), sum(v) / len(v), t, v))
    return out
