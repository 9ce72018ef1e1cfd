"""Frames ↔ messages: topic prefix, msgpack or JSON payload (picked by the first byte).

Decoding is one C call on the fast path (a typed msgspec decoder over the tagged union of all
message kinds). Only when it fails do we decode again untyped to say *why*, so a bad message
costs more than a good one, never the other way round.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from functools import partial, reduce
from typing import Annotated, Any, Literal, cast

import msgspec

from controlroom.core.protocol import (
    JSON_MESSAGE_TYPES,
    KINDS,
    MESSAGE_TYPES,
    RECORD_JSON_TYPES,
    RECORD_TYPES,
    SCHEMA_VERSION,
    TOPIC_LEN,
    TOPICS,
    WGS84,
    Envelope,
    Message,
    Position,
    PositionBatch,
    to_json_object,
)

_JSON_FIRST = frozenset(b"{[ \t\r\n")
_TOPIC_KIND = {t: k for k, t in TOPICS.items()}
_FMAX = 1.7976931348623157e308

_msgpack_encoder = msgspec.msgpack.Encoder()
_json_encoder = msgspec.json.Encoder()
#: The typed msgpack decoder for every message kind (also used by the ingest fast path).
msgpack_decoder: msgspec.msgpack.Decoder[Message] = msgspec.msgpack.Decoder(Message)
_json_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(reduce(operator.or_, JSON_MESSAGE_TYPES))
_JSON_SHELL = dict(zip(KINDS, JSON_MESSAGE_TYPES, strict=True))


class RejectError(Exception):
    """A message that cannot be used, with the counter it belongs under (see core.feed_stats)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def encode(msg: Envelope, codec: str = "msgpack") -> bytes:
    """One wire frame: topic prefix + payload."""
    topic = TOPICS[msg.KIND]
    if codec == "msgpack":
        return topic + _msgpack_encoder.encode(msg)
    if codec == "json":
        return topic + _json_encoder.encode(to_json_object(msg))
    raise ValueError(f"codec {codec!r}: expected 'msgpack' or 'json'")


def topic_kind(frame: bytes) -> str | None:
    return _TOPIC_KIND.get(frame[:TOPIC_LEN])


def is_json(payload: bytes | memoryview) -> bool:
    return len(payload) > 0 and payload[0] in _JSON_FIRST


def decode(frame: bytes) -> Message:
    """Frame → typed message; raises ``RejectError`` naming the reason (unknown_kind, schema_version …)."""
    kind = _TOPIC_KIND.get(frame[:TOPIC_LEN])
    if kind is None:
        raise RejectError(
            "unknown_kind", f"topic {bytes(frame[:TOPIC_LEN])!r}; expected one of {list(TOPICS)}"
        )
    payload = memoryview(frame)[TOPIC_LEN:]
    json = is_json(payload)
    try:
        msg = _json_decoder.decode(payload) if json else msgpack_decoder.decode(payload)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise classify(payload, json, exc) from None
    if msg.v != SCHEMA_VERSION:
        raise RejectError("schema_version", f"v={msg.v}; this app reads v={SCHEMA_VERSION}")
    if kind != msg.KIND:
        raise RejectError("topic_mismatch", f"a '{msg.KIND}' message on topic '{kind}'")
    return cast(Message, msg)


def position_decoder(box: tuple[float, float, float, float], epoch: int = 0) -> msgspec.msgpack.Decoder[Any]:
    """A msgpack decoder for clean WGS 84 position batches of one publisher run only, validating
    inside msgspec.

    The hot path of ingestion. The decoded types are subclasses of ``PositionBatch`` and
    ``Position`` whose constraints do the checks that would otherwise cost Python per record:
    schema version, WGS 84, the run (``epoch``), coordinates inside ``box`` (lon/lat bounds; NaN
    fails them), finite heading and speed. Records come as a tuple, which the garbage collector
    stops tracking, unlike a list per message (measured: ~30 % of the decode time at one record
    per message). For a run other than 0, ``crs`` and ``epoch`` are required (a positional
    frame that carries an epoch carries its crs too), so a frame without one never passes as
    that run. Anything this decoder refuses is not necessarily bad: the general path then says
    what it is.
    """
    minx, miny, maxx, maxy = box
    finite = Annotated[float, msgspec.Meta(ge=-_FMAX, le=_FMAX)]
    record = msgspec.defstruct(
        "CheckedPosition",
        [
            ("x", Annotated[float, msgspec.Meta(ge=minx, le=maxx)]),
            ("y", Annotated[float, msgspec.Meta(ge=miny, le=maxy)]),
            ("heading", finite, 0.0),
            ("speed", finite, 0.0),
        ],
        bases=(Position,),
        array_like=True,
        gc=False,
    )
    tail: list[Any] = (
        [("crs", Literal[WGS84]), ("epoch", Literal[epoch])]
        if epoch
        else [("crs", Literal[WGS84], WGS84), ("epoch", Literal[0], 0)]
    )
    batch = msgspec.defstruct(
        "CheckedPositionBatch",
        [
            ("v", Literal[SCHEMA_VERSION]),
            ("records", tuple[record, ...]),  # type: ignore[valid-type]
            *tail,
        ],
        bases=(PositionBatch,),
        tag="pos",
        array_like=True,
        gc=False,
    )
    return msgspec.msgpack.Decoder(batch)


