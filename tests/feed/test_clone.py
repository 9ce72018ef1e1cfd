"""A late joiner (a wall PC that restarts) starts from the current state, then follows updates."""

from __future__ import annotations

import threading
import time

from controlroom.core.protocol import Incident, MetricPoint, Position, SensorReading
from controlroom.feed.publisher import FeedPublisher

from .conftest import wait_until

LON, LAT = 113.3157, 23.1226


def test_late_joiner_gets_snapshot_then_updates_without_gap(make_pipeline) -> None:
    with FeedPublisher("tcp://127.0.0.1:*", snapshot_endpoint="tcp://127.0.0.1:*", batch_size=50) as pub:
        # the city as it was before the wall PC came up: nobody is subscribed yet
        pub.positions([Position(f"V{i}", "taxi", LON + i * 1e-5, LAT) for i in range(300)])
        pub.incidents(
            [
                Incident("INC-OLD", "waterlogging", 3, LON, LAT, ["CAM7"]),
                Incident("INC-DONE", "street_vending", 1, LON, LAT),
            ]
        )
        pub.incidents([Incident("INC-DONE", "street_vending", 1, LON, LAT, status="closed")])
        pub.sensors([SensorReading("RIVER01", "river_level", 3.1, LON, LAT, "m")])
        pub.metrics([MetricPoint("aqi", 61.0, time.time())])
        before = pub.seq

        # updates keep flowing while the late joiner connects and fetches the snapshot
        stop = threading.Event()

        def keep_publishing() -> None:
            k = 0
            while not stop.is_set():
                pub.positions([Position(f"V{k % 300}", "taxi", LON, LAT + 1e-4, status="idle")])
                k += 1
                time.sleep(0.002)

        t = threading.Thread(target=keep_publishing)
        t.start()
        try:
            p = make_pipeline(pub.endpoint, snapshot_endpoint=pub.snapshot_endpoint)
            assert p.subscriber.state == "live"
            assert p.subscriber.snapshot_records >= 300 + 1 + 1 + 1
            time.sleep(0.2)
        finally:
            stop.set()
            t.join()
        last = pub.seq
        assert p.pump_until(lambda: p.stats.source("sim").last_seq == last)

    p.pump.apply_pending(time.time())
    assert len(p.pump.entities) == 300  # everything published before it joined
    assert (
        "INC-OLD" in p.pump.incidents and "INC-DONE" not in p.pump.incidents
    )  # closed ones are not replayed
    assert len(p.pump.sensors) == 1 and p.pump.metrics.latest("aqi") is not None
    src = p.stats.source("sim")
    assert (
        src.gaps == 0 and src.duplicates == 0
    )  # queued updates already in the snapshot were skipped, not lost
    assert last > before and p.stats.rejected == {}


def test_snapshot_service_down_falls_back_to_live_updates(make_pipeline) -> None:
    with FeedPublisher("tcp://127.0.0.1:*") as pub:
        p = make_pipeline(pub.endpoint, snapshot_endpoint="tcp://127.0.0.1:9", snapshot_timeout_s=0.3)
        assert p.subscriber.state == "snapshot failed (live only)"
        assert wait_until(
            lambda: (pub.positions([Position("B1", "bus", LON, LAT)]) or True) and p.stats.received > 0
        )
        assert p.pump_until(lambda: "B1" in p.pump.entities)
