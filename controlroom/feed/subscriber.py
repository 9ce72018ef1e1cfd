"""The feed thread: owns its SUB socket, drains in batches, hands frames to the ``Ingestor``.

pyzmq sockets are not thread-safe, so this thread creates, uses and closes its own context and
sockets; the only things it shares are the coalescing buffer and the stats, both locked. It
polls with a short timeout so ``stop()`` takes effect within ~50 ms, and drains with
``recv(NOBLOCK)`` until empty or ``batch_max`` (measured: costs nothing over a blocking loop).

Frames over the ingestor's ``max_frame_bytes`` are refused by ZeroMQ itself (``ZMQ_MAXMSGSIZE``),
before they are in memory: libzmq drops such a frame together with the connection it came on,
and the socket reconnects (messages lost meanwhile show as gaps). A frame that breaks decoding is
counted by the ingestor and the loop goes on; should the thread die anyway, its supervisor
(``ServiceThread``) restarts it and the count shows in the stats (``thread_restarts``).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence

import zmq
from zmq.utils.monitor import recv_monitor_message

from controlroom.feed.clone import SnapshotTimeoutError, fetch_snapshot
from controlroom.feed.ingest import Ingestor
from controlroom.feed.keys import ClientSecurity, check_plaintext
from controlroom.feed.service_thread import FeedThread

log = logging.getLogger(__name__)


class FeedSubscriber(FeedThread):
    """Start with ``start()``, stop with ``stop()``; never touches Qt or the models."""

    def __init__(
        self,
        endpoints: str | Sequence[str],
        ingestor: Ingestor,
        *,
        snapshot_endpoint: str | None = None,
        security: ClientSecurity | None = None,
        insecure: bool = False,
        topics: Sequence[bytes] = (b"",),
        batch_max: int = 5000,
        poll_ms: int = 50,
        snapshot_timeout_s: float = 3.0,
        rcvhwm: int = 0,
        more_snapshots: Sequence[str] = (),
    ) -> None:
        endpoints = [endpoints] if isinstance(endpoints, str) else list(endpoints)
        if security is None:
            for e in [*endpoints, *([snapshot_endpoint] if snapshot_endpoint else []), *more_snapshots]:
                check_plaintext(e, insecure)
        super().__init__("feed-subscriber", ingestor, endpoints)
        self.snapshot_endpoint = snapshot_endpoint
        #: Other publishers' snapshot servers (bridges that keep one), asked after ``snapshot_endpoint``.
        self.more_snapshots = list(more_snapshots)
        self.security = security
        self.topics = list(topics)
        self.batch_max = batch_max
        self.poll_ms = poll_ms
        self.snapshot_timeout_s = snapshot_timeout_s
        self.rcvhwm = rcvhwm

    def _run(self) -> None:
        self.state = "connecting"
        ctx = zmq.Context()
        sub = ctx.socket(zmq.SUB)
        monitor = sub.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        try:
            sub.setsockopt(zmq.LINGER, 0)
            sub.setsockopt(zmq.RCVHWM, self.rcvhwm)
            sub.setsockopt(zmq.MAXMSGSIZE, self.ingestor.max_frame_bytes)
            if self.security:
                self.security.apply(sub)
            for t in self.topics:
                sub.setsockopt(zmq.SUBSCRIBE, t)
            for e in self.endpoints:
                sub.connect(e)
            if self.snapshot_endpoint or self.more_snapshots:
                self._late_join(ctx, sub)
            self.state = "live" if self.state == "connecting" else self.state
            self._ready.set()
            self._drain_loop(sub, monitor)
        except BaseException as exc:  # reported to start(), or logged and restarted by the supervisor
            self._failed(exc)
        finally:
            self._ready.set()
            sub.disable_monitor()
            monitor.close(0)
            sub.close(0)
            ctx.term()
            self._ended()

    def _late_join(self, ctx: zmq.Context, sub: zmq.Socket) -> None:
        """Each snapshot server in turn (live updates queued meanwhile), then the queue.

        A server that does not answer is logged and skipped: its publisher's picture fills in
        with its next updates ("snapshot failed (live only)").
        """
        self.state = "snapshot"
        secure = self.security.apply if self.security else None
        ingestor = self.ingestor
        frames: list[bytes] = []
        seqs: dict[str, int] = {}
        queued: list[bytes] = []
        failed = False
        for endpoint in [e for e in (self.snapshot_endpoint, *self.more_snapshots) if e]:
            try:
                got, got_seqs, got_queued = fetch_snapshot(
                    ctx,
                    endpoint,
                    sub,
                    self.snapshot_timeout_s,
                    secure,
                    max_frame_bytes=ingestor.max_frame_bytes,
                )
            except SnapshotTimeoutError as exc:
                log.warning("%s; continuing with live updates only", exc)
                failed = True
                queued.extend(getattr(exc, "queued", []))
                continue
            frames.extend(got)
            seqs.update(got_seqs)
            queued.extend(got_queued)
        counts = ingestor.ingest(frames, snapshot=True)
        self.snapshot_records = counts.records
        for source, seq in seqs.items():
            ingestor.stats.source(source).last_seq = seq
        ingestor.skip_upto = dict(seqs)
        for i in range(0, len(queued), self.batch_max):
            ingestor.ingest(queued[i : i + self.batch_max])
        self.state = "snapshot failed (live only)" if failed else "live"

    def _reconnect(self, sub: zmq.Socket, monitor: zmq.Socket) -> None:
        """Connect again to publishers whose connection dropped.

        libzmq reconnects by itself after a network error, but not after a protocol error, and a
        frame over ``MAXMSGSIZE`` is one: without this the wall would never hear that publisher
        again. Disconnect + connect is harmless where libzmq was reconnecting anyway.
        """
        while monitor.poll(0):
            event = recv_monitor_message(monitor)
            self.ingestor.stats.note_disconnect()
            dropped = event.get("endpoint", b"")
            text = dropped.decode(errors="replace") if isinstance(dropped, bytes) else str(dropped)
            for endpoint in [e for e in self.endpoints if e == text] or self.endpoints:
                with contextlib.suppress(zmq.ZMQError):  # already gone (the protocol-error case)
                    sub.disconnect(endpoint)
                sub.connect(endpoint)

    def _drain_loop(self, sub: zmq.Socket, monitor: zmq.Socket) -> None:
        recv = sub.recv
        noblock = zmq.NOBLOCK
        batch_max = self.batch_max
        ingest = self.ingestor.ingest
        watch = monitor.poll
        while not self._stop.is_set():
            if watch(0):
                self._reconnect(sub, monitor)
            if not sub.poll(self.poll_ms):
                continue
            frames: list[bytes] = []
            append = frames.append
            try:
                for _ in range(batch_max):
                    append(recv(noblock))
            except zmq.Again:
                pass
            ingest(frames, time.time())
