"""A subscriber or bridge started while the feed broker (NATS / MQTT transport) is down waits for it.

Each test starts the real broker only after the client is running: the client must not fail,
must say the broker is down and why (the feed stats that the feed panel shows, a bridge's status
file), and must join once the broker comes up.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from controlroom.bridges.service import source_states
from controlroom.core.feed_stats import FeedStats
from controlroom.core.protocol import Position
from controlroom.core.site import MqttFeedConfig, NatsFeedConfig, load_site
from controlroom.feed.buffer import CoalescingBuffer
from controlroom.feed.ingest import Ingestor
from controlroom.feed.mqtt_transport import MqttFeedPublisher, MqttFeedSubscriber
from controlroom.feed.nats_transport import NatsFeedPublisher, NatsFeedSubscriber
from controlroom.feed.pump import FeedPump
from controlroom.feed.validate import Extent
from tests.bridges.conftest import (
    LAB,
    Server,
    city_source,
    gcj,
    mosquitto_server,
    nats_feed,
    nats_server_of,
    publish_nats,
    wait_for,
    write_site,
)
from tests.net import free_port


def _bus(i: int) -> Position:
    return Position(f"b{i}", "bus", 113.312, 23.12, 0.0, 0.0, "normal")


def _joins_when_the_broker_comes_up(
    server: Server,
    subscriber: NatsFeedSubscriber | MqttFeedSubscriber,
    stats: FeedStats,
    buffer: CoalescingBuffer,
    publisher: type[NatsFeedPublisher] | type[MqttFeedPublisher],
    cfg: NatsFeedConfig | MqttFeedConfig,
    reason: str,
) -> None:
    began = time.monotonic()
    subscriber.start()
    try:
        assert time.monotonic() - began < 8  # start() returned: the app goes on without its broker
        assert subscriber.running and subscriber.error is None
        wait_for(lambda: stats.snapshot(time.time())["link"] == "down", "the broker reported down")
        snap = stats.snapshot(time.time())
        assert reason in str(snap["link_detail"]) and "retrying in" in str(snap["link_detail"])
        assert subscriber.state.startswith("down: ")
        server.start()
        pump = FeedPump(buffer, stats)
        with publisher(cfg, source="sim") as pub:  # type: ignore[arg-type]

            def heard() -> bool:
                pub.positions([_bus(1)])
                pub.flush()
                pump.apply_pending(time.time())
                return "b1" in pump.entities

            wait_for(heard, "a position once the broker is up", timeout_s=45)
        assert subscriber.state == "live" and stats.snapshot(time.time())["link"] == "up"
    finally:
        subscriber.stop()
        server.stop()


def test_an_app_started_before_its_nats_server_waits_for_it(tmp_path: Path) -> None:
    port = free_port()
    server = nats_server_of(tmp_path, port)
    cfg = NatsFeedConfig(url=f"nats://city:s3cret@127.0.0.1:{port}")
    stats, buffer = FeedStats(), CoalescingBuffer()
    sub = NatsFeedSubscriber(cfg, Ingestor(buffer, stats, Extent.from_bbox(LAB)))
    _joins_when_the_broker_comes_up(
        server,
        sub,
        stats,
        buffer,
        NatsFeedPublisher,
        cfg,
        f"cannot reach the NATS server at nats://city:***@127.0.0.1:{port}",
    )


def test_an_app_started_before_its_mqtt_broker_waits_for_it(tmp_path: Path) -> None:
    port = free_port()
    server = mosquitto_server(tmp_path, port)
    cfg = MqttFeedConfig(url=f"mqtt://city:s3cret@127.0.0.1:{port}")
    stats, buffer = FeedStats(), CoalescingBuffer()
    sub = MqttFeedSubscriber(cfg, Ingestor(buffer, stats, Extent.from_bbox(LAB)))
    _joins_when_the_broker_comes_up(
        server,
        sub,
        stats,
        buffer,
        MqttFeedPublisher,
        cfg,
        f"cannot reach the MQTT broker at 127.0.0.1:{port}",
    )


def test_a_bridge_started_before_the_feed_nats_server_waits_then_bridges(
    tmp_path: Path, bridge_process: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bridge's upstream and the feed are one nats-server, started after the bridge."""
    port = free_port()
    server = nats_server_of(tmp_path, port)
    site_path = write_site(tmp_path / "site", LAB, city_source(port, free_port()), feed=nats_feed(port))
    bridge = bridge_process(site_path, "city-bus")
    try:
        wait_for(lambda: bridge.read_status().get("state") == "down", "the bridge to report down", log=bridge)
        detail = str(bridge.read_status()["detail"])
        assert f"feed broker: cannot reach the NATS server at nats://city:***@127.0.0.1:{port}" in detail
        assert bridge.proc.poll() is None  # still running, trying again
        monkeypatch.setenv("CONTROLROOM_STATE_DIR", str(tmp_path / "state"))  # where the bridge writes
        (row,) = source_states(load_site(site_path))
        assert row["state"] == "down" and "feed broker: cannot reach the NATS server" in str(row["detail"])
        server.start()
        wait_for(lambda: bridge.read_status().get("state") == "live", "the bridge to be live", 45, log=bridge)
        asyncio.run(
            publish_nats(port, [("city.fleet.cm-1", json.dumps({"pos": gcj(113.312, 23.12)}).encode())])
        )
        wait_for(lambda: bridge.read_status().get("published") == 1, "the record published", log=bridge)
    finally:
        server.stop()
