"""A real simulator, gateway and recorder on loopback: the state rebuilt from history equals what
a desk's models held at that instant; a ``kill -9`` of the recorder loses only the last seconds."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import zmq

from controlroom.core.dispatch_model import Command
from controlroom.core.site import load_site
from controlroom.dispatch import wire
from controlroom.dispatch.board_feed import attach_gateway_feed
from controlroom.feed.site_feed import open_site_feed
from controlroom.history.notes import HistoryNotes
from controlroom.history.query import HistoryReader
from controlroom.history.service import HistoryClient, from_ipc
from tests.history.conftest import Proc, site_on_free_ports


def _until(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _raise_alarm(endpoint: str, key: str) -> wire.Reply:
    ctx = zmq.Context()
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVTIMEO, 10_000)
    try:
        s.connect(endpoint)
        cmd = Command(uuid.uuid4().hex, "alarm", alarm_id=f"{key}@1", alarm_key=key, action="raised",
                      from_state="normal", to_state="raised")  # fmt: skip
        s.send(wire.encode(wire.Request("r1", "command", cmd, user="demo-supervisor", desk="test-desk")))
        return wire.decode_reply(s.recv())
    finally:
        s.close(0)
        ctx.term()


@pytest.mark.slow
def test_state_rebuilt_from_history_equals_the_live_models(
    sample_folder: Path, tmp_path: Path, processes: Callable[..., Proc]
) -> None:
    site_path = site_on_free_ports(sample_folder, f"rec-{uuid.uuid4().hex[:8]}")
    site = load_site(site_path)
    hist = tmp_path / "history"
    sim = processes(
        "feed", "sim", "--site", str(site_path), "--entities", "150", "--seed", "3", wait_line=False
    )
    gw = processes("gateway", "--site", str(site_path), "--db", str(tmp_path / "gw.sqlite"))
    rec = processes("history", "record", "--site", str(site_path), "--dir", str(hist))
    live = open_site_feed(site).start()
    gw_feed = attach_gateway_feed(live, site)
    pump = live.pump
    try:
        _until(lambda: (pump.apply_pending(time.time()), len(pump.entities))[1] >= 150, 30, "the fleet")
        _until(
            lambda: (pump.apply_pending(time.time()), len(pump.incidents.open()))[1] >= 1, 40, "an incident"
        )
        assert _raise_alarm(str(gw.first_line["endpoint"]), "river_high|RIVER01").ok
        sim.stop()  # the city stands still: both sides settle on the same picture
        time.sleep(1.5)
        pump.apply_pending(time.time())
        t = time.time()
        pump.apply_pending(t)
        time.sleep(3.0)  # a tick and a flush of the recorder past t
        client = HistoryClient(str(rec.first_line["endpoint"]))
        try:
            reply = client.ask("at", time=t, rows=True)
        finally:
            client.close()
        assert reply["ok"], reply
        summary = reply["result"]
        entities = from_ipc(reply["tables"]["entities"])
        store = pump.entities
        assert summary["entities"] == len(store) == 150
        rows = {r["id"]: r for r in entities.to_pylist()}
        assert set(rows) == set(store.ids)
        for i, entity_id in enumerate(store.ids):
            r = rows[entity_id]
            assert r["x"] == pytest.approx(float(store.x[i]), abs=0.006)
            assert r["y"] == pytest.approx(float(store.y[i]), abs=0.006)
        sensors = {r["id"]: r for r in from_ipc(reply["tables"]["sensors"]).to_pylist()}
        assert set(sensors) == set(pump.sensors.ids) and sensors
        for sensor_id in pump.sensors.ids:
            _, value, status = pump.sensors.reading(sensor_id)
            assert sensors[sensor_id]["value"] == pytest.approx(value)
            assert sensors[sensor_id]["status"] == status
        incidents = from_ipc(reply["tables"]["incidents"]).column("id").to_pylist()
        assert sorted(incidents) == sorted(s.id for s in pump.incidents.open())
        alarms = from_ipc(reply["tables"]["alarms"]).column("subject").to_pylist()
        assert alarms == ["river_high|RIVER01"] and summary["alarms_active"] == 1
        notes = HistoryNotes(HistoryClient(str(rec.first_line["endpoint"])))
        notes.note("switch_preset", "flood", "demo-supervisor", "wall")
        assert notes.wait_sent(1)
        notes.close()
        for name in pump.metrics.names():
            latest = pump.metrics.latest(name)
            assert latest is not None and summary["metrics"][name] == pytest.approx(latest[1])
    finally:
        gw_feed.stop()
        live.stop()
    assert rec.stop() == 0
    # after a clean stop the files answer the same without the recorder
    again = HistoryReader(hist).state_at(t)
    assert again.entities.num_rows == 150 and again.alarms.num_rows == 1
    walls = HistoryReader(hist).range("events", t, time.time())
    walls = [r for r in walls.to_pylist() if r["kind"] == "wall"]
    assert [(r["action"], r["subject"], r["who"]) for r in walls] == [
        ("switch_preset", "flood", "demo-supervisor")
    ]


def test_kill_9_loses_only_the_last_seconds(
    sample_folder: Path, tmp_path: Path, processes: Callable[..., Proc]
) -> None:
    site_path = site_on_free_ports(sample_folder, f"kill-{uuid.uuid4().hex[:8]}")
    hist = tmp_path / "history"
    processes("feed", "sim", "--site", str(site_path), "--entities", "100", wait_line=False)
    rec = processes("history", "record", "--site", str(site_path), "--dir", str(hist), "--no-gateway")
    reader = HistoryReader(hist)
    _until(lambda: reader.state_at(time.time()).entities.num_rows == 100, 30, "recorded entities")
    time.sleep(2.0)
    killed_at = time.time()
    rec.kill9()
    last = reader.range("positions", killed_at - 30, killed_at + 5).column("t").to_pylist()
    assert max(last) >= killed_at - 3.0, f"the last row is {killed_at - max(last):.1f} s before the kill"
    assert reader.state_at(killed_at - 1).entities.num_rows == 100
    assert not reader.checker.bad  # nothing half-written under a real name
    # a new recorder picks up in the same folder
    rec2 = processes("history", "record", "--site", str(site_path), "--dir", str(hist), "--no-gateway")
    _until(lambda: reader.state_at(time.time()).entities.num_rows == 100, 30, "recording again")
    assert rec2.stop() == 0
