"""The incident state machine and roles, without a store: every refusal names what to do."""

from __future__ import annotations

import pytest

from controlroom.core.dispatch_model import Actor, Command, IncidentRow, UnitRow, decide

OP = Actor("olga", "operator", "desk-1")
SUP = Actor("sam", "supervisor", "desk-9")
LEAD = Actor("lee", "leader", "laptop")


def inc(status: str = "new", **kw: object) -> IncidentRow:
    return IncidentRow("I1", "road_damage", 2, 113.3, 23.1, status, version=3, **kw)  # type: ignore[arg-type]


def unit(status: str = "available", incident_id: str = "") -> UnitRow:
    return UnitRow("U1", "city_management", "CM 1", status, incident_id, 113.31, 23.1)


def cmd(kind: str, **kw: object) -> Command:
    return Command("c1", kind, **kw)  # type: ignore[arg-type]


def test_create_validates_type_severity_and_location() -> None:
    ok = decide(
        cmd("create", incident_id="I9", type="waterlogging", severity=3, lon=113.3, lat=23.1), OP, 10.0, None
    )
    assert (
        ok.accepted
        and ok.incident is not None
        and ok.incident.status == "new"
        and ok.incident.raised_at == 10.0
    )
    bad_type = decide(cmd("create", incident_id="I9", type="flood", lon=113.3, lat=23.1), OP, 1.0, None)
    assert not bad_type.accepted and "incident type 'flood' is unknown" in bad_type.reason
    bad_sev = decide(cmd("create", incident_id="I9", type="waterlogging", severity=7), OP, 1.0, None)
    assert "severity 7 is out of range" in bad_sev.reason
    exists = decide(cmd("create", incident_id="I1", type="waterlogging"), OP, 1.0, inc())
    assert "already exists" in exists.reason


def test_full_lifecycle_moves_incident_and_unit() -> None:
    a = decide(cmd("acknowledge", incident_id="I1"), OP, 1.0, inc())
    assert a.accepted and a.incident and a.incident.status == "acknowledged" and a.incident.version == 4
    d = decide(cmd("assign", incident_id="I1", unit_id="U1"), OP, 2.0, a.incident, unit())
    assert d.accepted and d.incident and d.incident.status == "dispatched"
    assert d.units[0].status == "dispatched" and d.units[0].incident_id == "I1"
    u = d.units[0]
    e = decide(
        cmd("unit_status", incident_id="I1", unit_id="U1", status="en_route"), OP, 3.0, d.incident, u, [u]
    )
    assert e.accepted and e.units[0].status == "en_route"
    s = decide(
        cmd("unit_status", incident_id="I1", unit_id="U1", status="on_scene"), OP, 4.0, e.incident, e.units[0]
    )
    assert s.accepted and s.incident and s.incident.status == "on_scene"
    r = decide(cmd("resolve", incident_id="I1"), OP, 5.0, s.incident, None, [s.units[0]])
    assert r.accepted and r.incident and r.incident.status == "resolved"
    assert r.units[0].status == "available" and r.units[0].incident_id == ""
    c = decide(cmd("close", incident_id="I1"), SUP, 6.0, r.incident)
    assert c.accepted and c.incident and c.incident.status == "closed" and c.incident.wire_status == "closed"


@pytest.mark.parametrize(
    ("kind", "status", "reason"),
    [
        ("acknowledge", "dispatched", "incident I1 is dispatched; only a new incident can be acknowledged"),
        ("resolve", "new", "incident I1 is new; cannot resolve (acknowledge or dispatch it first)"),
        ("close", "on_scene", "incident I1 is on_scene; only a resolved incident can be closed"),
        ("cancel", "closed", "incident I1 is closed; only an open incident can be cancelled"),
        ("assign", "resolved", "incident I1 is resolved; units go only to open incidents"),
    ],
)
def test_illegal_transitions_are_refused_with_the_reason(kind: str, status: str, reason: str) -> None:
    d = decide(cmd(kind, incident_id="I1", unit_id="U1", text="x"), SUP, 1.0, inc(status), unit())
    assert not d.accepted
    assert d.reason == reason


