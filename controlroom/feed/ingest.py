"""The feed thread's work per drained batch: decode, validate, count, coalesce, hand over.

This is the hot path (hundreds of thousands of messages a second on a 2-core wall PC), so a
batch takes the cheapest of three paths that give the same results:

* *hot*: live traffic from one source in sequence with positions in WGS 84 (the bulk of a
  wall's traffic). Position frames are validated by msgspec while decoding (bounds, finiteness,
  version) and merged into the buffer with one dict update; no Python bytecode per record.
* *fast*: anything else clean (site-CRS positions, snapshots, several sources): decoded by
  ``map`` over the typed decoder, header checks on whole lists, coordinates checked as numpy
  arrays.
* *careful*: a batch where anything failed (a bad frame, a gap, a record out of extent) is
  handled one frame at a time, saying exactly what was wrong.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from operator import attrgetter, call, itemgetter
from typing import Protocol, TypeVar

import numpy as np

from controlroom.core.feed_stats import BatchCounts, FeedStats
from controlroom.core.protocol import (
    SCHEMA_VERSION,
    TOPIC_LEN,
    TOPICS,
    WGS84,
    FleetFrame,
    Heartbeat,
    Incident,
    IncidentBatch,
    Message,
    MetricBatch,
    Position,
    PositionBatch,
    SensorBatch,
    SensorReading,
)
from controlroom.feed.buffer import CoalescingBuffer, Pending
from controlroom.feed.codec import RejectError, decode, hot_decoders, msgpack_decoder, salvage
from controlroom.feed.fleet import IdTables, check_rows, fleet_columns
from controlroom.feed.validate import (
    AnyExtent,
    Extent,
    RejectLog,
    adopt_epoch,
    check_sequence,
    finite_reason,
)

#: Larger frames are refused before decoding (a 1000-record position batch is ~60 KB).
DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024

_payload = itemgetter(slice(TOPIC_LEN, None))
_topic = itemgetter(slice(0, TOPIC_LEN))
_kind = attrgetter("KIND")
_version = attrgetter("v")
_source = attrgetter("source")
_seq = attrgetter("seq")
_epoch = attrgetter("epoch")
_ts = attrgetter("ts")
_crs = attrgetter("crs")
_records = attrgetter("records")
_id = attrgetter("id")
_x = attrgetter("x")
_y = attrgetter("y")
_heading = attrgetter("heading")
_speed = attrgetter("speed")
_value = attrgetter("value")
_raised_at = attrgetter("raised_at")

_R = TypeVar("_R", SensorReading, Incident)


class _KeyedBatch(Protocol[_R]):
    """A sensor or incident batch: records with an id, all in one CRS."""

    source: str
    crs: str
    records: list[_R]


_TOPIC_OF = {k: t for k, t in TOPICS.items()}
_POS = TOPICS["pos"]
_POS_TOPIC = {_POS}
_EMPTY_BOX = (1.0, 1.0, 0.0, 0.0)


class Ingestor:
    """Turns raw frames into pending model updates; used only from the feed thread."""

    def __init__(
        self,
        buffer: CoalescingBuffer,
        stats: FeedStats,
        extent: Extent | None = None,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
        reject_log: RejectLog | None = None,
    ) -> None:
        self.buffer = buffer
        self.stats = stats
        self.extent = extent or AnyExtent()
        self.max_frame_bytes = max_frame_bytes
        self.reject_log = reject_log or RejectLog()
        #: After a snapshot: per source, updates up to this sequence are already in the snapshot.
        self.skip_upto: dict[str, int] = {}
        #: The hot path's decoders per topic and the extent and publisher run they were built for.
        self._hot_decoders: tuple[Extent, int, dict[bytes, Callable[[bytes], Message]]] | None = None
        #: The run of the source whose message was accepted last: the hot path expects more of it.
        self._hot_epoch: int | None = None
        #: Fleet frames' ids, split once per distinct blob.
        self._id_tables = IdTables()

    def ingest(
        self, frames: Iterable[bytes], now: float | None = None, *, snapshot: bool = False
    ) -> BatchCounts:
        """Process frames (live updates, or snapshot frames which skip sequence checks).

        Never raises for what a frame holds: a frame that makes the decoder itself fail is
        counted as ``decode_failed`` and the rest of the batch goes on; should anything else fail
        (a bug), the batch is counted as ``internal_error`` and the feed thread lives on.
        """
        now = time.time() if now is None else now
        batch = frames if isinstance(frames, list) else list(frames)
        try:
            return self._ingest(batch, now, snapshot)
        except Exception as exc:  # counted and logged; the subscriber must keep draining
            counts = BatchCounts(received=len(batch), bytes=sum(map(len, batch)))
            self._reject(counts, "internal_error", f"{type(exc).__name__}: {exc}", n=len(batch))
            self.stats.merge(counts, now)
            return counts

    def _ingest(self, batch: list[bytes], now: float, snapshot: bool) -> BatchCounts:
        counts = BatchCounts()
        if batch and not snapshot and self._hot(batch, counts, now):
            self.stats.merge(counts, now)
            return counts
        pending = Pending()
        if not (batch and self._fast(batch, pending, counts, now, snapshot)):
            for frame in batch:
                self._one(frame, pending, counts, now, snapshot)
        refused = self.buffer.merge(pending)
        if refused:
            counts.rejected["buffer_full"] += refused
            self.reject_log("buffer_full", f"{refused} records refused: the GUI is not draining the buffer")
        self.stats.merge(counts, now)
        return counts

    def _reject(self, counts: BatchCounts, reason: str, detail: str, source: str = "?", n: int = 1) -> None:
        counts.rejected[reason] += n
        self.reject_log(reason, detail, source)

    def _decode(self, frame: bytes, counts: BatchCounts) -> tuple[Message, list[tuple[int, str]]] | None:
        """The frame's message and its bad records, or None (rejected and counted)."""
        try:
            return decode(frame), []
        except RejectError as r:
            rescued = salvage(frame) if r.reason == "malformed" else None
            if rescued is None:
                self._reject(counts, r.reason, r.detail)
            return rescued
        except Exception as exc:  # the decoder itself failed on this frame: count it, go on
            self._reject(counts, "decode_failed", f"{type(exc).__name__}: {exc}"[:200])
            return None

    def _one(self, frame: bytes, pending: Pending, counts: BatchCounts, now: float, snapshot: bool) -> None:
        counts.received += 1
        size = len(frame)
        counts.bytes += size
        if size > self.max_frame_bytes:
            self._reject(counts, "oversize", f"{size} bytes; the limit is {self.max_frame_bytes}")
            return
        decoded = self._decode(frame, counts)
        if decoded is None:
            return
        msg, bad = decoded
        source = msg.source
        src = self.stats.source(source)
        src.received += 1
        run = src.epoch
        if snapshot:
            if not adopt_epoch(src, msg.epoch):
                self._reject(counts, "stale_epoch", f"a snapshot of run {msg.epoch}, already left", source)
                return
        else:
            if self.skip_upto:
                upto = self.skip_upto.get(source)
                if upto is not None and msg.epoch == src.epoch:
                    if msg.seq <= upto:
                        src.last_heard = now
                        counts.skipped += 1
                        return
                    del self.skip_upto[source]
            reason = check_sequence(src, msg.seq, msg.epoch)
            if reason is not None:
                self._reject(counts, reason, f"seq {msg.seq} run {msg.epoch} (last {src.last_seq})", source)
                return
        if src.epoch != run:
            src.run_heard = now
        if bad:  # counted only for a message that is applied: a repeat is a duplicate, nothing more
            n = len(bad)
            self._reject(counts, "invalid_record", f"{n} bad record(s), first: {bad[0][1]}", source, n)
        src.last_heard = now
        self._hot_epoch = src.epoch
        counts.applied += 1
        self._dispatch(msg, pending, counts)

    def _dispatch(self, msg: Message, pending: Pending, counts: BatchCounts) -> None:
        if isinstance(msg, PositionBatch):
            self._positions(msg, pending, counts)
        elif isinstance(msg, SensorBatch):
            self._sensors(msg, pending, counts)
        elif isinstance(msg, IncidentBatch):
            self._incidents(msg, pending, counts)
        elif isinstance(msg, MetricBatch):
            self._metrics(msg, pending, counts)
        elif isinstance(msg, Heartbeat):
            pending.heartbeats[msg.source] = msg
        elif isinstance(msg, FleetFrame):
            self._fleet(msg, pending, counts)

    def _fleet(self, msg: FleetFrame, pending: Pending, counts: BatchCounts) -> None:
        """A columnar fleet frame: checked as arrays, queued whole (see ``feed.fleet``)."""
        try:
            cols = fleet_columns(msg, self._id_tables)
        except RejectError as r:
            self._reject(counts, r.reason, r.detail, msg.source)
            return
        counts.records += len(cols)
        box = self._box(msg.crs, counts, msg.source, len(cols))
        if box is None:
            return
        cols, rejected, detail = check_rows(cols, box)
        for reason, n in rejected.items():
            self._reject(counts, reason, f"{n} fleet row(s), first: {detail}", msg.source, n)
        if len(cols):
            pending.fleets.append(cols)
            pending.position_ts.append(msg.ts)

    def _box(
        self, crs: str, counts: BatchCounts, source: str, n: int
    ) -> tuple[float, float, float, float] | None:
        box = self.extent.in_crs(crs)
        if box is None:
            self._reject(counts, "unknown_crs", f"crs {crs!r} is not a CRS this app can convert", source, n)
        return box

    def _positions(self, msg: PositionBatch, pending: Pending, counts: BatchCounts) -> None:
        records = msg.records
        counts.records += len(records)
        box = self._box(msg.crs, counts, msg.source, len(records))
        if box is None:
            return
        minx, miny, maxx, maxy = box
        positions = pending.positions
        crs = msg.crs
        crs_of = pending.position_crs
        before = len(positions)
        accepted = 0
        for r in records:
            x = r.x
            y = r.y
            hs = r.heading + r.speed
            if minx <= x <= maxx and miny <= y <= maxy and hs - hs == 0.0:
                positions[r.id] = r
                if crs != WGS84:
                    crs_of[r.id] = crs
                elif crs_of:
                    crs_of.pop(r.id, None)
                accepted += 1
            else:
                reason = finite_reason(x, y) if hs - hs == 0.0 else "non_finite"
                self._reject(counts, reason, f"entity {r.id!r} at ({x}, {y}) in {crs}", msg.source)
        if accepted:
            pending.position_ts.append(msg.ts)
        pending.coalesced += accepted - (len(positions) - before)

    # ------------------------------------------------------------------ hot path

    def _hot(self, frames: list[bytes], counts: BatchCounts, now: float) -> bool:
        """Live traffic from one source, in sequence, positions in WGS 84: the wall's bulk.

        Position frames are validated while decoding (``codec.position_decoder``) and merged
        into the buffer in one step, so what is left in Python is one pass per header field over
        the whole batch. Other kinds riding along (sensors, heartbeats …) are handled per
        message as on the fast path.
        """
        if self.skip_upto:
            return False
        epoch = self._hot_epoch
        if epoch is None:  # nothing accepted yet: expect the run of the first frame
            try:
                epoch = msgpack_decoder.decode(frames[0][TOPIC_LEN:]).epoch
            except Exception:  # not a clean msgpack message: the other paths say what it is
                return False
        size = sum(map(len, frames))
        if size > self.max_frame_bytes and max(map(len, frames)) > self.max_frame_bytes:
            return False
        hot = self._hot_decoders
        decoders = (
            hot[2] if hot and hot[0] is self.extent and hot[1] == epoch else self._new_hot_decoders(epoch)
        )
        topics = list(map(_topic, frames))
        only_positions = set(topics) == _POS_TOPIC
        try:
            if only_positions:
                msgs: list[Message] = list(map(decoders[_POS], map(_payload, frames)))
            else:
                msgs = list(map(call, map(decoders.__getitem__, topics), map(_payload, frames)))
        except Exception:  # undecodable, invalid, not for this path: the other paths say which and why
            return False
        sources = set(map(_source, msgs))
        if len(sources) != 1:
            return False
        (source,) = sources
        src = self.stats.source(source)
        if src.epoch is None:  # the first word from this source: adopt its run
            src.epoch, src.run_heard = epoch, now
        elif src.epoch != epoch:  # the decoders checked every message is of run ``epoch``
            return False
        n = len(msgs)
        first = src.last_seq + 1 if src.last_seq else msgs[0].seq
        if list(map(_seq, msgs)) != list(range(first, first + n)):
            return False
        positions = msgs if only_positions else [m for m in msgs if m.KIND == "pos"]
        recs: list[Position] = list(chain.from_iterable(map(_records, positions)))
        refused = self.buffer.merge_positions(recs, map(_ts, positions))
        if not only_positions:
            pending = Pending()
            for msg in msgs:
                if msg.KIND != "pos":
                    self._dispatch(msg, pending, counts)
            refused += self.buffer.merge(pending)
        if refused:
            self._reject(counts, "buffer_full", f"{refused} records refused: the GUI is not draining")
        counts.received += n
        counts.bytes += size
        counts.applied += n
        counts.records += len(recs)
        src.received += n
        src.last_heard = now
        src.last_seq = msgs[-1].seq
        self._hot_epoch = epoch
        return True

    def _new_hot_decoders(self, epoch: int) -> dict[bytes, Callable[[bytes], Message]]:
        """Built once per extent and publisher run (a restart rebuilds them: ~1 ms)."""
        box = self.extent.in_crs(WGS84) or _EMPTY_BOX  # none: nothing passes, the other paths say why
        decoders = hot_decoders(box, epoch)
        self._hot_decoders = (self.extent, epoch, decoders)
        return decoders

    # ------------------------------------------------------------------ fast path

    def _fast(
        self, frames: list[bytes], pending: Pending, counts: BatchCounts, now: float, snapshot: bool
    ) -> bool:
        """The whole batch at C speed; False (nothing done) when any check fails."""
        if self.skip_upto or max(map(len, frames)) > self.max_frame_bytes:
            return False
        try:
            msgs: list[Message] = list(map(msgpack_decoder.decode, map(_payload, frames)))
        except Exception:  # DecodeError / ValidationError: the careful path says which frame and why
            return False
        kinds = list(map(_kind, msgs))
        if list(map(_TOPIC_OF.__getitem__, kinds)) != list(map(_topic, frames)):
            return False
        if set(map(_version, msgs)) != {SCHEMA_VERSION}:
            return False
        sources = set(map(_source, msgs))
        if not snapshot:
            if len(sources) != 1:
                return False
            (source,) = sources
            src = self.stats.source(source)
            first = src.last_seq + 1 if src.last_seq else msgs[0].seq
            if list(map(_seq, msgs)) != list(range(first, first + len(msgs))):
                return False
            if set(map(_epoch, msgs)) != {src.epoch}:
                return False
        else:
            runs = {(m.source, m.epoch) for m in msgs}
            if len(runs) != len(sources) or any(
                m_epoch != self.stats.source(name).epoch for name, m_epoch in runs
            ):
                return False  # a snapshot of a new run: the careful path counts the restart
        kind_set = set(kinds)
        if kind_set == {"pos"}:
            if not self._fast_positions(msgs, pending, counts):  # type: ignore[arg-type]
                return False
        elif "pos" in kind_set:
            return False
        else:
            for msg in msgs:  # low-rate kinds: per message, same checks as the careful path
                self._dispatch(msg, pending, counts)
        # commit: counters and per-source tracking
        n = len(frames)
        counts.received += n
        counts.bytes += sum(map(len, frames))
        counts.applied += n
        for source in sources:
            src = self.stats.source(source)
            src.received += n if len(sources) == 1 else sum(1 for m in msgs if m.source == source)
            src.last_heard = now
        if not snapshot:
            src.last_seq = msgs[-1].seq
            self._hot_epoch = src.epoch
        return True

    def _fast_positions(self, msgs: Sequence[PositionBatch], pending: Pending, counts: BatchCounts) -> bool:
        crs_set = set(map(_crs, msgs))
        if len(crs_set) != 1:
            return False
        (crs,) = crs_set
        box = self.extent.in_crs(crs)
        if box is None:
            return False
        recs = list(chain.from_iterable(map(_records, msgs)))
        n = len(recs)
        x = np.fromiter(map(_x, recs), np.float64, n)
        y = np.fromiter(map(_y, recs), np.float64, n)
        hs = np.fromiter(map(_heading, recs), np.float64, n) + np.fromiter(map(_speed, recs), np.float64, n)
        minx, miny, maxx, maxy = box
        with np.errstate(invalid="ignore"):
            ok = (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy) & np.isfinite(hs)
        if not ok.all():
            return False
        ids = list(map(_id, recs))
        positions = pending.positions
        before = len(positions)
        positions.update(zip(ids, recs, strict=True))
        if crs != WGS84:
            pending.position_crs.update(dict.fromkeys(ids, crs))
        elif pending.position_crs:
            for entity_id in ids:
                pending.position_crs.pop(entity_id, None)
        pending.position_ts.extend(map(_ts, msgs))
        pending.coalesced += n - (len(positions) - before)
        counts.records += n
        return True

    def _sensors(self, msg: SensorBatch, pending: Pending, counts: BatchCounts) -> None:
        self._latest_by_id(
            msg,
            pending.sensors,
            pending,
            counts,
            value=_value,
            describe=lambda r: f"sensor {r.id!r} at ({r.x}, {r.y}) value {r.value}",
        )

    def _incidents(self, msg: IncidentBatch, pending: Pending, counts: BatchCounts) -> None:
        pending.incident_sources.update(dict.fromkeys(map(_id, msg.records), msg.source))
        self._latest_by_id(
            msg,
            pending.incidents,
            pending,
            counts,
            value=_raised_at,
            describe=lambda r: f"incident {r.id!r} at ({r.x}, {r.y})",
        )

    def _latest_by_id(
        self,
        msg: _KeyedBatch[_R],
        latest: dict[str, tuple[_R, str]],
        pending: Pending,
        counts: BatchCounts,
        *,
        value: Callable[[_R], float],
        describe: Callable[[_R], str],
    ) -> None:
        """Sensors and incidents: keep the newest record per id (with its CRS); a record outside
        the extent or whose ``value`` is not finite is rejected with ``describe``'s words."""
        counts.records += len(msg.records)
        box = self._box(msg.crs, counts, msg.source, len(msg.records))
        if box is None:
            return
        minx, miny, maxx, maxy = box
        for r in msg.records:
            finite = math.isfinite(value(r))
            if minx <= r.x <= maxx and miny <= r.y <= maxy and finite:
                if r.id in latest:
                    pending.coalesced += 1
                latest[r.id] = (r, msg.crs)
            else:
                reason = finite_reason(r.x, r.y) if finite else "non_finite"
                self._reject(counts, reason, describe(r), msg.source)

    def _metrics(self, msg: MetricBatch, pending: Pending, counts: BatchCounts) -> None:
        counts.records += len(msg.records)
        for r in msg.records:
            if math.isfinite(r.value) and math.isfinite(r.t):
                pending.metrics.append(r)
            else:
                self._reject(counts, "non_finite", f"metric {r.name!r} = {r.value} at t={r.t}", msg.source)
