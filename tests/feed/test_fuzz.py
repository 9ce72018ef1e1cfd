"""Thousands of malformed messages interleaved with valid ones over a real socket.

Every valid record must reach the models, every bad message must be counted under the reason a
maintainer would look for, and the log must not flood.
"""

from __future__ import annotations

import logging
import math
import random
import time

import msgspec
import zmq

from controlroom.core.feed_stats import MESSAGE_REASONS
from controlroom.core.protocol import (
    SCHEMA_VERSION,
    MetricBatch,
    MetricPoint,
    Position,
    PositionBatch,
    SensorBatch,
    SensorReading,
)
from controlroom.feed.codec import encode
from controlroom.feed.validate import Extent

from .conftest import HUACHENG_BBOX

LON, LAT = 113.3157, 23.1226


def _pos(source: str, seq: int, recs: list[Position]) -> bytes:
    return encode(PositionBatch(SCHEMA_VERSION, source, seq, time.time(), recs))


def test_fuzz_every_valid_applied_every_bad_counted(make_pipeline, caplog) -> None:
    rng = random.Random(4)
    ctx = zmq.Context.instance()
    pub = ctx.socket(zmq.PUB)
    pub.setsockopt(zmq.SNDHWM, 0)
    pub.bind("tcp://127.0.0.1:*")
    extent = Extent.from_bbox(HUACHENG_BBOX, margin_m=500)
    p = make_pipeline(pub.getsockopt_string(zmq.LAST_ENDPOINT), extent)
    p.subscriber.ingestor.max_frame_bytes = 64 * 1024
    expected: dict[str, int] = {}
    frames: list[bytes] = []
    valid_ids: set[str] = set()

    def bad(reason: str, frame: bytes, n: int = 1) -> None:
        frames.append(frame)
        expected[reason] = expected.get(reason, 0) + n

    # the slow-joiner window: wait until the subscriber hears a probe (source "probe")
    probe = iter(range(1, 100_000))
    assert p.pump_until(lambda: (pub.send(_pos("probe", next(probe), [])) or True) and p.stats.received > 0)
    received0 = p.stats.received

    seq = rec_seq = 0
    gaps = dups = 0
    good_frame = b""
    for i in range(2000):
        seq += 1
        if i and i % 100 == 0:
            seq += 1  # a lost message: the subscriber must count one gap
            gaps += 1
        ids = [f"G{i}-{j}" for j in range(rng.randint(1, 3))]
        valid_ids.update(ids)
        good_frame = _pos(
            "good", seq, [Position(e, "taxi", LON + rng.uniform(-4e-3, 4e-3), LAT) for e in ids]
        )
        frames.append(good_frame)
        if i % 40 == 0:
            frames.append(good_frame)  # re-sent: a duplicate
            dups += 1
        k = i % 10
        if k == 0:
            bad("undecodable", b"pos|\xc1" + rng.randbytes(rng.randint(0, 40)))  # 0xC1 is never valid msgpack
        elif k == 1:
            bad("undecodable", good_frame[: rng.randint(5, len(good_frame) - 1)])  # truncated
        elif k == 2:
            bad("schema_version", encode(PositionBatch(2, "good", 10**9, time.time(), [])))
        elif k == 3:
            bad("unknown_kind", b"zzz|" + good_frame[4:])
        elif k == 4:
            bad("unknown_kind", b"pos|" + msgspec.msgpack.encode(["weather", 1, "good", 1, 0.0, []]))
        elif k == 5:
            bad("oversize", b"pos|" + bytes(70_000))
        elif k == 6:
            rec_seq += 1
            bad_xy = rng.choice([(math.nan, LAT), (LON, math.inf), (-math.inf, math.nan)])
            frames.append(
                _pos("rec", rec_seq, [Position(f"R{i}", "bus", *bad_xy), Position(f"OK{i}", "bus", LON, LAT)])
            )
            expected["non_finite"] = expected.get("non_finite", 0) + 1
            valid_ids.add(f"OK{i}")
        elif k == 7:
            rec_seq += 1
            frames.append(_pos("rec", rec_seq, [Position(f"FAR{i}", "bus", 116.4, 39.9)]))  # Beijing
            expected["out_of_extent"] = expected.get("out_of_extent", 0) + 1
        elif k == 8:
            rec_seq += 1  # one record of the wrong type inside a good batch: the rest is kept
            raw = [
                "pos",
                SCHEMA_VERSION,
                "rec",
                rec_seq,
                time.time(),
                [
                    ["BADTYPE", "bus", "east", LAT, 0, 0, "normal"],
                    [f"KEEP{i}", "bus", LON, LAT, 0, 0, "normal"],
                ],
                "EPSG:4326",
            ]
            frames.append(b"pos|" + msgspec.msgpack.encode(raw))
            expected["invalid_record"] = expected.get("invalid_record", 0) + 1
            valid_ids.add(f"KEEP{i}")
        else:
            bad("malformed", b"met|" + msgspec.msgpack.encode({"hello": "world"}))
    # low-rate kinds ride along and must not be disturbed
    seq += 1
    frames.append(
        encode(
            SensorBatch(
                SCHEMA_VERSION,
                "good",
                seq,
                time.time(),
                [SensorReading("AQI1", "aqi", 77.0, LON, LAT, "AQI")],
            )
        )
    )
    seq += 1
    frames.append(
        encode(MetricBatch(SCHEMA_VERSION, "good", seq, time.time(), [MetricPoint("aqi", 77.0, time.time())]))
    )
    assert len(frames) > 4000

    with caplog.at_level(logging.WARNING, logger="controlroom.feed"):
        for f in frames:
            pub.send(f)
        assert p.pump_until(lambda: p.stats.received - received0 >= len(frames), timeout_s=15)
        p.pump.apply_pending(time.time())
    pub.close(0)

    snap = p.stats.snapshot(time.time())
    rejected = dict(snap["rejected"])  # type: ignore[call-overload]
    dup_count = rejected.pop("duplicate", 0)
    assert rejected == expected
    assert dup_count == dups and snap["duplicates"] == dups
    assert snap["gaps"] == gaps
    missing = valid_ids - set(p.pump.entities.ids)
    assert not missing, f"{len(missing)} valid entities were not applied, e.g. {sorted(missing)[:5]}"
    assert not {"FAR7", "R6", "BADTYPE"} & set(p.pump.entities.ids)
    assert p.pump.sensors.reading("AQI1")[1] == 77.0 and p.pump.metrics.latest("aqi") is not None
    # accounting: every message received is either applied or rejected as a whole
    message_rejects = sum(n for r, n in snap["rejected"].items() if r in MESSAGE_REASONS)  # type: ignore[union-attr]
    assert snap["received"] == snap["applied"] + message_rejects
    # no flood: at most a first report per reason (plus a summary if the run took > 10 s)
    feed_logs = [r for r in caplog.records if r.name.startswith("controlroom.feed")]
    assert len(feed_logs) <= 2 * (len(expected) + 1), [r.getMessage() for r in feed_logs[:20]]
