"""The alarm book: workflow, dedup, escalation on a controllable clock, audit trail in SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlroom.core.alarms.audit import SqliteAuditSink
from controlroom.core.alarms.events import AlarmEvent
from controlroom.core.alarms.lifecycle import AlarmBook, AlarmStateError
from controlroom.core.alarms.rules import parse_rules

RULES = parse_rules(
    """schema = 1
[[rule]]
id = "river"
kind = "threshold"
title = "River high"
priority = "medium"
category = "flood"
sensor_kind = "river_level"
above = 4.0
cameras = ["CAM1"]
procedure = "Call the water authority."
message = "{subject} at {value:.2f} {unit}"
""",
    Path("alarms.toml"),
)
RULE = RULES.rule[0]


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def book(tmp_path: Path, clock: Clock) -> AlarmBook:
    return AlarmBook(
        SqliteAuditSink(tmp_path / "audit.sqlite"),
        clock=clock,
        escalation_s={"medium": 120.0, "high": 60.0},
        escalation_chain=["desk", "duty officer", "shift leader"],
        locate=lambda x, y: "Zhubei" if x < 100 else "",
    )


def _ev(kind: str, t: float, value: float = 4.2, **kw: float) -> AlarmEvent:
    return AlarmEvent(kind, RULE, "RIVER01", t, value, "m", 10.0, 20.0, **kw)  # type: ignore[arg-type]


def test_workflow_new_ack_in_progress_cleared_closed_with_audit(
    book: AlarmBook, clock: Clock, tmp_path: Path
) -> None:
    (a,) = book.apply([_ev("raised", clock.t)])
    assert (a.state, a.message, a.district, a.cameras) == ("new", "RIVER01 at 4.20 m", "Zhubei", ["CAM1"])
    clock.t += 10
    book.acknowledge(a.id, "li.wei", "seen on CAM1, calling the water authority")
    assert (a.state, a.acknowledged_by) == ("acknowledged", "li.wei")
    book.start_work(a.id, "li.wei", owner="water team")
    assert (a.state, a.owner) == ("in_progress", "water team")
    book.apply([_ev("cleared", clock.t + 5, 3.8)])
    assert (a.state, a.active) == ("cleared", False)
    book.close(a.id, "li.wei", "level back to normal")
    assert book.open() == []
    # the trail is durable: a fresh connection to the same file reads it back
    trail = SqliteAuditSink(tmp_path / "audit.sqlite").entries(a.id)
    assert [(e.action, e.who, e.from_state, e.to_state) for e in trail] == [
        ("raised", "system", "", "new"),
        ("acknowledged", "li.wei", "new", "acknowledged"),
        ("in_progress", "li.wei", "acknowledged", "in_progress"),
        ("cleared", "system", "in_progress", "cleared"),
        ("closed", "li.wei", "cleared", "closed"),
    ]
    assert trail[1].comment == "seen on CAM1, calling the water authority"


def test_one_alarm_per_condition_a_flapping_condition_reactivates_it(book: AlarmBook, clock: Clock) -> None:
    book.apply([_ev("raised", 1000.0)])
    book.apply([_ev("raised", 1001.0)])  # already active: nothing new
    book.apply([_ev("cleared", 1002.0), _ev("raised", 1003.0)])
    (a,) = book.open()
    assert (a.occurrences, a.state, a.active) == (2, "new", True)


def test_escalation_after_the_priority_timeout_unless_acknowledged_or_snoozed(
    book: AlarmBook, clock: Clock
) -> None:
    (a,) = book.apply([_ev("raised", clock.t)])
    clock.t += 119.0
    assert book.tick() == []
    clock.t += 1.0
    assert book.tick() == [a]
    assert (a.priority, a.recipient, a.escalation_level) == ("high", "duty officer", 1)
    clock.t += 59.0
    assert book.tick() == []
    book.snooze(a.id, "li.wei", 300.0, "crew already on the way")
    clock.t += 299.0
    assert book.tick() == []
    clock.t += 61.0  # snooze over (t+300) and the high timeout (60 s) since then
    assert book.tick() == [a]
    assert (a.priority, a.recipient) == ("critical", "shift leader")
    book.acknowledge(a.id, "zhang.min")
    clock.t += 10_000
    assert book.tick() == []
    actions = [e.action for e in book.audit.entries(a.id)]
    assert actions == ["raised", "escalated", "snoozed", "escalated", "acknowledged"]


def test_predicted_alarm_becomes_real_under_the_same_id_or_withdraws(book: AlarmBook, clock: Clock) -> None:
    (p,) = book.apply([_ev("predicted", 1000.0, 3.6, eta_s=300.0, eta_lo_s=250.0, eta_hi_s=380.0)])
    assert p.predicted and p.eta_s == 300.0
    book.acknowledge(p.id, "li.wei", "watching")
    (r,) = book.apply([_ev("raised", 1290.0, 4.01)])
    assert r is p and not r.predicted and r.state == "new" and r.confirmed_at == 1290.0
    book.close(p.id, "li.wei")
    (q,) = book.apply([_ev("predicted", 2000.0, 3.7, eta_s=200.0)])
    book.apply([_ev("withdrawn", 2050.0, 3.7)])
    assert (q.state, q.active) == ("cleared", False)


def test_operator_actions_that_do_not_apply_say_why(book: AlarmBook) -> None:
    (a,) = book.apply([_ev("raised", 1000.0)])
    book.acknowledge(a.id, "li.wei")
    with pytest.raises(AlarmStateError, match="is acknowledged; only a new alarm"):
        book.acknowledge(a.id, "li.wei")
    book.close(a.id, "li.wei")
    with pytest.raises(AlarmStateError, match="already closed"):
        book.close(a.id, "li.wei")
    with pytest.raises(AlarmStateError, match="no alarm 'nope'"):
        book.acknowledge("nope", "li.wei")


def test_alarms_are_written_in_the_desks_language(tmp_path: Path, clock: Clock) -> None:
    rules = parse_rules(
        """schema = 1
[[rule]]
id = "river"
kind = "threshold"
title = { en = "River high", zh_CN = "河道水位高" }
sensor_kind = "river_level"
above = 4.0
procedure = { en = "Call the water authority.", zh_CN = "致电水务部门。" }
message = { en = "{subject} at {value:.2f} {unit}", zh_CN = "{subject} 水位 {value:.2f} {unit}" }
""",
        Path("alarms.toml"),
    )
    event = AlarmEvent("raised", rules.rule[0], "RIVER01", clock.t, 4.2, "m", 10.0, 20.0)
    zh = AlarmBook(SqliteAuditSink(tmp_path / "zh.sqlite"), clock=clock, language="zh_CN")
    (alarm,) = zh.apply([event])
    assert (alarm.title, alarm.message, alarm.procedure) == (
        "河道水位高",
        "RIVER01 水位 4.20 m",
        "致电水务部门。",
    )
    en = AlarmBook(SqliteAuditSink(tmp_path / "en.sqlite"), clock=clock)
    (alarm,) = en.apply([event])
    assert (alarm.title, alarm.message) == ("River high", "RIVER01 at 4.20 m")
