"""A real gateway process, real SQLite files, real sockets: lifecycle, refusals, retries, roles."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
import zmq

from controlroom.core.dispatch_model import Command
from controlroom.core.protocol import IncidentBatch
from controlroom.dispatch import wire
from controlroom.dispatch.client import DispatchClient, DispatchListener
from controlroom.dispatch.outbox import Outbox
from controlroom.feed.clone import fetch_snapshot
from controlroom.feed.codec import decode

from .conftest import GatewayProcess

PEARL = (113.3345332, 23.0902738)  # inside 南洲区 / 石岗街道 of the sample site


class Recorder(DispatchListener):
    def __init__(self) -> None:
        self.events: list[wire.Event] = []
        self.states: list[dict] = []
        self.got_event = threading.Event()

    def on_event(self, event: wire.Event) -> None:
        self.events.append(event)
        self.got_event.set()

    def on_state(self, state: dict) -> None:
        self.states.append(state)


def client_for(
    g: GatewayProcess,
    tmp: Path,
    user: str,
    name: str = "desk",
    listener: DispatchListener | None = None,
    retry_s: float = 0.3,
) -> DispatchClient:
    return DispatchClient(
        g.endpoint,
        Outbox(tmp / f"{name}-outbox.sqlite"),
        publish_endpoint=g.publish_endpoint,
        user=user,
        desk=name,
        listener=listener,
        retry_s=retry_s,
    ).start()


def create(
    c: DispatchClient, incident_id: str, kind: str = "road_damage", at: tuple[float, float] = PEARL
) -> str:
    e = c.order(
        "create", incident_id=incident_id, type=kind, severity=3, lon=at[0], lat=at[1], text="pothole"
    )
    return e.command_id


def test_full_lifecycle_is_stored_published_and_audited(
    sample_site: Path, tmp_path: Path, gateway_factory
) -> None:
    g = gateway_factory(sample_site, tmp_path / "gw.sqlite")
    rec = Recorder()
    sup = client_for(g, tmp_path, "demo-supervisor", "desk-1", rec)
    try:
        assert sup.ask("counts").result["units"] == 320  # the site's registry
        create(sup, "INC-1")
        assert sup.wait_settled()
        detail = sup.ask("incident", id="INC-1").result["incident"]
        assert (detail["district"], detail["street"]) == ("南洲区", "石岗街道")
        assert detail["department"] == "Roads and Drainage" and detail["codes"]["grid"] == "449903004001"
        best = sup.ask("suggest", id="INC-1").result["units"]
        assert best and {u["kind"] for u in best} <= {"city_management", "fire_engine"}
        assert [u["distance_m"] for u in best] == sorted(u["distance_m"] for u in best)
        unit = best[0]["unit_id"]
        for kind, extra in [
            ("acknowledge", {}),
            ("assign", {"unit_id": unit}),
            ("unit_status", {"unit_id": unit, "status": "en_route"}),
            ("unit_status", {"unit_id": unit, "status": "on_scene"}),
            ("comment", {"text": "cones placed"}),
            ("resolve", {"text": "patched"}),
            ("close", {}),
        ]:
            sup.order(kind, incident_id="INC-1", **extra)
            assert sup.wait_settled()
        states = [e.state for e in sup.outbox.entries()]
        assert states == ["acknowledged"] * 8, [(e.kind, e.reason) for e in sup.outbox.entries()]
        final = sup.ask("incident", id="INC-1").result
        assert final["incident"]["status"] == "closed"
        assert [t["kind"] for t in final["timeline"]] == [
            "create",
            "acknowledge",
            "assign",
            "unit_status",
            "unit_status",
            "comment",
            "resolve",
            "close",
        ]
        assert {(t["user"], t["desk"]) for t in final["timeline"]} == {("demo-supervisor", "desk-1")}
        units = {u["id"]: u for u in sup.ask("state").result["units"]}
        assert units[unit]["status"] == "available" and units[unit]["incident_id"] == ""
        rec.got_event.wait(2)
    finally:
        sup.close()
    assert [e.incident["status"] for e in rec.events if e.incident][-1] == "closed"
    # the store is a plain SQLite file; the audit trail refuses edits
    db = sqlite3.connect(tmp_path / "gw.sqlite")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE audit SET user_name = 'someone else'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("DELETE FROM audit")
    db.close()


def test_feed_records_and_snapshot_show_gateway_state(
    sample_site: Path, tmp_path: Path, gateway_factory
) -> None:
    g = gateway_factory(sample_site, tmp_path / "gw.sqlite")
    c = client_for(g, tmp_path, "demo-operator")
    try:
        create(c, "INC-A")
        create(c, "INC-B")
        c.order("acknowledge", incident_id="INC-B")
        assert c.wait_settled()
    finally:
        c.close()
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"inc|")
    sub.connect(g.publish_endpoint)
    try:
        frames, seqs, _ = fetch_snapshot(ctx, g.snapshot_endpoint, sub, 5.0)
    finally:
        sub.close(0)
        ctx.term()
    records = {
        r.id: r for f in frames for m in [decode(f)] if isinstance(m, IncidentBatch) for r in m.records
    }
    assert {k: r.status for k, r in records.items()} == {"INC-A": "new", "INC-B": "acknowledged"}
    assert records["INC-A"].x == pytest.approx(PEARL[0]) and seqs["gateway"] >= 3


def test_refusals_are_precise_and_retries_apply_once(
    sample_site: Path, tmp_path: Path, gateway_factory
) -> None:
    g = gateway_factory(sample_site, tmp_path / "gw.sqlite")
    op = client_for(g, tmp_path, "demo-operator")
    try:
        create(op, "INC-2")
        bad = op.order("resolve", incident_id="INC-2")
        close = op.order("close", incident_id="INC-2")
        ghost = op.order("acknowledge", incident_id="NOPE")
        assert op.wait_settled()
        assert op.outbox.get(bad.command_id).reason == (  # type: ignore[union-attr]
            "incident INC-2 is new; cannot resolve (acknowledge or dispatch it first)"
        )
        assert "needs role supervisor" in op.outbox.get(close.command_id).reason  # type: ignore[union-attr]
        assert op.outbox.get(ghost.command_id).state == "refused"  # type: ignore[union-attr]
        # the same comment sent three times (a desk retrying after lost replies): applied once
        comment = Command("retry-me", "comment", "INC-2", text="caller rang again")
        for _ in range(3):
            r = _raw_request(g.endpoint, wire.Request("retry-me", "command", comment, user="demo-operator"))
            assert r.ok
        assert r.duplicate
        timeline = op.ask("incident", id="INC-2").result["timeline"]
        assert [t["kind"] for t in timeline].count("comment") == 1
        # a reused id with different content is a client bug, refused
        other = Command("retry-me", "comment", "INC-2", text="something else")
        r = _raw_request(g.endpoint, wire.Request("retry-me", "command", other, user="demo-operator"))
        assert not r.ok and "already used for a different order" in r.reason
        # unknown users are refused by name
        r = _raw_request(g.endpoint, wire.Request("x", "command", comment, user="mallory"))
        assert not r.ok and "no dispatch user 'mallory'" in r.reason
    finally:
        op.close()


def _raw_request(endpoint: str, req: wire.Request) -> wire.Reply:
    ctx = zmq.Context()
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.RCVTIMEO, 5000)
    try:
        s.connect(endpoint)
        s.send(wire.encode(req))
        return wire.decode_reply(s.recv())
    finally:
        s.close(0)
        ctx.term()


def test_two_desks_assigning_the_same_unit_one_wins(
    sample_site: Path, tmp_path: Path, gateway_factory
) -> None:
    g = gateway_factory(sample_site, tmp_path / "gw.sqlite")
    a = client_for(g, tmp_path, "demo-operator", "desk-a")
    b = client_for(g, tmp_path, "demo-supervisor", "desk-b")
    try:
        create(a, "INC-X")
        create(b, "INC-Y", kind="fallen_tree")
        assert a.wait_settled() and b.wait_settled()
        unit = a.ask("suggest", id="INC-X").result["units"][0]["unit_id"]
        ea = a.order("assign", incident_id="INC-X", unit_id=unit)
        eb = b.order("assign", incident_id="INC-Y", unit_id=unit)
        assert a.wait_settled() and b.wait_settled()
        got = {a.outbox.get(ea.command_id).state, b.outbox.get(eb.command_id).state}  # type: ignore[union-attr]
        assert got == {"acknowledged", "refused"}
        loser = (
            a.outbox.get(ea.command_id)
            if a.outbox.get(ea.command_id).state == "refused"
            else b.outbox.get(eb.command_id)
        )  # type: ignore[union-attr]
        assert loser is not None and f"unit {unit} is already assigned to incident" in loser.reason
        assert "a supervisor can override" in loser.reason
    finally:
        a.close()
        b.close()


def test_orders_survive_a_desk_restart_while_the_gateway_is_down(sample_site: Path, tmp_path: Path) -> None:
    from .conftest import start_gateway

    short = tmp_path / "ipc"
    short.mkdir()
    eps = (f"ipc://{short}/r", f"ipc://{short}/p", f"ipc://{short}/s")
    desk = DispatchClient(eps[0], Outbox(tmp_path / "desk.sqlite"), user="demo-operator", desk="d").start()
    first = desk.order("create", incident_id="INC-OFF", type="fallen_tree", severity=2, lon=113.33, lat=23.09)
    assert not desk.wait_settled(0.5)  # no gateway yet: the order waits on disk
    desk.close()  # the desk's app is closed (or crashes) with the order pending
    g = start_gateway(sample_site, tmp_path / "gw.sqlite", endpoints=eps)
    again = DispatchClient(eps[0], Outbox(tmp_path / "desk.sqlite"), user="demo-operator", desk="d").start()
    try:
        assert again.wait_settled(10)
        assert again.outbox.get(first.command_id).state == "acknowledged"  # type: ignore[union-attr]
        assert again.ask("incident", id="INC-OFF").result["incident"]["status"] == "new"
    finally:
        again.close()
        g.stop()
