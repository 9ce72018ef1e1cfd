"""Incidents from a source that went silent are marked stale after their type's timeout (issue 16).

The real ingest → buffer → pump path with the feed thread's clock given explicitly: a video-AI
source reports an incident and its heartbeats, then dies; another source goes on talking.
"""

from __future__ import annotations

from controlroom.core.feed_stats import FeedStats
from controlroom.core.incidents import DEFAULT_INCIDENT_TIMEOUTS_S
from controlroom.core.protocol import SCHEMA_VERSION, Heartbeat, Incident, IncidentBatch
from controlroom.feed.buffer import CoalescingBuffer
from controlroom.feed.codec import encode
from controlroom.feed.ingest import Ingestor
from controlroom.feed.pump import FeedPump

LON, LAT = 113.3157, 23.1226
T0 = 1_800_000_000.0


def test_a_dead_sources_open_incidents_go_stale_and_come_back_when_it_speaks() -> None:
    stats, buffer = FeedStats(), CoalescingBuffer()
    ingest = Ingestor(buffer, stats)
    pump = FeedPump(buffer, stats)
    timeout = DEFAULT_INCIDENT_TIMEOUTS_S["road_damage"]
    seq = {"ai": 0, "gps": 0}

    def beat(source: str, t: float) -> None:
        seq[source] += 1
        ingest.ingest([encode(Heartbeat(SCHEMA_VERSION, source, seq[source], t, epoch=7))], t)

    seq["ai"] += 1
    pothole = Incident("I1", "road_damage", 3, LON, LAT, raised_at=T0)
    ingest.ingest([encode(IncidentBatch(SCHEMA_VERSION, "ai", seq["ai"], T0, [pothole], epoch=7))], T0)
    pump.apply_pending(T0)
    board = pump.incidents
    assert board.get("I1") is not None and board.get("I1").source == "ai"  # type: ignore[union-attr]
    beat("ai", T0 + 10)
    for t in range(20, int(timeout) + 30, 10):  # the AI source died at T0 + 10; GPS goes on
        beat("gps", T0 + t)
        change = pump.apply_pending(T0 + t)
        stale = board.get("I1").stale  # type: ignore[union-attr]
        assert stale == (t - 10 > timeout), t
        if t - 10 > timeout and t - 20 <= timeout:
            assert change.incidents_updated == 1, "the panel is told to redraw"
    assert board.columns().stale.tolist() == [True]
    assert len(board.open()) == 1, "an open incident is marked, never dropped"
    beat("ai", T0 + timeout + 40)  # the source is back
    pump.apply_pending(T0 + timeout + 41)
    assert board.get("I1").stale is False  # type: ignore[union-attr]
