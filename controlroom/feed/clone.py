"""ZeroMQ's clone pattern: a late joiner gets the current state, then only newer updates.

A wall PC that restarts must show the city as it is, not wait for every bus to report again
and never see the incidents raised while it was down. The publisher keeps the latest state per
id (``StateCache``); a ROUTER (``SnapshotServer``) answers ``ICANHAZ?`` with that state as
ordinary feed frames, then ``KTHXBAI`` + the sequence number per source the state corresponds
to. The client subscribes *first*, queues live updates while the snapshot arrives, applies the
snapshot, then the queued and later updates whose sequence is above the snapshot's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import msgspec
import zmq

from controlroom.core.protocol import (
    SCHEMA_VERSION,
    Incident,
    IncidentBatch,
    MetricBatch,
    MetricPoint,
    Position,
    PositionBatch,
    SensorBatch,
    SensorReading,
)
from controlroom.feed.codec import encode
from controlroom.feed.service_thread import ServiceThread

log = logging.getLogger(__name__)

ICANHAZ = b"ICANHAZ?"
KTHXBAI = b"KTHXBAI"
_CLOSED = {"resolved", "closed"}
#: Requests are ``ICANHAZ?``; ZeroMQ drops anything bigger (and its connection) before it is in memory.
MAX_REQUEST_BYTES = 256


class StateCache:
    """The publisher's current state, updated as it publishes (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.positions: dict[str, tuple[Position, str]] = {}
        self.sensors: dict[str, tuple[SensorReading, str]] = {}
        self.incidents: dict[str, tuple[Incident, str]] = {}
        self.metrics: dict[str, MetricPoint] = {}
        self.seq: dict[str, int] = {}
        #: The run (epoch) each source's state and sequence belong to; stamped on snapshot frames.
        self.epoch: dict[str, int] = {}

    def update(self, msg: object) -> None:
        """Record a just-published message (call with ``lock`` held, together with the send)."""
        if isinstance(msg, PositionBatch):
            for p in msg.records:
                self.positions[p.id] = (p, msg.crs)
        elif isinstance(msg, SensorBatch):
            for s in msg.records:
                self.sensors[s.id] = (s, msg.crs)
        elif isinstance(msg, IncidentBatch):
            for i in msg.records:
                if i.status in _CLOSED:
                    self.incidents.pop(i.id, None)
                else:
                    self.incidents[i.id] = (i, msg.crs)
        elif isinstance(msg, MetricBatch):
            for m in msg.records:
                self.metrics[m.name] = m

    def forget(self, entity_ids: list[str]) -> None:
        with self.lock:
            for entity_id in entity_ids:
                self.positions.pop(entity_id, None)

    def snapshot_frames(self, source: str, batch_size: int = 500) -> tuple[list[bytes], dict[str, int]]:
        """Encoded frames holding the whole state, and the sequence per source they correspond to."""
        with self.lock:
            seqs = dict(self.seq)
            epoch = self.epoch.get(source, 0)
            positions = list(self.positions.values())
            sensors = list(self.sensors.values())
            incidents = list(self.incidents.values())
            metrics = list(self.metrics.values())
        seq = seqs.get(source, 0)
        now = time.time()
        frames: list[bytes] = []

        def by_crs(items: list, make: Callable[[list, str], object]) -> None:
            groups: dict[str, list] = {}
            for rec, crs in items:
                groups.setdefault(crs, []).append(rec)
            for crs, recs in groups.items():
                for i in range(0, len(recs), batch_size):
                    frames.append(encode(make(recs[i : i + batch_size], crs)))  # type: ignore[arg-type]

        by_crs(positions, lambda r, c: PositionBatch(SCHEMA_VERSION, source, seq, now, r, c, epoch))
        by_crs(sensors, lambda r, c: SensorBatch(SCHEMA_VERSION, source, seq, now, r, c, epoch))
        by_crs(incidents, lambda r, c: IncidentBatch(SCHEMA_VERSION, source, seq, now, r, c, epoch))
        if metrics:
            frames.append(encode(MetricBatch(SCHEMA_VERSION, source, seq, now, metrics, epoch)))
        return frames, seqs


