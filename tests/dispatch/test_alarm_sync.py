"""The alarm lifecycle across desks through a real gateway process: one desk acknowledges, every
desk's book shows who and why, the gateway's trail has it, a leader is refused, a retry counts once."""

from __future__ import annotations

import math
import queue
import sqlite3
import time
from pathlib import Path
from typing import Any

import msgspec
import pytest

from controlroom.core.alarms.audit import SqliteAuditSink
from controlroom.core.alarms.events import AlarmEvent
from controlroom.core.alarms.lifecycle import AlarmBook, AlarmStateError
from controlroom.core.alarms.rules import parse_rules
from controlroom.core.dispatch_model import Actor, Command
from controlroom.dispatch import wire
from controlroom.dispatch.alarm_desk import AlarmDesk
from controlroom.dispatch.alarm_trail import alarm_refusal
from controlroom.dispatch.client import DispatchClient, DispatchListener
from controlroom.dispatch.outbox import OrderEntry, Outbox

from .conftest import GatewayProcess

RULE = parse_rules(
    """schema = 1
[[rule]]
id = "river"
kind = "threshold"
title = "River high"
priority = "high"
category = "flood"
sensor_kind = "river_level"
above = 4.0
""",
    Path("alarms.toml"),
).rule[0]


class _Inbox(DispatchListener):
    """Hands the client thread's callbacks to the test thread (which owns the book)."""

    def __init__(self) -> None:
        self.q: queue.Queue[tuple[str, Any]] = queue.Queue()

    def on_event(self, event: wire.Event) -> None:
        self.q.put(("event", event))

    def on_order(self, entry: OrderEntry) -> None:
        self.q.put(("order", entry))


