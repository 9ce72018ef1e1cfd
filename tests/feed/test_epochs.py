"""Publisher runs (epochs): a restarted publisher is recognised at its first frame, whatever its
sequence number, and its data is applied at once; gaps and duplicates are judged within a run.

These drive the real ``Ingestor`` with real encoded frames (the socket paths are in
test_faults.py); each case is one a wall met in the field (issue 16).
"""

from __future__ import annotations

import time

import msgspec

from controlroom.core.feed_stats import MESSAGE_REASONS, FeedStats
from controlroom.core.protocol import SCHEMA_VERSION, Incident, IncidentBatch, Position, PositionBatch
from controlroom.feed.buffer import CoalescingBuffer
from controlroom.feed.codec import encode
from controlroom.feed.ingest import Ingestor
from controlroom.feed.validate import Extent

from .conftest import HUACHENG_BBOX

LON, LAT = 113.3157, 23.1226
RUN_A, RUN_B, RUN_C = 1_700_000_000_000_001, 1_700_000_000_900_002, 1_700_000_001_800_003


def _pos(seq: int, epoch: int, x: float = LON, source: str = "sim", entity: str = "BUS1") -> bytes:
    rec = Position(entity, "bus", x, LAT)
    return encode(PositionBatch(SCHEMA_VERSION, source, seq, time.time(), [rec], epoch=epoch))


def _ingestor() -> tuple[Ingestor, CoalescingBuffer, FeedStats]:
    stats, buffer = FeedStats(), CoalescingBuffer()
    return Ingestor(buffer, stats, Extent.from_bbox(HUACHENG_BBOX, margin_m=500)), buffer, stats


def _x_of(buffer: CoalescingBuffer, entity: str = "BUS1") -> float:
    return buffer.drain().positions[entity].x


def _adds_up(stats: FeedStats) -> bool:
    message_rejects = sum(n for reason, n in stats.rejected.items() if reason in MESSAGE_REASONS)
    return stats.received == stats.applied + stats.skipped + message_rejects


def test_a_restarted_publisher_is_applied_from_its_first_frame_seen() -> None:
    """The old run reached 5,000; the new run's first frame to get through is number 12 (the PUB
    dropped 1–11 before the subscriber reconnected). Every frame of the new run must be applied."""
    ingest, buffer, stats = _ingestor()
    ingest.ingest([_pos(seq, RUN_A) for seq in range(1, 5001)])
    buffer.drain()
    new_run = [_pos(seq, RUN_B, x=LON + seq * 1e-6) for seq in range(12, 40)]
    counts = ingest.ingest(new_run[:1])
    assert counts.applied == 1 and not counts.rejected
    assert stats.sources["sim"].restarts == 1 and stats.sources["sim"].epoch == RUN_B
    counts = ingest.ingest(new_run[1:])  # the hot path takes the rest: same run, in sequence
    assert counts.applied == len(new_run) - 1 and not counts.rejected
    assert _x_of(buffer) == LON + 39 * 1e-6
    assert stats.sources["sim"].gaps == 0 and stats.duplicates == 0


def test_restarts_in_the_middle_of_one_drained_batch_are_each_counted() -> None:
    ingest, buffer, stats = _ingestor()
    frames = [_pos(s, RUN_A) for s in range(1, 30)] + [_pos(s, RUN_B) for s in range(7, 20)]
    frames += [_pos(s, RUN_C, x=LON + 1e-4) for s in range(3, 9)]
    counts = ingest.ingest(frames)
    assert counts.applied == len(frames) and not counts.rejected
    assert stats.sources["sim"].restarts == 2
    assert _x_of(buffer) == LON + 1e-4


def test_gaps_and_duplicates_are_judged_within_a_run() -> None:
    ingest, _, stats = _ingestor()
    ingest.ingest([_pos(s, RUN_A) for s in (1, 2, 3, 7)])
    assert stats.sources["sim"].gaps == 3
    counts = ingest.ingest([_pos(5, RUN_A), _pos(7, RUN_A)])
    assert counts.rejected == {"duplicate": 2}
    counts = ingest.ingest([_pos(1, RUN_B), _pos(2, RUN_B)])  # a new run may start low: not a duplicate
    assert counts.applied == 2 and not counts.rejected
    assert stats.sources["sim"].gaps == 3 and stats.sources["sim"].restarts == 1