def snapshot_end_frame(seqs: dict[str, int]) -> bytes:
    return KTHXBAI + msgspec.msgpack.encode(seqs)


class SnapshotServer(ServiceThread):
    """A ROUTER in its own thread answering snapshot requests from the shared ``StateCache``."""

    def __init__(
        self,
        context: zmq.Context,
        endpoint: str,
        cache: StateCache,
        source: str,
        secure: Callable[[zmq.Socket], None] | None = None,
    ) -> None:
        super().__init__("feed-snapshot-server", supervise=False)  # its socket is bound once, here
        self.cache = cache
        self.source = source
        self._socket = context.socket(zmq.ROUTER)
        self._socket.setsockopt(zmq.LINGER, 0)
        self._socket.setsockopt(zmq.SNDHWM, 0)
        self._socket.setsockopt(zmq.MAXMSGSIZE, MAX_REQUEST_BYTES)
        if secure:
            secure(self._socket)
        self._socket.bind(endpoint)
        self.endpoint: str = self._socket.getsockopt_string(zmq.LAST_ENDPOINT)
        self.served = 0

    def start(self) -> None:
        self._start_unwaited()

    def _run(self) -> None:
        sock = self._socket
        try:
            while not self._stop.is_set():
                if not sock.poll(100):
                    continue
                parts = sock.recv_multipart()
                if len(parts) < 2 or parts[-1] != ICANHAZ:
                    log.warning("snapshot server: ignoring a request that is not %r", ICANHAZ)
                    continue
                identity = parts[0]
                frames, seqs = self.cache.snapshot_frames(self.source)
                for f in frames:
                    sock.send_multipart([identity, f])
                sock.send_multipart([identity, snapshot_end_frame(seqs)])
                self.served += 1
        finally:
            sock.close(0)

    def stop(self, timeout_s: float = 2.0) -> None:
        alive = self._thread.is_alive()
        super().stop(timeout_s)
        if not alive and not self._socket.closed:
            self._socket.close(0)


class SnapshotTimeoutError(TimeoutError):
    pass


def fetch_snapshot(
    context: zmq.Context,
    endpoint: str,
    sub: zmq.Socket,
    timeout_s: float,
    secure: Callable[[zmq.Socket], None] | None = None,
    max_queued: int = 1_000_000,
    max_frame_bytes: int = -1,
) -> tuple[list[bytes], dict[str, int], list[bytes]]:
    """Ask for the state while queueing live updates from ``sub`` (already subscribed).

    Returns (snapshot frames, sequence per source, queued live frames). Raises ``SnapshotTimeoutError``
    with the queued frames attached when no complete answer arrives in time. ``max_frame_bytes``
    (-1: no limit) bounds each snapshot frame inside ZeroMQ, before it reaches memory.
    """
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.setsockopt(zmq.MAXMSGSIZE, max_frame_bytes)
    dealer.setsockopt(zmq.RCVHWM, 0)
    if secure:
        secure(dealer)
    dealer.connect(endpoint)
    queued: list[bytes] = []
    snapshot: list[bytes] = []
    poller = zmq.Poller()
    poller.register(sub, zmq.POLLIN)
    poller.register(dealer, zmq.POLLIN)
    deadline = time.monotonic() + timeout_s
    try:
        dealer.send(ICANHAZ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                err = SnapshotTimeoutError(f"no snapshot from {endpoint} within {timeout_s:g} s")
                err.queued = queued  # type: ignore[attr-defined]
                raise err
            events = dict(poller.poll(int(min(left, 0.1) * 1000) + 1))
            if sub in events:
                try:
                    while len(queued) < max_queued:
                        queued.append(sub.recv(zmq.NOBLOCK))
                except zmq.Again:
                    pass
            if dealer in events:
                try:
                    while True:
                        frame = dealer.recv(zmq.NOBLOCK)
                        if frame.startswith(KTHXBAI):
                            seqs = msgspec.msgpack.decode(frame[len(KTHXBAI) :], type=dict[str, int])
                            return snapshot, seqs, queued
                        snapshot.append(frame)
                except zmq.Again:
                    pass
    finally:
        dealer.close(0)