def test_busy_unit_needs_a_supervisor_override() -> None:
    other = IncidentRow("I2", "fallen_tree", 2, 113.3, 23.1, "dispatched", version=5)
    busy = unit("en_route", "I2")
    refused = decide(cmd("assign", incident_id="I1", unit_id="U1"), OP, 1.0, inc(), busy, [], other)
    assert not refused.accepted and "already assigned to incident I2 (en_route)" in refused.reason
    op_override = decide(
        cmd("assign", incident_id="I1", unit_id="U1", override=True), OP, 1.0, inc(), busy, [], other
    )
    assert "needs role supervisor" in op_override.reason
    taken = decide(
        cmd("assign", incident_id="I1", unit_id="U1", override=True), SUP, 1.0, inc(), busy, [], other
    )
    assert taken.accepted and taken.released_from is other and taken.detail["taken_from"] == "I2"


def test_leader_can_give_no_order_and_operator_cannot_close() -> None:
    for kind in ("acknowledge", "assign", "comment", "create"):
        d = decide(cmd(kind, incident_id="I1", unit_id="U1", text="hi"), LEAD, 1.0, inc(), unit())
        assert not d.accepted and "role leader (view only)" in d.reason
    d = decide(cmd("close", incident_id="I1"), OP, 1.0, inc("resolved"))
    assert "closing an incident needs role supervisor" in d.reason


def test_unit_reports_must_match_its_incident() -> None:
    d = decide(
        cmd("unit_status", incident_id="I1", unit_id="U1", status="on_scene"),
        OP,
        1.0,
        inc("dispatched"),
        unit(),
    )
    assert "is not assigned to any incident" in d.reason
    d = decide(cmd("unit_status", incident_id="I1", unit_id="U1", status="parked"), OP, 1.0, inc(), unit())
    assert "unit status 'parked' is not one to report" in d.reason
    d = decide(
        cmd("unit_status", unit_id="U1", status="out_of_service"), OP, 1.0, None, unit("dispatched", "I1")
    )
    assert "make it available first" in d.reason


def test_cancel_needs_a_reason_and_releases_units() -> None:
    u = unit("dispatched", "I1")
    assert (
        "needs a reason"
        in decide(cmd("cancel", incident_id="I1"), OP, 1.0, inc("dispatched"), None, [u]).reason
    )
    d = decide(cmd("cancel", incident_id="I1", text="false alarm"), OP, 1.0, inc("dispatched"), None, [u])
    assert (
        d.accepted and d.incident and d.incident.status == "cancelled" and d.incident.wire_status == "closed"
    )
    assert d.units[0].status == "available"


def test_comment_needs_text() -> None:
    assert "needs some text" in decide(cmd("comment", incident_id="I1", text="  "), OP, 1.0, inc()).reason
    assert decide(cmd("comment", incident_id="I1", text="caller rang again"), OP, 1.0, inc("closed")).accepted


def test_every_refusal_reads_back_as_its_code_and_fields() -> None:
    """A desk translates a refusal by reading its code and fields back from the gateway's text;
    a text the state machine did not write (a gateway's own refusal) reads back as nothing."""
    import re

    from controlroom.core.dispatch_model import REFUSALS, refusal, refusal_parts

    for code, template in REFUSALS.items():
        fields = {name: f"ID-{i} a.b" for i, name in enumerate(re.findall(r"\{(\w+)\}", template))}
        assert refusal_parts(refusal(code, **fields)) == (code, fields)
    taken = "unit U1 is already assigned to incident INC-2 (dispatched); a supervisor can override"
    assert refusal_parts(taken) == (
        "unit_taken",
        {"unit": "U1", "holder": "INC-2", "unit_status": "dispatched"},
    )
    assert refusal_parts("request r1 was already answered with another command") is None
