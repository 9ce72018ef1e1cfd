"""Every message kind travels over a real loopback socket, msgpack and JSON, into the models."""

from __future__ import annotations

import time

import numpy as np
import pytest
import zmq

from controlroom.core.protocol import (
    SCHEMA_VERSION,
    Heartbeat,
    Incident,
    IncidentBatch,
    MetricBatch,
    MetricPoint,
    Position,
    PositionBatch,
    SensorBatch,
    SensorReading,
)
from controlroom.feed.codec import encode
from controlroom.feed.publisher import FeedPublisher

LON, LAT = 113.3157, 23.1226


@pytest.mark.parametrize("codec", ["msgpack", "json"])
def test_every_kind_round_trips_into_the_models(codec: str, make_pipeline) -> None:
    with FeedPublisher("tcp://127.0.0.1:*", source="city", codec=codec) as pub:
        p = make_pipeline(pub.endpoint)
        # the slow-joiner window: publish heartbeats until the subscriber hears one
        assert p.pump_until(lambda: (pub.heartbeat(2.0, 1) or True) and "city" in p.pump.heartbeats)
        pub.positions([Position("BUS1", "bus", LON, LAT, 90.0, 8.5, "en_route")])
        pub.positions([Position("TX1", "taxi", 737_146.6, 2_558_974.3, 10.0, 0.0)], crs="EPSG:32649")
        pub.sensors([SensorReading("RIVER01", "river_level", 3.42, LON, LAT, "m", "warning")])
        pub.incidents(
            [Incident("INC1", "manhole_cover_missing", 3, LON, LAT, ["CAM1", "CAM2"], "cover gone")]
        )
        pub.metrics([MetricPoint("aqi", 87.0, time.time(), "AQI")])
        assert p.pump_until(lambda: "INC1" in p.pump.incidents and p.pump.metrics.latest("aqi") is not None)
        assert p.pump_until(lambda: len(p.pump.entities) == 2 and len(p.pump.sensors) == 1)

    ents = p.pump.entities
    bus = ents.row("BUS1")
    assert (ents.x[bus], ents.y[bus]) == (pytest.approx(LON), pytest.approx(LAT))  # no frame: kept as sent
    assert ents.heading[bus] == pytest.approx(90.0) and ents.speed[bus] == pytest.approx(8.5)
    assert ents.kind[bus] == 0 and ents.status[bus] == 4  # bus, en_route
    assert ents.x[ents.row("TX1")] == pytest.approx(737_146.6)  # site-CRS batch passes the UTM extent
    assert p.pump.sensors.reading("RIVER01") == ("river_level", pytest.approx(3.42), "warning")
    inc = p.pump.incidents.get("INC1")
    assert (
        inc is not None
        and inc.camera_ids == ("CAM1", "CAM2")
        and inc.severity == 3
        and inc.text == "cover gone"
    )
    assert p.pump.metrics.latest("aqi")[1] == 87.0  # type: ignore[index]
    snap = p.stats.snapshot(time.time())
    assert snap["rejected"] == {} and snap["gaps"] == 0 and snap["duplicates"] == 0


def test_json_and_msgpack_frames_mix_on_one_socket(make_pipeline) -> None:
    ctx = zmq.Context.instance()
    pub = ctx.socket(zmq.PUB)
    pub.bind("tcp://127.0.0.1:*")
    try:
        p = make_pipeline(pub.getsockopt_string(zmq.LAST_ENDPOINT))
        seq = iter(range(1, 10_000))

        def hb(codec: str) -> bytes:
            return encode(Heartbeat(SCHEMA_VERSION, "mix", next(seq), time.time()), codec)

        assert p.pump_until(lambda: (pub.send(hb("json")) or True) and "mix" in p.pump.heartbeats)
        start = p.stats.received
        frames = [
            encode(
                PositionBatch(
                    SCHEMA_VERSION, "mix", next(seq), time.time(), [Position("A", "police", LON, LAT)]
                )
            ),
            encode(
                SensorBatch(
                    SCHEMA_VERSION,
                    "mix",
                    next(seq),
                    time.time(),
                    [SensorReading("N1", "noise", 61.0, LON, LAT, "dB(A)")],
                ),
                "json",
            ),
            encode(
                IncidentBatch(
                    SCHEMA_VERSION,
                    "mix",
                    next(seq),
                    time.time(),
                    [Incident("I9", "fallen_tree", 2, LON, LAT)],
                ),
                "json",
            ),
            encode(
                MetricBatch(
                    SCHEMA_VERSION,
                    "mix",
                    next(seq),
                    time.time(),
                    [MetricPoint("power_load_mw", 1234.5, time.time(), "MW")],
                )
            ),
        ]
        assert frames[1][4:5] == b"{"  # JSON really is JSON objects with field names
        for f in frames:
            pub.send(f)
        assert p.pump_until(lambda: p.stats.received - start >= 4 and "I9" in p.pump.incidents)
        assert "A" in p.pump.entities and len(p.pump.sensors) == 1
        assert p.pump.metrics.latest("power_load_mw")[1] == 1234.5  # type: ignore[index]
        assert p.stats.snapshot(time.time())["rejected"] == {}
    finally:
        pub.close(0)


def test_site_frame_conversion_puts_entities_in_local_metres(make_pipeline) -> None:
    from controlroom.feed.pump import site_to_local
    from controlroom.geo.crs import LocalFrame

    frame = LocalFrame.at_wgs84("EPSG:32649", LON, LAT)
    with FeedPublisher("tcp://127.0.0.1:*") as pub:
        p = make_pipeline(pub.endpoint)
        p.pump.to_local = site_to_local(frame)
        assert p.pump_until(lambda: (pub.heartbeat() or True) and bool(p.pump.heartbeats))
        pub.positions([Position("O", "bus", LON, LAT), Position("E", "bus", LON + 0.001, LAT)])
        assert p.pump_until(lambda: len(p.pump.entities) == 2)
    e = p.pump.entities
    assert np.hypot(e.x[e.row("O")], e.y[e.row("O")]) < 0.01  # the origin is (0, 0)
    assert e.x[e.row("E")] == pytest.approx(102.4, abs=1.0)  # 0.001° of longitude at 23°N ≈ 102 m east