def hot_decoders(
    box: tuple[float, float, float, float], epoch: int = 0
) -> dict[bytes, Callable[[bytes], Message]]:
    """Per topic, a decoder that raises for anything but a clean message of that topic's kind
    from run ``epoch``.

    Positions must also be in WGS 84 inside ``box`` (see ``position_decoder``); the low-rate
    kinds are decoded as usual and checked after.
    """
    decoders: dict[bytes, Callable[[bytes], Message]] = {TOPICS["pos"]: position_decoder(box, epoch).decode}
    for kind, topic in TOPICS.items():
        if kind != "pos":
            decoders[topic] = partial(_decode_kind, kind, epoch)
    return decoders


def _decode_kind(kind: str, epoch: int, payload: bytes) -> Message:
    msg = msgpack_decoder.decode(payload)
    if kind != msg.KIND or msg.v != SCHEMA_VERSION or msg.epoch != epoch:
        raise ValueError(f"a {msg.KIND!r} v{msg.v} run {msg.epoch} message on topic {kind!r}")
    return msg


def _untyped(payload: bytes | memoryview, json: bool) -> Any:
    """The payload as plain Python objects; ``RejectError("too_deep")`` for absurd nesting.

    Only the slow paths decode untyped. msgspec guards that recursion with the interpreter's
    limit and raises ``RecursionError`` (a 1 KB frame nested 1,000 deep is enough); the typed
    decoder never gets that deep, because the schema is at most four levels.
    """
    try:
        return msgspec.json.decode(payload) if json else msgspec.msgpack.decode(payload)
    except RecursionError:
        raise RejectError("too_deep", f"{len(payload)} bytes nested deeper than any message can be") from None


def classify(payload: bytes | memoryview, json: bool, exc: Exception) -> RejectError:
    """Why a payload failed the typed decoder, as a reject reason (slow path, bad input only)."""
    try:
        raw = _untyped(payload, json)
    except RejectError as deep:
        return deep
    except (msgspec.DecodeError, ValueError, TypeError):
        return RejectError("undecodable", f"not valid {'JSON' if json else 'msgpack'} ({exc})")
    kind, version = _header(raw)
    if kind is None and version is None:
        return RejectError("malformed", f"not a message envelope ({exc})")
    if version != SCHEMA_VERSION:
        return RejectError("schema_version", f"v={version!r}; this app reads v={SCHEMA_VERSION}")
    if kind not in KINDS:
        return RejectError("unknown_kind", f"kind {kind!r}; expected one of {list(KINDS)}")
    return RejectError("malformed", str(exc))


def _header(raw: Any) -> tuple[Any, Any]:
    if isinstance(raw, list) and len(raw) >= 2:
        return raw[0], raw[1]
    if isinstance(raw, dict):
        return raw.get("kind"), raw.get("v")
    return None, None


def salvage(frame: bytes) -> tuple[Message, list[tuple[int, str]]] | None:
    """A message whose header is fine but some records are not: keep the good records.

    Returns the message holding only the valid records plus (index, error) for each bad one, or
    None when the header itself is bad (then the whole message is rejected).
    """
    kind = _TOPIC_KIND.get(frame[:TOPIC_LEN])
    if kind is None or kind not in RECORD_TYPES:
        return None
    payload = memoryview(frame)[TOPIC_LEN:]
    json = is_json(payload)
    try:
        raw = _untyped(payload, json)
    except (RejectError, msgspec.DecodeError, ValueError, TypeError):
        return None
    records_at: Any = 5 if not json else "records"
    try:
        records = raw[records_at] if isinstance(raw, (list, dict)) else None
    except (IndexError, KeyError, TypeError):  # TypeError: a JSON array where an object belongs
        return None
    if not isinstance(records, list):
        return None
    record_type = RECORD_JSON_TYPES[kind] if json else RECORD_TYPES[kind]
    good: list[Any] = []
    bad: list[tuple[int, str]] = []
    for i, rec in enumerate(records):
        try:
            good.append(msgspec.convert(rec, record_type))
        except msgspec.ValidationError as exc:
            bad.append((i, str(exc)))
    if not bad:
        return None
    raw[records_at] = []
    try:
        shell: Any = msgspec.convert(raw, _JSON_SHELL[kind] if json else MESSAGE_TYPES[KINDS.index(kind)])
    except msgspec.ValidationError:
        return None
    if kind != shell.KIND or shell.v != SCHEMA_VERSION:
        return None
    shell.records = good
    return cast(Message, shell), bad
