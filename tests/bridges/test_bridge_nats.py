"""NATS sources through a real nats-server (core subjects and a JetStream durable consumer)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from tests.bridges.conftest import (
    LAB,
    Server,
    city_source,
    free_port,
    gcj,
    publish_nats,
    wait_for,
    write_site,
)


def test_subjects_round_trip_gcj02_converted_and_bad_input_counted(
    tmp_path: Path, nats_server: Server, bridge_process: Any, pipeline: Any
) -> None:
    out = free_port()
    site = write_site(tmp_path / "site", LAB, city_source(nats_server.port, out))
    feed = pipeline(f"tcp://127.0.0.1:{out}", LAB)
    bridge = bridge_process(site, "city-bus")
    wait_for(lambda: "city-bus" in feed.stats.sources, "the bridge's first heartbeat", log=bridge)
    good = [
        (f"city.fleet.cm-{i}", json.dumps({"pos": gcj(113.312 + i * 0.001, 23.12), "state": "busy"}).encode())
        for i in range(5)
    ]
    bad = [
        ("city.fleet.cm-9", b"{not json"),
        ("city.fleet.cm-8", json.dumps({"position": gcj(113.315, 23.12)}).encode()),  # no pos.*
        ("city.fleet.cm-7", json.dumps({"pos": gcj(113.315, 23.12), "state": "lunch"}).encode()),
    ]
    asyncio.run(publish_nats(nats_server.port, good + bad))
    entities = feed.pump.entities
    assert feed.pump_until(lambda: len(entities) == 5, 15), bridge.stderr()[-2000:]
    for i in range(5):
        row = entities.row(f"cm-{i}")
        # GCJ-02 is ~500 m off in Guangzhou; converted back it lands within a metre of the truth
        assert float(entities.x[row]) == pytest.approx(113.312 + i * 0.001, abs=1e-5)
        assert float(entities.y[row]) == pytest.approx(23.12, abs=1e-5)
    wait_for(lambda: bridge.read_status().get("messages") == 8, "8 messages at the bridge", log=bridge)
    assert bridge.read_status()["rejected"] == {"malformed_json": 1, "field_missing": 1, "bad_value": 1}


def test_jetstream_durable_consumer_gets_what_was_sent_before_it_started(
    tmp_path: Path, nats_server: Server, bridge_process: Any, pipeline: Any
) -> None:
    out = free_port()
    stored = [(f"city.fleet.js-{i}", json.dumps({"pos": gcj(113.313, 23.121)}).encode()) for i in range(3)]
    asyncio.run(publish_nats(nats_server.port, stored, stream=True))
    site = write_site(tmp_path / "site", LAB, city_source(nats_server.port, out, jetstream=True))
    bridge = bridge_process(site, "city-bus")
    wait_for(lambda: bridge.read_status().get("published") == 3, "the stored messages", log=bridge)
    assert bridge.read_status()["state"] == "live"


def test_wrong_password_stops_the_bridge_with_a_clear_error(
    tmp_path: Path, nats_server: Server, bridge_process: Any
) -> None:
    site = write_site(tmp_path / "site", LAB, city_source(nats_server.port, free_port(), "wrong"))
    bridge = bridge_process(site, "city-bus")
    assert bridge.proc.wait(20) == 1, bridge.stderr()
    err = bridge.stderr()
    assert (
        f"source 'city-bus': the NATS server at nats://127.0.0.1:{nats_server.port} refused the login" in err
    )
    assert "Traceback" not in err


def test_server_restart_bridge_reconnects(
    tmp_path: Path, nats_server: Server, bridge_process: Any, pipeline: Any
) -> None:
    out = free_port()
    site = write_site(tmp_path / "site", LAB, city_source(nats_server.port, out))
    feed = pipeline(f"tcp://127.0.0.1:{out}", LAB)
    bridge = bridge_process(site, "city-bus")
    wait_for(lambda: "city-bus" in feed.stats.sources, "the bridge's first heartbeat", log=bridge)
    nats_server.stop()
    wait_for(
        lambda: bridge.read_status().get("state") == "down", "the bridge to see the server gone", log=bridge
    )
    nats_server.start()
    wait_for(lambda: bridge.read_status().get("state") == "live", "the bridge to reconnect", log=bridge)
    asyncio.run(
        publish_nats(
            nats_server.port, [("city.fleet.after", json.dumps({"pos": gcj(113.314, 23.12)}).encode())]
        )
    )
    assert feed.pump_until(lambda: "after" in feed.pump.entities, 15), bridge.stderr()[-2000:]
