"""Every refused request leaves an audit row with the reason, and a malformed one gets an error
reply and one log line — never a traceback, never a rolled-back batch."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import msgspec
import pytest

from controlroom.core.dispatch_model import Command
from controlroom.dispatch import wire
from controlroom.dispatch.client import DispatchClient
from controlroom.dispatch.outbox import Outbox
from controlroom.feed.keys import ClientSecurity

PLACE = {"type": "road_damage", "severity": 2, "lon": 113.3345, "lat": 23.0903}


def _req(rid: str, cmd: Command | None = None, **kw: object) -> bytes:
    return wire.encode(wire.Request(rid, "command" if cmd else "query", cmd, user="demo-operator", **kw))  # type: ignore[arg-type]


def _refusal_rows(desk: DispatchClient) -> list[tuple[str, str, str, str]]:
    rows = desk.ask("audit").result["audit"]
    return [
        (a["user"], a["command_id"], a["kind"], a["detail"]["refused"]) for a in rows if not a["accepted"]
    ]


def test_replayed_id_unknown_user_and_malformed_requests_are_refused_and_audited(
    sample_site: Path, tmp_path: Path, gateway_factory, raw_request
) -> None:  # type: ignore[no-untyped-def]
    g = gateway_factory(sample_site, tmp_path / "gw.sqlite")
    create = Command("c-1", "create", "INC-M", **PLACE)  # type: ignore[arg-type]
    changed = Command("c-1", "create", "INC-M", text="other content", **PLACE)  # type: ignore[arg-type]
    good = Command("c-2", "comment", "INC-M", text="still served")
    bad_severity = msgspec.msgpack.encode(
        {
            "id": "c-3",
            "op": "command",
            "user": "demo-operator",
            "command": {"id": "c-3", "kind": "create", "severity": "high"},
        }
    )
    replies = raw_request(
        g.endpoint,
        _req("c-1", create),
        _req("c-1", changed),
        wire.encode(wire.Request("c-9", "command", good, user="mallory", desk="desk-m")),
        b"\x00 not msgpack",
        bad_severity,
        _req("q-1", query="route", args={"y": 23.09}),
        _req("q-2", query="audit", args={"since": "abc"}),
        _req("q-3", query="route", args={"x": 23.0903, "y": 113.3345}),
        _req("q-4", query="incident", args={}),
        _req("q-5", query="nonsense"),
        _req("c-2", good),
    )
    got = {r.id: (r.ok, r.reason) for r in replies}
    assert got["c-1"] == (False, "command id c-1 was already used for a different order")
    assert replies[0].ok  # the first c-1 was applied
    assert got["c-9"][1].startswith("no dispatch user 'mallory'")
    assert replies[3].id == "" and replies[3].reason.startswith("not a dispatch request (")
    assert not got["c-3"][0] and "$.command.severity" in got["c-3"][1]  # its id was still readable
    assert got["q-1"] == (False, "query 'route' needs x (longitude or easting); it was not given")
    assert got["q-2"] == (False, "query 'audit' needs since as a whole number >= 0; got 'abc'")
    assert got["q-3"] == (
        False,
        "query 'route': (23.0903, 113.3345) in EPSG:4326 is not a place: latitude 113.3345 is outside "
        "-90…90: longitude and latitude look swapped (longitude comes first: 113.3345 23.0903)",
    )
    assert got["q-4"] == (False, "query 'incident' needs id (an incident id); it was not given")
    assert got["q-5"][1].startswith("unknown query 'nonsense'; expected state, incident")
    assert got["c-2"] == (True, "")  # the batch around the bad ones still stands
    desk = DispatchClient(g.endpoint, Outbox(tmp_path / "o.sqlite"), user="demo-operator", desk="d").start()
    try:
        rows = _refusal_rows(desk)
    finally:
        desk.close()
    assert rows == [
        ("demo-operator", "c-1", "create", "command id c-1 was already used for a different order"),
        ("mallory", "c-2", "comment", got["c-9"][1]),
        ("(no user named)", "", "malformed", replies[3].reason),
        ("demo-operator", "c-3", "malformed", got["c-3"][1]),
        ("demo-operator", "q-1", "query", got["q-1"][1]),
        ("demo-operator", "q-2", "query", got["q-2"][1]),
        ("demo-operator", "q-3", "query", got["q-3"][1]),
        ("demo-operator", "q-4", "query", got["q-4"][1]),
        ("demo-operator", "q-5", "query", got["q-5"][1]),
    ]
    log = g.log()  # written before each reply went out
    assert "Traceback" not in log
    assert log.count("gateway: refused") == 8, log  # one line each (the reused id is a plain answer)


def test_a_key_that_passes_zap_but_is_no_user_is_refused_and_audited(curve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    g, keys = curve
    wall = DispatchClient(
        g.endpoint,
        Outbox(tmp_path / "wall.sqlite"),
        desk="wall-1",
        security=ClientSecurity(keys / "wall.key_secret", keys / "gateway.key"),
    ).start()
    olga = DispatchClient(
        g.endpoint,
        Outbox(tmp_path / "olga.sqlite"),
        desk="olga-desk",
        security=ClientSecurity(keys / "olga.key_secret", keys / "gateway.key"),
    ).start()
    try:
        tried = wall.order("create", incident_id="INC-W", **PLACE)
        assert wall.wait_settled(10)
        refused = wall.outbox.get(tried.command_id)
        assert refused is not None and refused.state == "refused"
        assert refused.reason == "this desk's key belongs to no dispatch user of the site"
        wall_key = (keys / "wall.key").read_text().split('public-key = "')[1].split('"')[0]
        rows = _refusal_rows(olga)
    finally:
        wall.close()
        olga.close()
    assert rows == [(f"unknown key {wall_key}", tried.command_id, "create", refused.reason)]


@pytest.mark.parametrize("query", ["incident", "audit"])
def test_a_flood_of_malformed_queries_gets_one_line_each_and_the_order_among_them_stands(
    sample_site: Path, tmp_path: Path, gateway_factory, raw_request, query: str
) -> None:  # type: ignore[no-untyped-def]
    """Many malformed frames: each answered, none rolls back the good order beside it."""
    g = gateway_factory(sample_site, tmp_path / "gw.sqlite")
    frames = [_req(f"q-{i}", query=query, args={"id": 5, "since": -1}) for i in range(50)]
    frames.insert(25, _req("c-1", Command("c-1", "create", "INC-B", **PLACE)))  # type: ignore[arg-type]
    t = time.monotonic()
    replies = raw_request(g.endpoint, *frames)
    assert time.monotonic() - t < 10
    assert [r.ok for r in replies].count(True) == 1 and next(r for r in replies if r.ok).id == "c-1"
    log = g.log()
    assert "Traceback" not in log and log.count("gateway: refused query") == 50, log


def _hostile_frames(n: int, seed: int = 3) -> list[bytes]:
    """Random bytes, and orders and questions with wrong, huge, empty or non-finite fields."""
    rng = random.Random(seed)
    junk = [None, True, 0, -1, 2**63, 1.5, float("nan"), float("inf"), "", "x" * 5000, [], [1, "a"], {"a": 1}]
    order = {"id": "", "op": "command", "user": "demo-supervisor", "command": {"kind": "create", **PLACE}}
    fields = ["incident_id", "unit_id", "status", "text", "override", "type", "severity", "lon", "lat",
              "camera_ids", "raised_at", "alarm_id", "alarm_key", "action", "seconds", "unknown"]  # fmt: skip
    kinds = [
        "create",
        "acknowledge",
        "assign",
        "unit_status",
        "comment",
        "resolve",
        "close",
        "cancel",
        "alarm",
    ]
    queries = ["state", "incident", "suggest", "route", "audit", "alarm_trail", "counts", "what"]
    frames = []
    for i in range(n):
        if i % 10 == 0:
            frames.append(bytes(rng.randrange(256) for _ in range(rng.randrange(64))))
        elif i % 2:
            d = json.loads(json.dumps(order))
            d["id"] = d["command"]["id"] = f"h{i}"
            d["command"]["kind"] = rng.choice(kinds)
            for k in rng.sample(fields, 3):
                d["command"][k] = rng.choice(junk)
            frames.append(msgspec.msgpack.encode(d))
        else:
            args = {
                k: rng.choice(junk) for k in rng.sample(["x", "y", "crs", "id", "limit", "since", "all"], 3)
            }
            q = {
                "id": f"h{i}",
                "op": "query",
                "query": rng.choice(queries),
                "args": args,
                "user": "demo-supervisor",
            }
            frames.append(msgspec.msgpack.encode(q))
    return frames


def test_hostile_frames_each_get_an_answer_and_none_breaks_the_gateway(
    sample_site: Path, tmp_path: Path, gateway_factory, raw_request
) -> None:  # type: ignore[no-untyped-def]
    g = gateway_factory(sample_site, tmp_path / "gw.sqlite")
    frames = _hostile_frames(400)
    replies = raw_request(g.endpoint, *frames)
    assert len(replies) == len(frames)
    assert raw_request(g.endpoint, _req("q-ok", query="counts"))[0].ok  # still serving
    log = g.log()
    assert "Traceback" not in log and "could not handle" not in log, log[-3000:]


def test_a_frame_over_the_sites_limit_is_refused_before_the_gateway_reads_it(
    sample_site: Path, tmp_path: Path, gateway_factory, raw_request
) -> None:  # type: ignore[no-untyped-def]
    """``[feed] max_frame_bytes`` (4 MiB by default) bounds the gateway's ROUTER too (MAXMSGSIZE):
    libzmq drops the connection instead of reading the frame, so it gets no answer at all."""
    import zmq

    g = gateway_factory(sample_site, tmp_path / "gw.sqlite")
    ctx = zmq.Context()
    desk = ctx.socket(zmq.DEALER)
    desk.setsockopt(zmq.LINGER, 0)
    try:
        desk.connect(g.endpoint)
        desk.send(b"\x00" * (4 * 1024 * 1024 + 1))
        assert not desk.poll(3000), "the oversize frame was read and answered"
    finally:
        desk.close(0)
        ctx.term()
    assert raw_request(g.endpoint, _req("q-ok", query="counts"))[0].ok  # still serving
    assert "Traceback" not in g.log()
