"""Frames: topic + payload, msgpack or JSON by first byte; bad payloads say why they are bad."""

from __future__ import annotations

import json
import math

import msgspec
import pytest

from controlroom.core.protocol import (
    SCHEMA_VERSION,
    TOPICS,
    Envelope,
    Position,
    PositionBatch,
    SensorBatch,
)
from controlroom.feed.codec import RejectError, decode, encode, salvage
from tests.core.protocol_samples import MESSAGES, plain


@pytest.mark.parametrize("codec", ["msgpack", "json"])
@pytest.mark.parametrize("msg", MESSAGES, ids=lambda m: m.KIND + "-" + m.source)
def test_round_trip(msg: Envelope, codec: str) -> None:
    frame = encode(msg, codec)
    assert frame.startswith(TOPICS[msg.KIND])
    back = decode(frame)
    assert isinstance(back, type(msg))
    assert plain(back) == plain(msg)
    if codec == "json":
        obj = json.loads(frame[4:])
        assert obj["kind"] == msg.KIND and obj["v"] == SCHEMA_VERSION and obj["source"] == msg.source


def test_json_from_another_language_is_accepted() -> None:
    text = (
        b'sen|{"kind": "sen", "v": 1, "source": "plc-7", "seq": 12, "ts": 1700000000.5,'
        b' "records": [{"id": "AQ9", "kind": "aqi", "value": 88, "x": 113.31, "y": 23.12}]}'
    )
    msg = decode(text)
    assert isinstance(msg, SensorBatch)
    r = msg.records[0]
    assert (r.id, r.value, r.unit, r.status) == ("AQ9", 88.0, "", "ok")


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (b"xyz|" + encode(MESSAGES[0])[4:], "unknown_kind"),
        (b"pos|" + msgspec.msgpack.encode(["zzz", 1, "s", 1, 0.0, []]), "unknown_kind"),
        (b"pos|" + msgspec.msgpack.encode(["pos", 2, "s", 1, 0.0, []]), "schema_version"),
        (b'pos|{"kind": "pos", "v": 3, "source": "s", "seq": 1, "ts": 0, "records": []}', "schema_version"),
        (encode(MESSAGES[0])[:-5], "undecodable"),
        (b"pos|{not json", "undecodable"),
        (b"pos|" + msgspec.msgpack.encode({"a": 1}), "malformed"),
        (b"pos|" + msgspec.msgpack.encode(["pos", 1, "s", "one", 0.0, []]), "malformed"),
        (b"sen|" + encode(MESSAGES[0])[4:], "topic_mismatch"),
        (b"", "unknown_kind"),
    ],
)
def test_rejects_name_the_reason(frame: bytes, reason: str) -> None:
    with pytest.raises(RejectError) as err:
        decode(frame)
    assert err.value.reason == reason


def test_salvage_keeps_good_records_of_a_partly_bad_batch() -> None:
    raw = [
        "pos",
        1,
        "s",
        4,
        0.0,
        [
            ["A", "bus", 1.0, 2.0, 0, 0, "normal"],
            ["B", "spaceship", 1.0, 2.0, 0, 0, "normal"],
            ["C", "taxi", "x", 2.0, 0, 0, "normal"],
        ],
        "EPSG:4326",
    ]
    frame = b"pos|" + msgspec.msgpack.encode(raw)
    with pytest.raises(RejectError, match="malformed"):
        decode(frame)
    rescued = salvage(frame)
    assert rescued is not None
    msg, bad = rescued
    assert isinstance(msg, PositionBatch) and [r.id for r in msg.records] == ["A"] and msg.seq == 4
    assert [i for i, _ in bad] == [1, 2]


def test_nan_survives_decoding_for_the_validator_to_count() -> None:
    msg = decode(encode(PositionBatch(1, "s", 1, 0.0, [Position("N", "bus", math.nan, 23.1)])))
    assert isinstance(msg, PositionBatch) and math.isnan(msg.records[0].x)
