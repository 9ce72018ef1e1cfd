"""The status strip: whose city, what time there, and whether the picture is live."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from controlroom.core.site import Site, parse_site
from controlroom.panels.status_strip import feed_state

pytestmark = pytest.mark.gui

SITE = """
schema = 1
[site]
name = "t"
title = "Tianhe Operations"
crs = "EPSG:32649"
timezone = "Asia/Shanghai"
[[city_model]]
path = "b.parquet"
crs = "EPSG:4326"
"""


def _site(tmp_path) -> Site:  # type: ignore[no-untyped-def]
    return parse_site(SITE, tmp_path / "site.toml")


def test_feed_state_from_stats() -> None:
    assert feed_state(None) == "down"
    assert feed_state({"sources": {}}) == "down"
    assert feed_state({"sources": {"sim": {"last_heard_s_ago": 0.4}}}) == "live"
    assert (
        feed_state({"sources": {"sim": {"last_heard_s_ago": 30.0}, "b": {"last_heard_s_ago": 9}}}) == "silent"
    )


def test_strip_shows_title_local_clock_and_feed_light(qtbot: QtBot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from controlroom.panels.status_strip import StatusStrip
    from controlroom.qt.live import LiveCity

    live = LiveCity(_site(tmp_path), feed=False, clock=lambda: 1_700_000_000.0)  # 2023-11-14 22:13:20 UTC
    strip = StatusStrip(live)
    qtbot.addWidget(strip)
    strip.resize(1200, 80)
    strip.show()
    qtbot.waitExposed(strip)
    assert strip.title.text() == "Tianhe Operations"
    assert strip.clock.text() == "2023-11-15  06:13:20", "the site's time zone, not the machine's"
    assert "No feed" in strip.feed.text()
    live.sig_feed_status.emit({"msgs_per_s": 1234.0, "sources": {"sim": {"last_heard_s_ago": 0.2}}})
    assert strip.state == "live" and "1,234" in strip.feed.text()
    assert strip.title.font().pixelSize() >= 30, "readable from across the room"
    strip.close()


def test_the_strip_says_when_the_feed_thread_was_restarted(qtbot: QtBot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from controlroom.panels.status_strip import StatusStrip
    from controlroom.qt.live import LiveCity

    live = LiveCity(_site(tmp_path), feed=False, clock=lambda: 1_700_000_000.0)
    strip = StatusStrip(live)
    qtbot.addWidget(strip)
    status = {"msgs_per_s": 10.0, "thread_restarts": 3, "sources": {"sim": {"last_heard_s_ago": 0.2}}}
    live.sig_feed_status.emit(status)
    assert strip.state == "live" and "feed thread restarted 3×" in strip.feed.text()
    live.sig_feed_status.emit({**status, "thread_restarts": 0})
    assert "restarted" not in strip.feed.text()
