"""Desks authenticate with their CURVE key: the gateway knows who sent each order, enforces the
role (a leader's key cannot dispatch), and names the user in the audit trail."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from controlroom.dispatch.client import DispatchClient
from controlroom.dispatch.outbox import Outbox
from controlroom.feed.keys import ClientSecurity

from .conftest import GatewayProcess


def _desk(g: GatewayProcess, keys: Path, who: str, tmp: Path, claim: str = "") -> DispatchClient:
    sec = ClientSecurity(keys / f"{who}.key_secret", keys / "gateway.key")
    return DispatchClient(
        g.endpoint, Outbox(tmp / f"{who}.sqlite"), user=claim, desk=f"{who}-desk", security=sec, retry_s=0.3
    ).start()


def test_leader_key_cannot_dispatch_and_audit_names_the_user(curve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    g, keys = curve
    olga = _desk(g, keys, "olga", tmp_path)
    lee = _desk(g, keys, "lee", tmp_path, claim="olga")  # claiming another name changes nothing
    try:
        olga.order(
            "create", incident_id="INC-R", type="illegal_parking", severity=2, lon=113.3345, lat=23.0903
        )
        assert olga.wait_settled()
        unit = olga.ask("suggest", id="INC-R").result["units"][0]["unit_id"]
        tried = lee.order("assign", incident_id="INC-R", unit_id=unit)
        assert lee.wait_settled()
        refused = lee.outbox.get(tried.command_id)
        assert refused is not None and refused.state == "refused"
        assert (
            refused.reason == "user 'lee' has role leader (view only); orders need an operator or supervisor"
        )
        assert lee.ask("incident", id="INC-R").ok  # but a leader may look
        done = olga.order("assign", incident_id="INC-R", unit_id=unit)
        assert olga.wait_settled() and olga.outbox.get(done.command_id).state == "acknowledged"  # type: ignore[union-attr]
        audit = olga.ask("audit").result["audit"]
        assert [(a["user"], a["desk"], a["kind"], a["accepted"]) for a in audit] == [
            ("olga", "olga-desk", "create", 1),
            ("lee", "lee-desk", "assign", 0),
            ("olga", "olga-desk", "assign", 1),
        ]
        assert re.search("role leader", audit[1]["detail"]["refused"])
    finally:
        olga.close()
        lee.close()


def test_unknown_key_is_not_served(curve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    g, keys = curve
    stranger = _desk(g, keys, "stranger", tmp_path, claim="olga")
    try:
        with pytest.raises(TimeoutError, match="no answer"):
            stranger.ask("state", timeout_s=1.5)
    finally:
        stranger.close()
