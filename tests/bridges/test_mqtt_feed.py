"""``[feed] transport = "mqtt"``: the simulator and the app through a real mosquitto."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from controlroom.core.feed_stats import FeedStats
from controlroom.core.protocol import Position
from controlroom.core.site import MqttFeedConfig, load_site
from controlroom.feed.buffer import CoalescingBuffer
from controlroom.feed.ingest import Ingestor
from controlroom.feed.mqtt_transport import MqttFeedError, MqttFeedPublisher, MqttFeedSubscriber
from controlroom.feed.pump import FeedPump
from controlroom.feed.site_feed import open_site_feed
from controlroom.feed.validate import Extent
from tests.bridges.conftest import LAB, ROOT, Server, wait_for
from tests.feed.conftest import write_huacheng_site


def _bus(i: int, lon: float = 113.312) -> Position:
    return Position(f"b{i}", "bus", lon, 23.12, 0.0, 0.0, "normal")


def test_a_late_joiner_gets_the_retained_last_values_then_live_updates(mosquitto: Server) -> None:
    cfg = MqttFeedConfig(url=f"mqtt://city:s3cret@127.0.0.1:{mosquitto.port}")
    with MqttFeedPublisher(cfg, source="sim") as pub:
        pub.positions([_bus(i) for i in range(3)])
        pub.flush()
        stats, buffer = FeedStats(), CoalescingBuffer()
        sub = MqttFeedSubscriber(cfg, Ingestor(buffer, stats, Extent.from_bbox(LAB))).start()
        try:
            pump = FeedPump(buffer, stats)
            assert sub.snapshot_records == 3 and sub.state == "live"
            pub.positions([_bus(0, 113.315), _bus(7)])
            pub.flush()

            def moved() -> bool:
                pump.apply_pending(time.time())
                e = pump.entities
                return "b7" in e and float(e.x[e.row("b0")]) == pytest.approx(113.315)

            wait_for(moved, "the live update after the snapshot")
            assert len(pump.entities) == 4
            snap = stats.snapshot(time.time())
            assert snap["rejected"] == {} and snap["gaps"] == 0
        finally:
            sub.stop()


def test_the_late_joiners_snapshot_ends_when_every_retained_value_is_in(mosquitto: Server) -> None:
    """No settling pause: a marker published after the subscription comes back after every
    retained value, so all 3,000 are in the snapshot, however slow the machine, and the snapshot
    ends with the marker, long before the timeout."""
    cfg = MqttFeedConfig(url=f"mqtt://city:s3cret@127.0.0.1:{mosquitto.port}")
    with MqttFeedPublisher(cfg, source="sim") as pub:
        pub.positions([_bus(i) for i in range(3000)])
        pub.flush(30)
        stats, buffer = FeedStats(), CoalescingBuffer()
        sub = MqttFeedSubscriber(cfg, Ingestor(buffer, stats, Extent.from_bbox(LAB)))
        sub.snapshot_timeout_s = 120.0
        began = time.monotonic()
        sub.start(wait_s=150)
        try:
            assert sub.snapshot_records == 3000 and sub.state == "live"
            assert time.monotonic() - began < 100  # ended by the marker, not by the timeout
        finally:
            sub.stop()


def test_simulator_through_mosquitto_looks_as_through_zeromq(
    tmp_path: Path, mosquitto: Server, shared_data: Path
) -> None:
    site_path = write_huacheng_site(tmp_path, shared_data)
    text = site_path.read_text().replace("[feed]\n", '[feed]\ntransport = "mqtt"\n')
    site_path.write_text(text + f'\n[feed.mqtt]\nurl = "mqtt://city:s3cret@127.0.0.1:{mosquitto.port}"\n')
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "controlroom", "feed", "sim", "--site", str(site_path), "--entities", "40"]
    sim = subprocess.Popen([*argv, "--hz", "4"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    feed = open_site_feed(load_site(site_path)).start()
    try:

        def heard() -> bool:
            feed.pump.apply_pending(time.time())
            return len(feed.pump.entities) == 40 and bool(feed.pump.heartbeats)

        wait_for(heard, "40 simulated entities and a heartbeat over MQTT", timeout_s=30)
        assert feed.stats.snapshot(time.time())["rejected"] == {}
    finally:
        feed.stop()
        sim.terminate()
        out = sim.communicate(timeout=10)[0].decode(errors="replace")
    assert "retained controlroom/feed/last/sim/#" in out, out


def test_a_wrong_password_is_one_clear_error(mosquitto: Server) -> None:
    cfg = MqttFeedConfig(url=f"mqtt://city:wrong@127.0.0.1:{mosquitto.port}")
    with pytest.raises(
        MqttFeedError, match=rf"MQTT broker at 127\.0\.0\.1:{mosquitto.port} refused the login"
    ):
        MqttFeedPublisher(cfg, source="sim")


def test_after_a_broker_restart_the_app_hears_the_feed_again(mosquitto: Server) -> None:
    cfg = MqttFeedConfig(url=f"mqtt://city:s3cret@127.0.0.1:{mosquitto.port}")
    with MqttFeedPublisher(cfg, source="sim") as pub:
        stats, buffer = FeedStats(), CoalescingBuffer()
        sub = MqttFeedSubscriber(cfg, Ingestor(buffer, stats, Extent.from_bbox(LAB))).start()
        try:
            pump = FeedPump(buffer, stats)
            mosquitto.stop()
            mosquitto.start()  # same port; both clients reconnect by themselves

            def heard() -> bool:
                pub.positions([_bus(1)])
                pump.apply_pending(time.time())
                return "b1" in pump.entities

            wait_for(heard, "a position sent after the restart", timeout_s=30)
        finally:
            sub.stop()


def test_shutdown_joins_the_mqtt_feed_thread_and_leaves_no_thread_behind(mosquitto: Server) -> None:
    """The app's shut-down (``stop_all_service_threads``) ends the MQTT feed: no paho thread of
    its own beside the named service thread, none left running after."""
    import threading

    from controlroom.feed.service_thread import stop_all_service_threads

    before = set(threading.enumerate())
    cfg = MqttFeedConfig(url=f"mqtt://city:s3cret@127.0.0.1:{mosquitto.port}")
    stats, buffer = FeedStats(), CoalescingBuffer()
    with MqttFeedPublisher(cfg, source="sim") as pub:
        sub = MqttFeedSubscriber(cfg, Ingestor(buffer, stats, Extent.from_bbox(LAB))).start()
        pump = FeedPump(buffer, stats)

        def heard() -> bool:
            pub.positions([_bus(1)])
            pump.apply_pending(time.time())
            return "b1" in pump.entities

        wait_for(heard, "a live position through mosquitto")
        publisher = {t for t in threading.enumerate() if "controlroom-sim" in t.name}  # paho's, in the test
        started = [t.name for t in set(threading.enumerate()) - before - publisher]
        assert started == ["feed-subscriber-mqtt"]
        assert stop_all_service_threads() == []
    assert set(threading.enumerate()) - before == set()
    assert sub.state == "stopped"
