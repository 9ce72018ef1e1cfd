"""The ingest hot path (clean WGS 84 position batches) gives exactly what the careful path gives.

A drained batch of clean position messages is validated inside the decoder and merged in one
step; one bad frame anywhere sends the whole batch down the per-frame path. So each scenario is
ingested twice, once as is and once with an undecodable frame appended, and the models and the
counters must agree (apart from that one frame).
"""

from __future__ import annotations

import math
import time

import pytest

from controlroom.core.feed_stats import FeedStats
from controlroom.core.protocol import (
    SCHEMA_VERSION,
    Heartbeat,
    MetricBatch,
    MetricPoint,
    Position,
    PositionBatch,
    SensorBatch,
    SensorReading,
)
from controlroom.feed.buffer import CoalescingBuffer
from controlroom.feed.codec import encode
from controlroom.feed.ingest import Ingestor
from controlroom.feed.pump import FeedPump, site_to_local
from controlroom.feed.validate import Extent
from controlroom.geo.crs import LocalFrame

from .conftest import HUACHENG_BBOX

LON, LAT = 113.3157, 23.1226
#: The same place in UTM 49N (the site's metric CRS).
UTM_X, UTM_Y = 737_146.6, 2_558_974.3
BAD = b"pos|\xc1"  # 0xC1 is never valid msgpack


def _pos(source: str, seq: int, recs: list[Position], crs: str = "EPSG:4326") -> bytes:
    return encode(PositionBatch(SCHEMA_VERSION, source, seq, time.time(), recs, crs))


def _clean(source: str = "a", first_seq: int = 1, n: int = 60) -> list[bytes]:
    """n messages of 1–3 records each; ids repeat so later updates supersede earlier ones."""
    return [
        _pos(
            source,
            first_seq + i,
            [
                Position(f"V{(i * 3 + j) % 40}", "bus", LON + i * 1e-5, LAT - j * 1e-5, i, j, "en_route")
                for j in range(1 + i % 3)
            ],
        )
        for i in range(n)
    ]


def _out_of_extent() -> list[bytes]:
    frames = _clean()
    frames[7] = _pos("a", 8, [Position("FAR", "bus", 116.4, 39.9), Position("NEAR", "bus", LON, LAT)])
    return frames


def _bad_numbers() -> list[bytes]:
    frames = _clean()
    frames[3] = _pos("a", 4, [Position("NAN", "bus", LON, LAT, heading=math.nan)])
    frames[4] = _pos("a", 5, [Position("INF", "bus", LON, LAT, speed=math.inf)])
    return frames


def _gap_and_duplicate() -> list[bytes]:
    frames = _clean()
    del frames[10]  # seq 11 lost
    frames.insert(20, frames[19])  # re-sent
    return frames


def _two_sources() -> list[bytes]:
    return [f for pair in zip(_clean("a"), _clean("b", 1), strict=True) for f in pair]


def _site_crs_then_wgs84() -> list[bytes]:
    return [_pos("a", 1, [Position("V1", "bus", UTM_X + 500, UTM_Y)], "EPSG:32649"), *_clean("a", 2)]


def _other_kinds_riding_along(site_crs: bool = False) -> list[bytes]:
    """What a simulator tick drains as: positions, then sensors, metrics and a heartbeat."""
    frames = _clean(n=20)
    now = time.time()
    aqi = SensorReading("AQI1", "aqi", 77.0, LON, LAT, "AQI")
    frames.append(
        encode(SensorBatch(SCHEMA_VERSION, "a", 21, now, [aqi, SensorReading("FAR", "aqi", 1.0, 0, 0)]))
    )
    metrics = [MetricPoint("aqi", 77.0, now), MetricPoint("noise", math.nan, now)]
    frames.append(encode(MetricBatch(SCHEMA_VERSION, "a", 22, now, metrics)))
    frames.append(encode(Heartbeat(SCHEMA_VERSION, "a", 23, now, 10.0, 40, 5.0)))
    moved = Position("V3", "bus", UTM_X, UTM_Y) if site_crs else Position("V3", "bus", LON, LAT)
    frames.append(_pos("a", 24, [moved], "EPSG:32649" if site_crs else "EPSG:4326"))
    return frames