def test_a_late_frame_from_a_run_already_left_is_refused_without_a_restart() -> None:
    ingest, buffer, stats = _ingestor()
    ingest.ingest([_pos(s, RUN_A) for s in range(1, 10)])
    ingest.ingest([_pos(s, RUN_B, x=LON + 1e-4) for s in range(1, 5)])
    buffer.drain()
    counts = ingest.ingest([_pos(10, RUN_A), _pos(5, RUN_B, x=LON + 2e-4)])
    assert counts.rejected == {"stale_epoch": 1} and counts.applied == 1
    assert stats.sources["sim"].restarts == 1 and stats.sources["sim"].epoch == RUN_B
    assert _x_of(buffer) == LON + 2e-4


def test_frames_without_an_epoch_keep_the_old_restart_rule() -> None:
    """Publishers and recordings from before epochs: the envelope ends after the body."""

    def old(seq: int) -> bytes:
        body = ["pos", SCHEMA_VERSION, "old-gps", seq, time.time(), [["T1", "taxi", LON, LAT]], "EPSG:4326"]
        return b"pos|" + msgspec.msgpack.encode(body)

    ingest, _, stats = _ingestor()
    assert ingest.ingest([old(s) for s in range(1, 50)]).applied == 49
    assert ingest.ingest([old(30)]).rejected == {"duplicate": 1}
    assert ingest.ingest([old(1), old(2)]).applied == 2  # 1 after a later number: restarted
    assert stats.sources["old-gps"].restarts == 1 and stats.sources["old-gps"].epoch == 0


def test_a_source_is_heard_only_while_its_data_is_accepted() -> None:
    """A publisher whose frames are all refused must not keep the wall's feed light green."""
    ingest, _, stats = _ingestor()
    ingest.ingest([_pos(s, RUN_A) for s in range(1, 100)], now=1000.0)
    ingest.ingest([_pos(s, RUN_A) for s in range(1, 50)], now=1060.0)  # all duplicates
    src = stats.sources["sim"]
    assert src.last_heard == 1000.0 and src.received == 148
    assert stats.snapshot(1060.0)["sources"]["sim"]["last_heard_s_ago"] == 60.0  # type: ignore[index]


def test_a_repeated_frame_with_a_bad_record_is_one_duplicate_and_the_counts_add_up() -> None:
    good = Incident("I1", "road_damage", 2, LON, LAT)
    raw = msgspec.msgpack.decode(encode(IncidentBatch(SCHEMA_VERSION, "ai", 1, 0.0, [good], epoch=RUN_A))[4:])
    raw[5].append(["I2", "road_damage", 9, LON, LAT])  # severity 9: an invalid record
    frame = b"inc|" + msgspec.msgpack.encode(raw)
    ingest, buffer, stats = _ingestor()
    first = ingest.ingest([frame])
    assert first.applied == 1 and first.rejected == {"invalid_record": 1}
    again = ingest.ingest([frame])
    assert again.applied == 0 and again.rejected == {"duplicate": 1}
    assert list(buffer.drain().incidents) == ["I1"]
    assert _adds_up(stats)


def test_a_new_run_continuing_the_old_numbers_is_still_a_restart() -> None:
    """The new run's first frame seen may carry exactly the next number; the run id decides."""

    def legacy(seq: int) -> bytes:
        body = ["pos", SCHEMA_VERSION, "sim", seq, time.time(), [["BUS1", "bus", LON, LAT]], "EPSG:4326"]
        return b"pos|" + msgspec.msgpack.encode(body)

    ingest, buffer, stats = _ingestor()
    for start in (1, 101):  # two batches of run A: the second takes the hot path
        ingest.ingest([_pos(s, RUN_A) for s in range(start, start + 100)])
    ingest.ingest([_pos(s, RUN_B, x=LON + 1e-4) for s in range(201, 251)])
    assert stats.sources["sim"].restarts == 1 and _x_of(buffer) == LON + 1e-4
    ingest.ingest([legacy(s) for s in range(251, 260)])  # an old publisher took the name over
    assert stats.sources["sim"].restarts == 2 and stats.sources["sim"].epoch == 0
    assert stats.applied == 259 and not stats.rejected
