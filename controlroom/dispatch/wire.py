"""The gateway's own messages (desk ↔ gateway), beside the feed protocol it also publishes.

A desk's DEALER sends one ``Request`` per frame to the gateway's ROUTER: an order (``command``)
or a question (``query``: state, incident, suggest, route). Each gets one ``Reply`` with the same
``id``. Orders carry the client's command id; a retried order gets the first answer again.

An order also names the desk's previous unanswered order (``after``). The gateway applies it
only once that one is known, and otherwise answers ``retry`` (nothing stored): orders a desk
made while the gateway was down, or that sat in a socket queue across a restart, can never
overtake the ones before them, whatever order the frames arrive in.

On the PUB socket the gateway sends feed ``inc|`` batches (the map's incident overlay, clone
snapshot for late joiners) and ``dsp|`` events: the full dispatch view of an incident or unit
after each change, or an alarm transition an operator made, numbered so a desk notices a gap and
re-reads the state.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from controlroom.core.dispatch_model import Command, IncidentRow, UnitRow

DISPATCH_TOPIC = b"dsp|"
WIRE_VERSION = 1


class Request(msgspec.Struct, omit_defaults=True):
    id: str
    op: Literal["command", "query"]
    command: Command | None = None
    query: str = ""
    args: dict[str, Any] = {}
    user: str = ""  # only trusted when the gateway runs without CURVE (loopback demo)
    desk: str = ""
    after: str = ""  # command: the desk's previous order, to be applied first ("" = none waiting)
    tag: int = 0  # the desk's send round, echoed in the reply (tells a stale ``retry`` from a new one)
    v: int = WIRE_VERSION


class Reply(msgspec.Struct, omit_defaults=True):
    id: str
    ok: bool
    reason: str = ""
    result: dict[str, Any] = {}
    duplicate: bool = False  # an answer given before (a retry)
    retry: bool = False  # not applied yet (its ``after`` is unknown): resend from the oldest order
    tag: int = 0  # the request's ``tag``
    v: int = WIRE_VERSION


class Event(msgspec.Struct, omit_defaults=True):
    """One change: ``incident`` and/or ``units`` hold the rows as they are now."""

    seq: int
    ts: float
    epoch: float  # the gateway's start time: a new epoch means "re-read the state"
    incident: dict[str, Any] | None = None
    units: list[dict[str, Any]] = []
    audit: dict[str, Any] | None = None
    alarm: dict[str, Any] | None = None  # an alarm transition (``alarm_trail``): apply it to the book


_enc = msgspec.msgpack.Encoder()
_req_dec = msgspec.msgpack.Decoder(Request)
_rep_dec = msgspec.msgpack.Decoder(Reply)
_evt_dec = msgspec.msgpack.Decoder(Event)


def encode(obj: msgspec.Struct) -> bytes:
    return _enc.encode(obj)


def decode_request(frame: bytes) -> Request:
    return _req_dec.decode(frame)


def decode_reply(frame: bytes) -> Reply:
    return _rep_dec.decode(frame)


def encode_event(evt: Event) -> bytes:
    return DISPATCH_TOPIC + _enc.encode(evt)


def decode_event(frame: bytes) -> Event:
    return _evt_dec.decode(memoryview(frame)[len(DISPATCH_TOPIC) :])


def incident_dict(row: IncidentRow) -> dict[str, Any]:
    d = msgspec.structs.asdict(msgspec.convert(row, _IncidentView, from_attributes=True))
    d["camera_ids"] = list(row.camera_ids)
    d["wire_status"] = row.wire_status
    return d


def unit_dict(row: UnitRow) -> dict[str, Any]:
    return msgspec.structs.asdict(msgspec.convert(row, _UnitView, from_attributes=True))


class _IncidentView(msgspec.Struct):
    id: str
    type: str
    severity: int
    lon: float
    lat: float
    status: str
    text: str
    camera_ids: list[str]
    raised_at: float
    updated_at: float
    version: int
    city: str
    district: str
    street: str
    grid: str
    codes: dict[str, str]
    department: str
    source: str


class _UnitView(msgspec.Struct):
    id: str
    kind: str
    name: str
    status: str
    incident_id: str
    lon: float
    lat: float
    updated_at: float
