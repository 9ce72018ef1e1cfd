"""Publishing side of the feed: sequence numbers, batching, and the state for late joiners.

Used by the simulator, replay and the dispatch gateway. One publisher is one *source*: it
numbers its messages 1, 2, 3 … within a run (``epoch``, chosen at start and stamped on every
message) so subscribers can see gaps and duplicates and recognise a restart, splits large
record lists into batches, and, when given a snapshot endpoint, keeps the latest state per id so
a late joiner can start from the current picture (clone pattern, see ``clone.py``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import zmq

from controlroom.core.protocol import (
    SCHEMA_VERSION,
    WGS84,
    Heartbeat,
    Incident,
    IncidentBatch,
    Message,
    MetricBatch,
    MetricPoint,
    Position,
    PositionBatch,
    SensorBatch,
    SensorReading,
    new_epoch,
)
from controlroom.feed.clone import SnapshotServer, StateCache
from controlroom.feed.codec import encode
from controlroom.feed.keys import ServerSecurity, check_plaintext


class FeedPublisher:
    """A bound PUB socket (and optional snapshot ROUTER) for one source. Not thread-safe: one caller."""

    #: The user a feed broker (NATS / MQTT transport) admitted this publisher as; "" on our sockets.
    login = ""

    def __init__(
        self,
        endpoint: str,
        *,
        source: str = "sim",
        snapshot_endpoint: str | None = None,
        security: ServerSecurity | None = None,
        insecure: bool = False,
        codec: str = "msgpack",
        batch_size: int = 200,
        sndhwm: int = 200_000,
        epoch: int | None = None,
    ) -> None:
        if security is None:
            for e in (endpoint, snapshot_endpoint):
                if e:
                    check_plaintext(e, insecure)
        self.source = source
        self.codec = codec
        self.batch_size = batch_size
        self.seq = 0
        #: This run's id: a subscriber that sees it change knows the numbering started again.
        self.epoch = new_epoch() if epoch is None else epoch
        self.sent = 0
        self.started = time.time()
        self._ctx = zmq.Context()
        self._security = security
        if security:
            security.start(self._ctx)
        self._pub = self._ctx.socket(zmq.PUB)
        self._pub.setsockopt(zmq.LINGER, 500)
        self._pub.setsockopt(zmq.SNDHWM, sndhwm)
        if security:
            security.apply(self._pub)
        self._pub.bind(endpoint)
        self.endpoint: str = self._pub.getsockopt_string(zmq.LAST_ENDPOINT)
        self.cache: StateCache | None = None
        self._snapshots: SnapshotServer | None = None
        self.snapshot_endpoint: str | None = None
        if snapshot_endpoint:
            self.cache = StateCache()
            self._snapshots = SnapshotServer(
                self._ctx, snapshot_endpoint, self.cache, source, security.apply if security else None
            )
            self.snapshot_endpoint = self._snapshots.endpoint
            self._snapshots.start()

    # ------------------------------------------------------------- sending

    def send(self, msg: Message) -> None:
        """Send a message whose header this publisher fills in (seq, source, epoch)."""
        cache = self.cache
        if cache is None:
            self.seq += 1
            msg.seq, msg.source, msg.epoch = self.seq, self.source, self.epoch
            self._pub.send(encode(msg, self.codec))
        else:
            with cache.lock:  # the snapshot must never see a state without its sequence number
                self.seq += 1
                msg.seq, msg.source, msg.epoch = self.seq, self.source, self.epoch
                self._pub.send(encode(msg, self.codec))
                cache.update(msg)
                cache.seq[self.source] = self.seq
                cache.epoch[self.source] = self.epoch
        self.sent += 1

    def send_raw(self, frame: bytes) -> None:
        """Send an already-encoded frame as is (replay)."""
        self._pub.send(frame)
        self.sent += 1

    def _batches(self, records: Sequence[Any]) -> list[Sequence[Any]]:
        n = self.batch_size
        return [records[i : i + n] for i in range(0, len(records), n)]

    def positions(self, records: Sequence[Position], crs: str = WGS84) -> None:
        for chunk in self._batches(records):
            self.send(PositionBatch(SCHEMA_VERSION, self.source, 0, time.time(), list(chunk), crs))

    def sensors(self, records: Sequence[SensorReading], crs: str = WGS84) -> None:
        for chunk in self._batches(records):
            self.send(SensorBatch(SCHEMA_VERSION, self.source, 0, time.time(), list(chunk), crs))

    def incidents(self, records: Sequence[Incident], crs: str = WGS84) -> None:
        for chunk in self._batches(records):
            self.send(IncidentBatch(SCHEMA_VERSION, self.source, 0, time.time(), list(chunk), crs))

    def metrics(self, records: Sequence[MetricPoint]) -> None:
        for chunk in self._batches(records):
            self.send(MetricBatch(SCHEMA_VERSION, self.source, 0, time.time(), list(chunk)))

    def heartbeat(self, rate_hz: float = 0.0, entities: int = 0) -> None:
        now = time.time()
        self.send(Heartbeat(SCHEMA_VERSION, self.source, 0, now, rate_hz, entities, now - self.started))

    # ------------------------------------------------------------- lifetime

    def close(self) -> None:
        if self._snapshots:
            self._snapshots.stop()
        self._pub.close()
        if self._security:
            self._security.stop()
        self._ctx.term()

    def __enter__(self) -> FeedPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