SCENARIOS = {
    "clean": [_clean()],
    "out of extent": [_out_of_extent()],
    "NaN and inf": [_bad_numbers()],
    "gap and duplicate": [_gap_and_duplicate()],
    "two sources": [_two_sources()],
    "site CRS then WGS 84 in one batch": [_site_crs_then_wgs84()],
    "site CRS batch, then a clean batch": [_site_crs_then_wgs84()[:1], _clean("a", 2)],
    "consecutive clean batches": [_clean(), _clean("a", 61), _clean("a", 121)],
    "other kinds riding along": [_other_kinds_riding_along()],
    "other kinds and a site-CRS batch": [_other_kinds_riding_along(site_crs=True)],
}


def _run(batches: list[list[bytes]], spoil: bool) -> tuple[dict[str, object], dict[str, object]]:
    stats = FeedStats()
    buffer = CoalescingBuffer()
    ingestor = Ingestor(buffer, stats, Extent.from_bbox(HUACHENG_BBOX, margin_m=500))
    pump = FeedPump(buffer, stats, to_local=site_to_local(LocalFrame.at_wgs84("EPSG:32649", LON, LAT)))
    for frames in batches:
        ingestor.ingest([*frames, BAD] if spoil else frames)
    pump.apply_pending(time.time())
    e = pump.entities
    entities = {
        i: (
            round(float(e.x[r]), 6),
            round(float(e.y[r]), 6),
            float(e.heading[r]),
            float(e.speed[r]),
            int(e.kind[r]),
            int(e.status[r]),
        )
        for i in e.ids
        for r in [e.row(i)]
    }
    state = {
        "entities": entities,
        "sensors": dict(zip(pump.sensors.ids, pump.sensors.value.tolist(), strict=True)),
        "metrics": pump.metrics.names(),
        "heartbeats": list(pump.heartbeats),
    }
    snap = stats.snapshot(time.time())
    for volatile in ("msgs_per_s", "sources", "bytes"):
        snap.pop(volatile)
    return state, snap


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_hot_and_careful_paths_agree(name: str) -> None:
    batches = SCENARIOS[name]
    hot_state, hot = _run(batches, spoil=False)
    careful_state, careful = _run(batches, spoil=True)
    assert hot_state == careful_state
    spoiled = len(batches)
    careful_rejected = dict(careful.pop("rejected"))  # type: ignore[call-overload]
    assert careful_rejected.pop("undecodable") == spoiled
    assert dict(hot.pop("rejected")) == careful_rejected  # type: ignore[call-overload]
    careful["received"] -= spoiled  # type: ignore[operator]
    assert hot == careful


def test_what_the_paths_agree_on_is_what_was_sent() -> None:
    """Guards the comparison above against both paths being wrong the same way."""
    state, snap = _run(SCENARIOS["site CRS then WGS 84 in one batch"], spoil=False)
    entities = state["entities"]
    assert isinstance(entities, dict) and len(entities) == 40
    x, y = entities["V1"][:2]
    assert abs(x) < 100 and abs(y) < 100  # the later WGS 84 update won, not the UTM one 500 m east
    _, snap = _run(SCENARIOS["out of extent"] + SCENARIOS["NaN and inf"], spoil=False)
    assert snap["rejected"] == {"out_of_extent": 1, "non_finite": 2}  # batch 2: a restart
    state, snap = _run(SCENARIOS["gap and duplicate"], spoil=False)
    assert (snap["gaps"], snap["duplicates"]) == (1, 1)
    assert snap["records_applied"] + snap["coalesced"] == snap["records"]  # type: ignore[operator]
    state, snap = _run(SCENARIOS["other kinds riding along"], spoil=False)
    assert state["sensors"] == {"AQI1": 77.0} and state["metrics"] == ["aqi"] and state["heartbeats"] == ["a"]
    assert snap["rejected"] == {
        "out_of_extent": 1,
        "non_finite": 1,
    }  # the sensor at (0, 0) and the NaN metric
