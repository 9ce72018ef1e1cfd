"""The wire schema itself: vocabularies, positional msgpack and field-named JSON of every kind."""

from __future__ import annotations

import functools
import math
import operator

import msgspec
import pytest

from controlroom.core.protocol import (
    ENTITY_KINDS,
    INCIDENT_TYPES,
    JSON_MESSAGE_TYPES,
    KINDS,
    SCHEMA_VERSION,
    TOPICS,
    Envelope,
    Message,
    Position,
    PositionBatch,
    to_json_object,
)
from tests.core.protocol_samples import MESSAGES, plain


def test_vocabularies_are_those_the_issue_names() -> None:
    assert set(KINDS) == {"pos", "sen", "inc", "met", "hbt", "flt"}
    assert all(len(t) == 4 and t.endswith(b"|") for t in TOPICS.values())
    assert len(INCIDENT_TYPES) == 8 and "manhole_cover_missing" in INCIDENT_TYPES
    assert {"bus", "muck_truck", "police", "city_management"} <= set(ENTITY_KINDS)


@pytest.mark.parametrize("msg", MESSAGES, ids=lambda m: m.KIND + "-" + m.source)
def test_msgpack_round_trip_is_positional(msg: Envelope) -> None:
    data = msgspec.msgpack.encode(msg)
    assert msgspec.msgpack.decode(data)[:5] == [msg.KIND, SCHEMA_VERSION, msg.source, msg.seq, msg.ts]
    back = msgspec.msgpack.Decoder(Message).decode(data)
    assert type(back) is type(msg) and plain(back) == plain(msg)


@pytest.mark.parametrize("msg", MESSAGES, ids=lambda m: m.KIND + "-" + m.source)
def test_json_round_trip_uses_field_names(msg: Envelope) -> None:
    text = msgspec.json.encode(to_json_object(msg))
    obj = msgspec.json.decode(text)
    assert obj["kind"] == msg.KIND and obj["v"] == SCHEMA_VERSION and obj["seq"] == msg.seq
    if "records" in obj:
        assert (isinstance(obj["records"][0], dict) and "id" in obj["records"][0]) or "name" in obj[
            "records"
        ][0]
    back = msgspec.json.Decoder(functools.reduce(operator.or_, JSON_MESSAGE_TYPES)).decode(text)
    assert isinstance(back, type(msg)) and plain(back) == plain(msg)


def test_one_position_is_small_on_the_wire() -> None:
    assert len(msgspec.msgpack.encode(MESSAGES[0])) < 90  # field names are not sent


def test_typed_decoding_checks_vocabulary_and_ranges() -> None:
    dec = msgspec.msgpack.Decoder(Message)
    bad_kind = ["pos", 1, "s", 1, 0.0, [["X", "spaceship", 1.0, 2.0, 0.0, 0.0, "normal"]], "EPSG:4326"]
    with pytest.raises(msgspec.ValidationError, match="spaceship"):
        dec.decode(msgspec.msgpack.encode(bad_kind))
    bad_severity = ["inc", 1, "s", 1, 0.0, [["I", "fallen_tree", 9, 1.0, 2.0]], "EPSG:4326"]
    with pytest.raises(msgspec.ValidationError, match="<= 4"):
        dec.decode(msgspec.msgpack.encode(bad_severity))
    nan = dec.decode(
        msgspec.msgpack.encode(PositionBatch(1, "s", 1, 0.0, [Position("N", "bus", math.nan, 1.0)]))
    )
    assert math.isnan(nan.records[0].x)  # type: ignore[union-attr]  # the feed's validator counts these
