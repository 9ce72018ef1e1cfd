"""A desk the gateway will not talk to says why within seconds and never blocks: a key the
gateway refuses, the wrong gateway key, plain text to a CURVE gateway, no gateway at all."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from controlroom.dispatch.client import DispatchClient, DispatchListener
from controlroom.dispatch.outbox import Outbox
from controlroom.feed.keys import ClientSecurity

PLACE = {"type": "road_damage", "severity": 2, "lon": 113.3345, "lat": 23.0903}


class LinkLog(DispatchListener):
    def __init__(self) -> None:
        self.problems: list[str] = []
        self.changed = threading.Event()

    def on_link(self, problem: str) -> None:
        self.problems.append(problem)
        self.changed.set()


def _desk(
    endpoint: str, tmp: Path, security: ClientSecurity | None, **kw: object
) -> tuple[DispatchClient, LinkLog]:
    log = LinkLog()
    c = DispatchClient(
        endpoint, Outbox(tmp / "desk.sqlite"), user="olga", desk="d", security=security, listener=log, **kw
    )  # type: ignore[arg-type]
    return c.start(), log


def _wait_for(log: LinkLog, text: str, timeout_s: float) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        if log.problems and text in log.problems[-1]:
            return time.monotonic() - t0
        log.changed.wait(0.1)
        log.changed.clear()
    raise AssertionError(f"no link problem with {text!r} in {timeout_s} s: {log.problems}")


def _stops_at_once(c: DispatchClient) -> None:
    t = time.monotonic()
    c.close()
    assert not c.running and time.monotonic() - t < 3.0


@pytest.mark.parametrize(
    ("secret", "server", "expected"),
    [
        ("stranger", "gateway", "refuses this desk's key (ZAP status 400)"),
        ("olga", "stranger", "server_public_key"),
        (None, None, "the gateway requires CURVE keys and this desk talks plain text"),
    ],
    ids=["unknown-key", "wrong-gateway-key", "plain-text"],
)
def test_a_desk_the_gateway_refuses_says_why_and_never_blocks(
    curve, tmp_path: Path, secret: str | None, server: str | None, expected: str
) -> None:  # type: ignore[no-untyped-def]
    g, keys = curve
    sec = ClientSecurity(keys / f"{secret}.key_secret", keys / f"{server}.key") if secret else None
    desk, log = _desk(g.endpoint, tmp_path, sec)
    try:
        entry = desk.order("create", incident_id="INC-L", **PLACE)  # returns at once: on disk
        assert _wait_for(log, expected, 5.0) < 5.0
        assert desk.link_problem.startswith(
            f"the security handshake with the gateway at {g.endpoint} fails"
        ) or (desk.link_problem.startswith(f"the gateway at {g.endpoint} refuses"))
        with pytest.raises(TimeoutError, match=expected.replace("(", r"\(").replace(")", r"\)")):
            desk.ask("state", timeout_s=0.5)
        assert desk.outbox.get(entry.command_id).state == "pending"  # type: ignore[union-attr]
    finally:
        _stops_at_once(desk)
    if secret == "stranger":  # the gateway cannot audit a connection it never let in; it logs it, once
        assert g.log().count("gateway: refused a connection with key") == 1


def test_no_gateway_is_reported_after_the_silence_and_clears_when_it_comes(
    sample_site: Path, tmp_path: Path, gateway_factory, ipc_endpoints
) -> None:  # type: ignore[no-untyped-def]
    desk, log = _desk(ipc_endpoints[0], tmp_path, None, silence_s=1.0)
    desk.user = "demo-operator"
    try:
        entry = desk.order("create", incident_id="INC-D", **PLACE)
        waited = _wait_for(
            log, f"no answer from the gateway at {ipc_endpoints[0]} for 1 s: nothing completes", 5
        )
        assert waited >= 0.9
        gateway_factory(sample_site, tmp_path / "gw.sqlite", endpoints=ipc_endpoints)
        assert desk.wait_settled(10)
        assert desk.outbox.get(entry.command_id).state == "acknowledged"  # type: ignore[union-attr]
        deadline = time.monotonic() + 5
        while log.problems[-1] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert log.problems[-1] == "" and desk.link_problem == ""
    finally:
        _stops_at_once(desk)
