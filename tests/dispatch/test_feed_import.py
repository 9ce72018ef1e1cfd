"""The gateway learns of incidents raised on the feed (simulator, video AI) and where units are;
once it owns an incident, its status wins over the feed's."""

from __future__ import annotations

import time
from pathlib import Path

import zmq

from controlroom.core.protocol import Incident, IncidentBatch, Position
from controlroom.dispatch.client import DispatchClient
from controlroom.dispatch.outbox import Outbox
from controlroom.feed.codec import decode
from controlroom.feed.publisher import FeedPublisher


def _until(pred, timeout_s: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def test_feed_incidents_are_imported_once_and_gateway_status_wins(
    sample_site: Path, tmp_path: Path, gateway_factory
) -> None:  # type: ignore[no-untyped-def]
    feed = FeedPublisher("tcp://127.0.0.1:0", source="sim", snapshot_endpoint="tcp://127.0.0.1:0")
    g = gateway_factory(
        sample_site,
        tmp_path / "gw.sqlite",
        "--feed-endpoint",
        feed.endpoint,
        "--feed-snapshot-endpoint",
        str(feed.snapshot_endpoint),
    )
    c = DispatchClient(g.endpoint, Outbox(tmp_path / "o.sqlite"), user="demo-operator", desk="d").start()
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"inc|")
    sub.connect(g.publish_endpoint)
    try:
        lon, lat = 113.3345, 23.0903
        raised = Incident(
            "SIM-1", "garbage_piled_up", 2, lon, lat, ["CAM1"], "garbage seen", "new", time.time()
        )
        unit_here = Position("U0282", "sanitation", lon + 0.0001, lat, 0.0, 0.0, "available")

        def state() -> dict:
            return c.ask("state").result

        def publish() -> bool:
            feed.incidents([raised])
            feed.positions([unit_here])
            return any(i["id"] == "SIM-1" for i in state()["incidents"])

        assert _until(publish), "the gateway never imported the feed's incident"
        feed.incidents([raised, raised])  # re-sent: still one incident
        time.sleep(0.3)
        detail = c.ask("incident", id="SIM-1").result
        assert detail["incident"]["source"] == "feed" and detail["incident"]["district"] == "南洲区"
        assert detail["incident"]["department"] == "Sanitation" and detail["incident"]["camera_ids"] == [
            "CAM1"
        ]
        assert [t["kind"] for t in detail["timeline"]] == ["create"]
        best = c.ask("suggest", id="SIM-1").result["units"][0]
        assert best["unit_id"] == "U0282" and best["distance_m"] < 20  # its live position, not the registry's
        c.order("acknowledge", incident_id="SIM-1")
        assert c.wait_settled()
        time.sleep(0.2)
        while sub.poll(0):
            sub.recv()
        # the simulator ages its incidents on its own; the gateway re-asserts its state
        feed.incidents(
            [Incident("SIM-1", "garbage_piled_up", 2, lon, lat, [], "", "resolved", raised.raised_at)]
        )
        seen: list[str] = []
        assert _until(lambda: _drain(sub, seen) and "acknowledged" in seen, 5)
    finally:
        sub.close(0)
        ctx.term()
        c.close()
        feed.close()


def _drain(sub: zmq.Socket, seen: list[str]) -> bool:
    while sub.poll(0):
        msg = decode(sub.recv())
        if isinstance(msg, IncidentBatch):
            seen += [r.status for r in msg.records if r.id == "SIM-1"]
    return True
