"""The numbers a brief is made of, gathered headless: from a feed recording or a few seconds live.

``controlroom brief`` has no window and no running app to ask, so it builds the same models the
app builds (the feed pump) from either a recording (``--recording``, the period ends at the
recording's last frame, so a brief of a rehearsal reads as it did then) or the site's live feed,
listened to for ``listen_s`` seconds. When neither gives data the brief says "no live data"
instead of showing zeros as if the city were quiet.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from controlroom.core.districts import DistrictLocator
from controlroom.core.period_stats import (
    IncidentHistory,
    IncidentRecord,
    PeriodStats,
    period_bounds,
    summarise,
)
from controlroom.core.protocol import ENTITY_KINDS, ENTITY_STATUSES

if TYPE_CHECKING:
    from controlroom.core.city import CityModel
    from controlroom.core.metrics import MetricSeries
    from controlroom.core.site import Site
    from controlroom.feed.pump import FeedPump
    from controlroom.geo.crs import LocalFrame

UNIT_KINDS = ("police", "city_management", "ambulance", "fire_engine", "sanitation")
_OUT_OF_SERVICE = ENTITY_STATUSES.index("out_of_service")
FRAMES_PER_STEP = 200


@dataclass
class MetricSummary:
    name: str
    unit: str
    latest: float
    first: float
    low: float
    high: float
    mean: float
    t: list[float] = field(default_factory=list)
    v: list[float] = field(default_factory=list)

    @property
    def trend(self) -> float:
        """Relative change over the period (latest vs first), for the ▲/▼ arrow."""
        return 0.0 if self.first == 0 else (self.latest - self.first) / abs(self.first)


@dataclass
class BriefData:
    site_title: str
    timezone: str
    period: str
    now: float
    source: str  # "recording", "live" or "none"
    source_detail: str
    stats: PeriodStats
    metrics: list[MetricSummary]
    units_in_service: dict[str, int]
    sensor_alarms: list[tuple[str, str, float, str]]  # id, kind, value, status

    @property
    def has_data(self) -> bool:
        return self.source != "none"


def metric_summaries(metrics: MetricSeries, start: float, end: float) -> list[MetricSummary]:
    out = []
    for name in metrics.names():
        ring = metrics.rings[name]
        t, v = ring.window(end, end - start)
        if not len(v):
            continue
        out.append(
            MetricSummary(
                name,
                ring.unit,
                float(v[-1]),
                float(v[0]),
                float(v.min()),
                float(v.max()),
                float(v.mean()),
                t.tolist(),
                v.tolist(),
            )
        )
    return out


def units_in_service(pump: FeedPump) -> dict[str, int]:
    """Response units heard from and not out of service, per kind."""
    store = pump.entities
    kinds, status = store.kind, store.status
    counts: Counter[str] = Counter()
    for code, st in zip(kinds.tolist(), status.tolist(), strict=True):
        kind = ENTITY_KINDS[code]
        if kind in UNIT_KINDS and st != _OUT_OF_SERVICE:
            counts[kind] += 1
    return {k: counts.get(k, 0) for k in UNIT_KINDS}


def sensor_alarms(pump: FeedPump) -> list[tuple[str, str, float, str]]:
    from controlroom.core.protocol import SENSOR_STATUSES

    s = pump.sensors
    out = []
    for i, sid in enumerate(s.ids):
        status = SENSOR_STATUSES[int(s.status[i])]
        if status in ("warning", "alarm"):
            kind, value, _unit = s.reading(sid)
            out.append((sid, kind, float(value), status))
    return sorted(out, key=lambda r: (r[3] != "alarm", r[0]))


def _make_pump(site: Site, frame: LocalFrame) -> FeedPump:
    from controlroom.core.feed_stats import FeedStats
    from controlroom.feed.buffer import CoalescingBuffer
    from controlroom.feed.pump import FeedPump, site_to_local

    return FeedPump(CoalescingBuffer(), FeedStats(), to_local=site_to_local(frame), expire=False)


def _replay_file(
    path: Path, site: Site, frame: LocalFrame, history: IncidentHistory
) -> tuple[FeedPump, float]:
    from controlroom.feed.ingest import Ingestor
    from controlroom.feed.recorder import read_recording

    pump = _make_pump(site, frame)
    ingestor = Ingestor(pump.buffer, pump.stats)
    batch: list[bytes] = []
    last_t = 0.0

    def flush(t: float) -> None:
        ingestor.ingest(batch, now=t)
        batch.clear()
        pump.apply_pending(t)
        history.observe(pump.incidents.all(), t)

    for t, frame_bytes in read_recording(path):
        batch.append(frame_bytes)
        last_t = t
        if len(batch) >= FRAMES_PER_STEP:
            flush(t)
    if batch:
        flush(last_t)
    return pump, last_t


def _listen(
    site: Site,
    model: CityModel,
    frame: LocalFrame,
    seconds: float,
    history: IncidentHistory,
    endpoint: str | None,
) -> tuple[FeedPump, int]:
    from controlroom.feed.site_feed import open_site_feed

    feed = open_site_feed(site, city=model, frame=frame, endpoint=endpoint).start()
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now = time.time()
            feed.pump.apply_pending(now)
            history.observe(feed.pump.incidents.all(), now)
    finally:
        feed.stop()
    return feed.pump, int(feed.stats.snapshot(time.time()).get("received", 0))  # type: ignore[call-overload]


def collect(
    site: Site,
    model: CityModel,
    frame: LocalFrame,
    period: str,
    *,
    recording: Path | None = None,
    listen_s: float = 3.0,
    endpoint: str | None = None,
    extra_records: list[IncidentRecord] | None = None,
) -> BriefData:
    """Everything a brief shows for ``period``; ``extra_records`` (e.g. the gateway's store) are added."""
    locator = DistrictLocator(model.lines.get("boundary:district"))
    history = IncidentHistory(locate=locator.locate)
    if recording is not None:
        pump, now = _replay_file(recording, site, frame, history)
        source, detail = ("recording", str(recording)) if now else ("none", str(recording))
        now = now or time.time()
    else:
        pump, received = _listen(site, model, frame, listen_s, history, endpoint)
        now = time.time()
        source, detail = ("live", endpoint or site.feed.endpoint) if received else ("none", "")
    return from_pump(site, pump, history, period, now, source, detail, extra_records)


def from_pump(
    site: Site,
    pump: FeedPump,
    history: IncidentHistory,
    period: str,
    now: float,
    source: str,
    detail: str = "",
    extra_records: list[IncidentRecord] | None = None,
) -> BriefData:
    """The brief of models already fed (the running app's live pump, or a replay)."""
    start, end = period_bounds(period, now, site.site.timezone)
    records = history.records() + list(extra_records or [])
    return BriefData(
        site_title=site.title,
        timezone=site.site.timezone,
        period=period,
        now=now,
        source=source,
        source_detail=detail,
        stats=summarise(records, start, end),
        metrics=metric_summaries(pump.metrics, start, end),
        units_in_service=units_in_service(pump),
        sensor_alarms=sensor_alarms(pump),
    )
