"""Feed fixtures: a real pipeline (subscriber thread + pump) on loopback, and a tiny site."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from controlroom.core.feed_stats import FeedStats
from controlroom.feed.buffer import CoalescingBuffer
from controlroom.feed.ingest import Ingestor
from controlroom.feed.pump import FeedPump
from controlroom.feed.subscriber import FeedSubscriber
from controlroom.feed.validate import Extent

#: Around 花城大道 (Zhujiang New Town), where the shared road extract is.
HUACHENG_BBOX = (113.3105, 23.1186, 113.3209, 23.1267)


def wait_until(predicate: Callable[[], bool], timeout_s: float = 5.0, step_s: float = 0.01) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()


@dataclass
class Pipeline:
    subscriber: FeedSubscriber
    pump: FeedPump
    stats: FeedStats
    buffer: CoalescingBuffer

    def pump_until(self, predicate: Callable[[], bool], timeout_s: float = 5.0) -> bool:
        def tick() -> bool:
            self.pump.apply_pending(time.time())
            return predicate()

        return wait_until(tick, timeout_s, 0.02)


@pytest.fixture
def make_pipeline() -> Iterator[Callable[..., Pipeline]]:
    made: list[Pipeline] = []

    def make(endpoint: str, extent: Extent | None = None, **kwargs: object) -> Pipeline:
        stats = FeedStats()
        buffer = CoalescingBuffer()
        ingestor = Ingestor(buffer, stats, extent or Extent.from_bbox(HUACHENG_BBOX, margin_m=500))
        sub = FeedSubscriber(endpoint, ingestor, **kwargs)  # type: ignore[arg-type]
        p = Pipeline(sub, FeedPump(buffer, stats), stats, buffer)
        made.append(p)
        sub.start()
        return p

    yield make
    for p in made:
        p.subscriber.stop()


def write_huacheng_site(folder: Path, shared_data: Path) -> Path:
    """A minimal site whose roads are the real 花城大道 extract (the city model file is not read here)."""
    roads = shared_data / "guangzhou" / "huacheng-local-roads.geojson"
    text = f"""schema = 1
[site]
name = "huacheng"
title = "Huacheng test site"
crs = "EPSG:32649"
origin = [113.3157, 23.1226]

[[city_model]]
path = "{shared_data / "guangzhou" / "huacheng-osm-buildings.geojson"}"
crs = "EPSG:4326"

[[roads]]
path = "{roads}"
crs = "EPSG:4326"

[feed]
endpoint = "tcp://127.0.0.1:0"
snapshot_endpoint = "tcp://127.0.0.1:0"
"""
    site = folder / "site.toml"
    site.write_text(text, encoding="utf-8")
    return site


@pytest.fixture
def huacheng_site(tmp_path: Path, shared_data: Path) -> Path:
    return write_huacheng_site(tmp_path, shared_data)
