"""Orders keep the desk's order: an order never overtakes an earlier unanswered one, across
gateway restarts and desk restarts; a refused order waits on the desk until retried or dropped."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from controlroom.app.bench.order_faults import measure_order_faults
from controlroom.core.dispatch_model import Command
from controlroom.dispatch import wire
from controlroom.dispatch.client import DispatchClient
from controlroom.dispatch.outbox import Outbox

PLACE = {"type": "road_damage", "severity": 2, "lon": 113.3345, "lat": 23.0903}


def _applied_order(db: Path) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return [r[0] for r in con.execute("SELECT command_id FROM audit ORDER BY seq")]
    finally:
        con.close()


def _wait(cond, timeout_s: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return False


def test_orders_made_during_an_outage_never_overtake_those_in_flight(
    sample_site: Path, tmp_path: Path, gateway_factory, ipc_endpoints
) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "gw.sqlite"
    g = gateway_factory(sample_site, db, endpoints=ipc_endpoints)
    # retry_s long: a desk that resent in-flight orders only on a timer would send 'close' first
    desk = DispatchClient(
        ipc_endpoints[0], Outbox(tmp_path / "o.sqlite"), user="demo-supervisor", desk="d", retry_s=5.0
    ).start()
    try:
        desk.order("create", incident_id="INC-O", **PLACE)
        desk.order("acknowledge", incident_id="INC-O")
        assert desk.wait_settled(10)
        os.kill(g.proc.pid, signal.SIGSTOP)  # it hangs: what is sent now is in flight, unanswered
        in_flight = [
            desk.order("comment", incident_id="INC-O", text="cones placed"),
            desk.order("resolve", incident_id="INC-O", text="patched"),
        ]
        assert _wait(lambda: all(desk.outbox.get(e.command_id).attempts for e in in_flight))  # type: ignore[union-attr]
        g.kill9()  # ... and dies without having read them
        during = desk.order("close", incident_id="INC-O")  # made during the outage
        gateway_factory(sample_site, db, endpoints=ipc_endpoints)
        assert desk.wait_settled(15)
        entries = {e.command_id: e for e in desk.outbox.entries()}
    finally:
        desk.close()
    assert [(e.kind, e.state, e.reason) for e in entries.values()][:3] == [
        ("close", "acknowledged", ""),
        ("resolve", "acknowledged", ""),
        ("comment", "acknowledged", ""),
    ]
    assert _applied_order(db)[-3:] == [in_flight[0].command_id, in_flight[1].command_id, during.command_id]


def test_gateway_applies_an_order_only_after_the_one_before_it(
    sample_site: Path, tmp_path: Path, gateway_factory, raw_request
) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "gw.sqlite"
    g = gateway_factory(sample_site, db)
    create = Command("c-1", "create", "INC-S", **PLACE)  # type: ignore[arg-type]
    ack = Command("c-2", "acknowledge", "INC-S")

    def req(cmd: Command, after: str = "", tag: int = 0) -> bytes:
        return wire.encode(wire.Request(cmd.id, "command", cmd, user="demo-operator", after=after, tag=tag))

    early = raw_request(g.endpoint, req(ack, after="c-1", tag=7))[0]
    assert (early.ok, early.retry, early.tag) == (False, True, 7)
    assert "order c-1 from this desk has not arrived yet" in early.reason
    assert _applied_order(db) == []  # nothing stored, nothing audited: it is not an answer
    first, then = raw_request(g.endpoint, req(create), req(ack, after="c-1"))
    assert first.ok and then.ok and not then.retry
    assert _applied_order(db) == ["c-1", "c-2"]


def test_a_refused_order_waits_until_the_operator_retries_or_drops_it(
    sample_site: Path, tmp_path: Path, gateway_factory
) -> None:  # type: ignore[no-untyped-def]
    g = gateway_factory(sample_site, tmp_path / "gw.sqlite")
    desk = DispatchClient(
        g.endpoint, Outbox(tmp_path / "o.sqlite"), user="demo-supervisor", desk="d", retry_s=0.3
    ).start()
    try:
        desk.order("create", incident_id="INC-R", **PLACE)
        early = desk.order("resolve", incident_id="INC-R", text="done")
        wrong = desk.order("close", incident_id="INC-R")
        assert desk.wait_settled(10)
        assert desk.outbox.get(early.command_id).reason == (  # type: ignore[union-attr]
            "incident INC-R is new; cannot resolve (acknowledge or dispatch it first)"
        )
        desk.order("acknowledge", incident_id="INC-R")
        again = desk.retry(early.command_id)
        assert again.command_id != early.command_id and (again.kind, again.state) == ("resolve", "pending")
        dropped = desk.drop(wrong.command_id)
        assert desk.wait_settled(10)
        assert desk.outbox.get(again.command_id).state == "acknowledged"  # type: ignore[union-attr]
        assert desk.outbox.get(early.command_id).state == "retried"  # type: ignore[union-attr]
        assert dropped.state == "dropped" and dropped.reason.startswith("incident INC-R is new")
        assert desk.ask("incident", id="INC-R").result["incident"]["status"] == "resolved"
        with pytest.raises(ValueError, match="only a refused order can be retried or dropped"):
            desk.retry(again.command_id)
        with pytest.raises(ValueError, match="is dropped; only a refused order"):
            desk.drop(wrong.command_id)
        assert desk.outbox.counts() == {
            "pending": 0,
            "acknowledged": 3,
            "refused": 0,
            "retried": 1,
            "dropped": 1,
        }
    finally:
        desk.close()


@pytest.mark.slow
def test_gateway_and_desk_kills_lose_duplicate_reorder_or_refuse_nothing(sample_site: Path) -> None:
    """Real gateway and desk processes, SIGKILLed while orders flow at 40/s (the bench's run, fewer kills)."""
    got = measure_order_faults(kills=4, desk_kills=2, rate_hz=40.0, site=sample_site)
    assert got["gateway_kills"] == 4 and got["desk_kills"] == 2 and got["orders_total"] > 200
    assert got["orders_refused_expected"] > 0  # the workload has orders that must be refused
    bad = {
        k: got[k]
        for k in (
            "orders_lost",
            "orders_duplicated",
            "orders_out_of_order",
            "orders_refused_extra",
            "incidents_wrong_state",
            "desks_unsettled",
            "gateway_tracebacks",
        )
        if got[k]
    }
    assert bad == {}, got
