"""A live city for panel tests: a synthetic city, a LiveCity with a hand-driven clock, a real feed.

The publisher is a real ``FeedPublisher`` on loopback (random ports) with a snapshot server, so
the LiveCity subscribes exactly as the app does (clone pattern: snapshot, then updates).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from controlroom.core.site import Site, parse_site
from controlroom.feed.publisher import FeedPublisher
from tests.render.city_factory import synthetic_city

SITE_TOML = """
schema = 1
[site]
name = "panel-test"
title = "Panel test"
crs = "EPSG:32650"
[[city_model]]
path = "unused.parquet"
crs = "EPSG:4326"
[[metrics]]
name = "aqi"
title = "Air quality"
unit = "AQI"
warn = 100
alarm = 150
decimals = 0
"""


class Clock:
    """Seconds since the epoch, moved by the test."""

    def __init__(self, t: float = 1_800_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_site(tmp_path: Path) -> Site:
    return parse_site(SITE_TOML, tmp_path / "site.toml")


@contextmanager
def live_city(tmp_path: Path, clock: Clock, n_buildings: int = 100) -> Iterator[tuple[Any, FeedPublisher]]:
    """(LiveCity with the feed started, its publisher); stops both on exit."""
    from controlroom.qt.live import LiveCity

    live = LiveCity(test_site(tmp_path), feed=False, clock=clock)
    live.set_model(synthetic_city(n_buildings))
    pub = FeedPublisher("tcp://127.0.0.1:*", snapshot_endpoint="tcp://127.0.0.1:*", source="test")
    try:
        live.start_feed(endpoint=pub.endpoint, snapshot_endpoint=pub.snapshot_endpoint)
        yield live, pub
    finally:
        live.stop()
        pub.close()
        live.deleteLater()
