"""The feed status panel: waiting → connected with real numbers from a loopback feed → silent."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlroom.core.protocol import Position
from controlroom.panels.feed_status import FeedStatusPanel, feed_state
from tests.panels.live_city import Clock, live_city

pytestmark = pytest.mark.gui


def test_status_follows_the_feed(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    panel = FeedStatusPanel()
    qtbot.addWidget(panel)
    assert panel.state == "waiting"
    with live_city(tmp_path, clock) as (live, pub):
        panel.attach_live(live)
        lon, lat = live.frame.to_wgs84([100.0], [100.0])

        def received() -> bool:
            pub.positions([Position("T1", "taxi", float(lon[0]), float(lat[0]))])
            pub._pub.send(b"pos|not msgpack at all")  # a bad message, counted by reason
            live.pump_now()
            stats = live.stats
            return (
                stats is not None and stats.received >= 2 and bool(stats.rejected) and "test" in stats.sources
            )

        qtbot.waitUntil(received, timeout=5_000)
        snapshot = live.stats.snapshot(live.stats.sources["test"].last_heard)
        panel.show_status(snapshot)
        assert panel.state == "connected"
        assert "connected" in panel.headline.text()
        assert int(panel.numbers["bad"].text()) >= 1
        assert "undecodable" in panel.reasons_label.text() or "malformed" in panel.reasons_label.text()
        assert panel.sources.rowCount() == 1 and panel.sources.item(0, 0).text() == "test"
        later = live.stats.snapshot(live.stats.sources["test"].last_heard + 30.0)
        panel.show_status(later)
        assert panel.state == "silent" and "silent" in panel.headline.text()
        assert panel.sources.item(0, 1).text() == "30 s ago"
    assert feed_state({}) == "waiting"


def test_publisher_and_feed_thread_restarts_are_shown(qtbot) -> None:  # type: ignore[no-untyped-def]
    """A publisher that restarted twice and a feed thread its supervisor brought back once."""
    import time

    from controlroom.core.feed_stats import FeedStats
    from controlroom.core.protocol import SCHEMA_VERSION, Heartbeat
    from controlroom.feed.buffer import CoalescingBuffer
    from controlroom.feed.codec import encode
    from controlroom.feed.ingest import Ingestor

    stats = FeedStats()
    ingest = Ingestor(CoalescingBuffer(), stats)
    now = time.time()
    for epoch in (11, 22, 33):  # three runs of the same source: two restarts
        ingest.ingest([encode(Heartbeat(SCHEMA_VERSION, "gps", 40, now, epoch=epoch))], now)
    stats.note_thread_restart("RuntimeError: socket went away")
    panel = FeedStatusPanel()
    qtbot.addWidget(panel)
    panel.show_status(stats.snapshot(now))
    assert panel.numbers["restarts"].text() == "2"
    assert panel.sources.item(0, 4).text() == "2"
    assert not panel.thread_label.isHidden()
    assert "restarted 1×" in panel.thread_label.text() and "socket went away" in panel.thread_label.text()
    panel.show_status({})
    assert panel.thread_label.isHidden()


def test_each_source_shows_live_silent_or_down_with_its_heartbeat_rate(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    panel = FeedStatusPanel()
    qtbot.addWidget(panel)
    with live_city(tmp_path, Clock()) as (live, pub):
        panel.attach_live(live)

        def heard() -> bool:
            pub.heartbeat(rate_hz=7.0)  # a bridge reports its upstream's message rate
            live.pump_now()
            return (
                live.stats is not None
                and "test" in live.stats.sources
                and "test" in live.feed.pump.heartbeats
            )

        qtbot.waitUntil(heard, timeout=5_000)
        with qtbot.waitSignal(live.sig_feed_status, timeout=5_000) as emitted:
            live._emit_status()
        assert emitted.args[0]["sources"]["test"]["rate_hz"] == 7.0
    snapshot = {
        "sources": {
            "lab": {"last_heard_s_ago": 0.4, "rate_hz": 3.0},  # heartbeats and messages
            "transit": {"last_heard_s_ago": 0.6, "rate_hz": 0.0},  # heartbeats, nothing arriving
            "city-bus": {"last_heard_s_ago": 12.0, "rate_hz": 5.0},  # its broker went away: no heartbeat
        }
    }
    panel.show_status(snapshot)
    rows = {panel.sources.item(r, 0).text(): r for r in range(panel.sources.rowCount())}
    assert panel.sources.item(rows["lab"], 5).text() == "live"
    assert panel.sources.item(rows["lab"], 6).text() == "3.0/s"
    assert panel.sources.item(rows["transit"], 5).text() == "silent"
    assert panel.sources.item(rows["city-bus"], 5).text() == "down"


def test_a_feed_broker_that_cannot_be_reached_is_shown_down_with_why(qtbot) -> None:  # type: ignore[no-untyped-def]
    """An app on the NATS transport started while its server is down: the panel says so, and why."""
    import time

    from controlroom.core.feed_stats import FeedStats
    from controlroom.core.site import NatsFeedConfig
    from controlroom.feed.buffer import CoalescingBuffer
    from controlroom.feed.ingest import Ingestor
    from controlroom.feed.nats_transport import NatsFeedSubscriber
    from tests.net import free_port

    port = free_port()  # nothing listens there
    stats = FeedStats()
    sub = NatsFeedSubscriber(
        NatsFeedConfig(url=f"nats://127.0.0.1:{port}"), Ingestor(CoalescingBuffer(), stats)
    )
    panel = FeedStatusPanel()
    qtbot.addWidget(panel)
    sub.start()
    try:
        qtbot.waitUntil(lambda: stats.snapshot(time.time())["link"] == "down", timeout=15_000)
        panel.show_status(stats.snapshot(time.time()))
        assert panel.state == "down" and "Feed broker down" in panel.headline.text()
        assert not panel.link_label.isHidden()
        text = panel.link_label.text()
        assert f"cannot reach the NATS server at nats://127.0.0.1:{port}" in text and "retrying in" in text
    finally:
        sub.stop()