class Desk:
    def __init__(self, g: GatewayProcess, tmp: Path, user: str, t0: float) -> None:
        self.inbox = _Inbox()
        self.client = DispatchClient(
            g.endpoint, Outbox(tmp / f"{user}-outbox.sqlite"), publish_endpoint=g.publish_endpoint,
            user=user, desk=f"{user}-desk", listener=self.inbox, retry_s=0.3,
        ).start()  # fmt: skip
        self.t = t0
        self.book = AlarmBook(SqliteAuditSink(tmp / f"{user}-journal.sqlite"), clock=lambda: self.t)
        self.desk = AlarmDesk(self.book, self.client)
        self.refusals: list[tuple[str, str]] = []
        self.applied = 0

    def pump(self, seconds: float = 0.3) -> None:
        """Apply what arrived (as the GUI thread's queued slots would)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                kind, item = self.inbox.q.get(timeout=0.02)
            except queue.Empty:
                continue
            if kind == "event" and item.alarm is not None:
                self.applied += self.desk.apply(item.alarm) is not None
            elif kind == "order":
                refused = self.desk.refused(item)
                if refused:
                    self.refusals.append(refused)

    def pump_until(self, cond: Any, timeout_s: float = 10.0) -> None:
        end = time.monotonic() + timeout_s
        while not cond():
            assert time.monotonic() < end, "timed out"
            self.pump(0.05)

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def desks(sample_site: Path, tmp_path: Path, gateway_factory):  # type: ignore[no-untyped-def]
    g = gateway_factory(sample_site, tmp_path / "gw.sqlite")
    made = {u: Desk(g, tmp_path, u, t0) for u, t0 in
            (("demo-operator", 1000.0), ("demo-supervisor", 1001.4), ("demo-leader", 1002.9))}  # fmt: skip
    for d in made.values():  # each desk's engine raises the same condition, at its own moment
        d.book.apply([AlarmEvent("raised", RULE, "RIVER01", d.t, 4.3, "m", 10.0, 20.0)])
    time.sleep(0.3)  # the subscriptions are connected
    yield g, made
    for d in made.values():
        d.close()


def test_acknowledged_on_one_desk_shows_on_the_other_with_who_and_comment(desks) -> None:  # type: ignore[no-untyped-def]
    _g, d = desks
    a_desk, b_desk = d["demo-operator"], d["demo-supervisor"]
    a_alarm = a_desk.book.open()[0]
    b_alarm = b_desk.book.open()[0]
    assert a_alarm.key == b_alarm.key and a_alarm.id != b_alarm.id  # raised at different moments

    a_desk.desk.act("acknowledge", a_alarm.id, "gauge checked on camera")
    assert a_alarm.state == "new", "the book changes when the gateway publishes, not before"
    b_desk.pump_until(lambda: b_alarm.state == "acknowledged")
    assert (b_alarm.acknowledged_by, b_alarm.comment) == ("demo-operator", "gauge checked on camera")
    a_desk.pump_until(lambda: a_alarm.state == "acknowledged")
    assert a_alarm.acknowledged_by == "demo-operator"
    journal = b_desk.book.audit.entries(b_alarm.id)
    assert [(e.action, e.who, e.comment) for e in journal][-1] == (
        "acknowledged",
        "demo-operator",
        "gauge checked on camera",
    )

    b_desk.desk.act("start_work", b_alarm.id, "crew sent", owner="drainage team")
    a_desk.pump_until(lambda: a_alarm.state == "in_progress")
    assert a_alarm.owner == "drainage team"
    with pytest.raises(AlarmStateError, match="only a new alarm can be acknowledged"):
        a_desk.desk.act("acknowledge", a_alarm.id)  # refused at once on the desk, nothing sent

    trail = a_desk.client.ask("alarm_trail", alarm_key=a_alarm.key).result["alarm_trail"]
    people = [(r["action"], r["user"], r["comment"]) for r in trail if r["who"] != "system"]
    assert people == [
        ("acknowledge", "demo-operator", "gauge checked on camera"),
        ("start_work", "demo-supervisor", "crew sent"),
    ]
    raised = sorted(r["desk"] for r in trail if r["action"] == "raised")
    assert raised == ["demo-leader-desk", "demo-operator-desk", "demo-supervisor-desk"]


def test_a_leader_is_refused_with_the_reason_and_nothing_changes(desks) -> None:  # type: ignore[no-untyped-def]
    _g, d = desks
    leader, op = d["demo-leader"], d["demo-operator"]
    alarm = leader.book.open()[0]
    leader.desk.act("acknowledge", alarm.id, "seen")
    leader.pump_until(lambda: bool(leader.refusals))
    assert leader.refusals == [
        (
            alarm.id,
            "user 'demo-leader' has role leader (view only); alarm actions need an operator or supervisor",
        )
    ]
    op.pump(0.5)
    assert op.book.open()[0].state == "new" and alarm.state == "new"
    trail = op.client.ask("alarm_trail", alarm_key=alarm.key).result["alarm_trail"]
    tried = [r for r in trail if r["action"] == "acknowledge"]
    assert len(tried) == 1 and tried[0]["accepted"] == 0 and tried[0]["user"] == "demo-leader"
    assert "role leader" in tried[0]["detail"]["refused"]


def test_a_resent_action_is_applied_once(desks, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    g, d = desks
    a_desk, b_desk = d["demo-operator"], d["demo-supervisor"]
    alarm = a_desk.book.open()[0]
    entry = a_desk.desk.act("close", alarm.id, "false reading")
    a_desk.pump_until(lambda: alarm.state == "closed")
    b_desk.pump_until(lambda: b_desk.book.open() == [])
    # the same order again, as a desk restarted with its outbox would resend it after a lost reply
    db = sqlite3.connect(a_desk.client.outbox.path)
    (payload,) = db.execute("SELECT payload FROM outbox WHERE command_id = ?", (entry.command_id,)).fetchone()
    db.close()
    again = msgspec.msgpack.decode(payload, type=Command)
    resend = DispatchClient(
        g.endpoint, Outbox(tmp_path / "resend.sqlite"), user="demo-operator", desk="demo-operator-desk"
    ).start()
    try:
        resend.submit(again)
        assert resend.wait_settled()
        answer = resend.outbox.get(entry.command_id)
        assert answer is not None and (answer.state, answer.reason) == ("acknowledged", "")
    finally:
        resend.close()
    b_desk.pump(0.5)
    closes = [e for e in b_desk.book.audit.entries() if e.action == "closed"]
    assert len(closes) == 1 and closes[0].who == "demo-operator"
    trail = a_desk.client.ask("alarm_trail", alarm_key=alarm.key).result["alarm_trail"]
    assert [r["action"] for r in trail].count("close") == 1


def test_a_replayed_alarm_stands_where_the_live_desk_located_it(
    sample_site: Path, tmp_path: Path, gateway_factory: Any
) -> None:
    """The recorder keeps the gateway's alarm trail; replaying it, the alarm list must show the
    district (and map point) the live book gave the alarm, not an empty place."""
    from controlroom.history import events as ev
    from controlroom.history.player import HistoryPlayer
    from controlroom.history.query import HistoryReader
    from controlroom.history.replay_alarms import replayed_alarms
    from controlroom.history.schema import EVENTS
    from controlroom.history.writer import HistoryWriter

    g = gateway_factory(sample_site, tmp_path / "gw.sqlite")
    desk = Desk(g, tmp_path, "demo-operator", time.time())
    desk.book.locate = lambda x, y: "Tianhe" if x > 0 else "Yuexiu"
    try:
        desk.book.apply([AlarmEvent("raised", RULE, "RIVER01", desk.t, 4.3, "m", 812.5, -40.0)])
        live = desk.book.open()[0]
        assert live.district == "Tianhe"
        trail: list[dict[str, Any]] = []
        end = time.monotonic() + 10
        while not trail:  # the desk reports its raise through its outbox
            assert time.monotonic() < end, "the raise never reached the gateway's trail"
            trail = desk.client.ask("alarm_trail", alarm_key=live.key).result["alarm_trail"]
    finally:
        desk.close()
    writer = HistoryWriter(tmp_path / "history")  # what the recorder does with the trail it asks for
    writer.append(EVENTS, ev.columns(ev.alarm_trail_rows(trail)))
    writer.close()
    player = HistoryPlayer(HistoryReader(tmp_path / "history"), prefetch=False)
    try:
        (replayed,) = replayed_alarms(player.seek(float(trail[0]["at"]) + 1).alarms, [RULE])
    finally:
        player.reader.close()
    assert (replayed.key, replayed.district, replayed.x, replayed.y) == (live.key, "Tianhe", 812.5, -40.0)


@pytest.mark.parametrize(
    ("place", "why"),
    [
        ({"x": 1.0}, "an alarm's place needs both x and y as finite numbers; got x=1.0, y=None"),
        (
            {"x": math.nan, "y": 2.0},
            "an alarm's place needs both x and y as finite numbers; got x=nan, y=2.0",
        ),
        ({"x": 1.0, "y": 2.0, "district": "d" * 2001}, "district is 2001 characters; the limit is 2000"),
    ],
)
def test_a_raise_reported_with_a_broken_place_is_refused_with_the_reason(
    place: dict[str, Any], why: str
) -> None:
    cmd = Command("c-1", "alarm", alarm_id="river|R1@1", alarm_key="river|R1", action="raised", **place)
    assert alarm_refusal(cmd, Actor("demo-operator", "operator", "desk-1")) == why
    placed = Command("c-2", "alarm", alarm_id="river|R1@1", alarm_key="river|R1", action="raised",
                     x=1.0, y=2.0, district="Tianhe")  # fmt: skip
    assert alarm_refusal(placed, Actor("demo-operator", "operator")) is None
