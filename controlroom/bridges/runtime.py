"""A bridge's main loop: upstream messages in (any thread), our feed out (this thread only).

The upstream client (``mqtt``, ``nats``, ``gtfs`` modules) runs its own threads and only calls
``deliver`` / ``upstream`` / ``fail``, which are thread-safe; everything that touches the
``FeedPublisher`` happens in ``run`` on one thread (ZeroMQ sockets are not thread-safe). A
heartbeat goes out every ``heartbeat_s`` while the upstream is connected and fresh, so the app
sees a bridge whose broker is down (or whose GTFS-RT feed is stale) fall silent instead of
showing old data as live. Counts and state are also written to a small JSON status file that
``controlroom bridge list`` reads.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any

from controlroom.bridges.decode import PayloadError, gtfs_feed, json_items
from controlroom.bridges.mapping import Mapper, MapResult
from controlroom.bridges.records import finish
from controlroom.core.protocol import (
    ENTITY_KINDS,
    ENTITY_STATUSES,
    FleetFrame,
    Incident,
    MetricPoint,
    Position,
    SensorReading,
)
from controlroom.core.source_config import SourceConfig
from controlroom.feed.fleet import fleet_frame
from controlroom.feed.publisher import FeedPublisher
from controlroom.feed.validate import Extent, RejectLog

log = logging.getLogger(__name__)

_KIND_CODE = {k: i for i, k in enumerate(ENTITY_KINDS)}
_id = attrgetter("id")
_STATUS_CODE = {k: i for i, k in enumerate(ENTITY_STATUSES)}


def fleet_of(positions: list[Position]) -> FleetFrame:
    """Positions (all WGS 84, distinct ids) as one columnar fleet frame (docs/protocol.md)."""
    return fleet_frame(
        [r.id for r in positions],
        [r.x for r in positions],
        [r.y for r in positions],
        heading=[r.heading for r in positions],
        speed=[r.speed for r in positions],
        kind=[_KIND_CODE[r.kind] for r in positions],
        status=[_STATUS_CODE[r.status] for r in positions],
        ts=time.time(),
    )


#: Upstream messages waiting for the publishing thread; beyond this they are refused (``bridge_full``).
INBOX_MAX = 200_000


def status_dir() -> Path:
    """``$CONTROLROOM_STATE_DIR/bridges``, else ``$CONTROLROOM_CACHE_DIR/bridges``, else the user cache."""
    from controlroom.core.user_dirs import cache_dir

    value = os.environ.get("CONTROLROOM_STATE_DIR")
    return Path(value) / "bridges" if value else cache_dir("bridges")


def status_path(site_name: str, source: str) -> Path:
    return status_dir() / site_name / f"{source}.json"


class BridgeFailedError(RuntimeError):
    """The upstream refused us for good (wrong password, no such host …); the message names the source."""


@dataclass
class BridgeCounts:
    messages: int = 0
    records: int = 0
    published: int = 0
    rejected: Counter[str] = field(default_factory=Counter)


class Bridge:
    """Maps and publishes one source. ``run(stop)`` on the thread that owns ``publisher``."""

    def __init__(
        self,
        source: SourceConfig,
        extent: Extent,
        publisher: FeedPublisher,
        *,
        status_file: Path | None = None,
        clock: Any = time.time,
        batch_max: int = 2000,
        gather_s: float = 0.005,
    ) -> None:
        self.source = source
        self.extent = extent
        self.publisher = publisher
        self.mapper = Mapper(source)
        self.status_file = status_file
        self.clock = clock
        self.batch_max = batch_max
        self.gather_s = gather_s
        self.counts = BridgeCounts()
        self.reject_log = RejectLog(logger=log)
        #: "connecting", "live", "down", "stale", "failed", "stopped".
        self.state = "connecting"
        self.detail = ""
        self.feed_time = 0.0  # GTFS-RT: the newest header timestamp seen
        #: Upstream threads append, ``run`` pops: deque operations are atomic, so no lock per message.
        self._inbox: deque[tuple[str, bytes]] = deque()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._failure: str | None = None
        self._entities: set[str] = set()
        #: The rate is taken over a window long enough to hold a few polls of a GTFS-RT feed, so a
        #: source that speaks every 15 s reads as live, not as silent between its messages.
        self.rate_window_s = max(5.0, 2.5 * source.poll_s) if source.kind == "gtfs-rt" else 5.0
        self._window: deque[tuple[float, int]] = deque()
        self._window_messages = 0
        self._started = clock()
        self.rate_hz = 0.0

    # ------------------------------------------------------------- called from upstream threads

    def deliver(self, topic: str, payload: bytes) -> None:
        inbox = self._inbox
        if len(inbox) >= INBOX_MAX:
            with self._lock:
                self.counts.rejected["bridge_full"] += 1
            return
        inbox.append((topic, payload))
        if not self._wake.is_set():
            self._wake.set()

    def upstream(self, state: str, detail: str = "") -> None:
        with self._lock:
            if self.state != state:  # logged on a change of state; the detail (an age …) may tick
                log.warning("source %s: %s%s", self.source.name, state, f" ({detail})" if detail else "")
            self.state, self.detail = state, detail

    def fail(self, message: str) -> None:
        """Give up: ``run`` returns and raises ``BridgeFailedError(message)``."""
        with self._lock:
            self._failure = message
            self.state, self.detail = "failed", message

    # ------------------------------------------------------------- the publishing thread

    def run(self, stop: threading.Event) -> None:
        beat = self.source.heartbeat_s
        next_beat = self.clock() + beat
        try:
            while not stop.is_set():
                if self._failure:
                    raise BridgeFailedError(self._failure)
                inbox = self._inbox
                if not inbox:
                    self._wake.clear()
                    if not inbox:  # an append between the check and the clear set it again
                        self._wake.wait(max(0.0, min(next_beat - self.clock(), 0.2)))
                    if inbox and self.gather_s:
                        # woken by the first message of a burst: let the rest arrive, so the upstream
                        # thread is not interrupted for every message and they go out as one batch
                        time.sleep(self.gather_s)
                if inbox:
                    popleft = inbox.popleft
                    batch = [popleft() for _ in range(min(len(inbox), self.batch_max))]
                    self.handle_many(batch)  # what queued up goes out in one batch per kind
                now = self.clock()
                if now >= next_beat:
                    self._tick(now)
                    next_beat = now + beat
        finally:
            if self.state != "failed":
                self.state = "stopped"
            self.write_status(self.clock())

    def handle(self, topic: str, payload: bytes) -> MapResult:
        """One upstream message: decode, map, convert, check, publish. Returns what happened."""
        return self.handle_many([(topic, payload)])

    def handle_many(self, messages: list[tuple[str, bytes]]) -> MapResult:
        """Upstream messages that queued up together: mapped one by one, published as one batch per kind."""
        now = self.clock()
        total = MapResult()
        if self.source.kind == "gtfs-rt":
            for topic, payload in messages:
                self._map(topic, payload, now, total)
        else:
            self.mapper.apply_json(messages, now, total)
        self.counts.messages += len(messages)
        self._window_messages += len(messages)
        ready = finish(total, self.extent)
        self._publish(ready)
        self.counts.rejected.update(total.rejected)
        for reason, n in total.rejected.items():
            self.reject_log(reason, f"{n}× {total.details.get(reason, '')}", self.source.name)
        return total

    def _map(self, topic: str, payload: bytes, now: float, result: MapResult) -> None:
        try:
            if self.source.kind == "gtfs-rt":
                feed = gtfs_feed(payload)
                self.feed_time = max(self.feed_time, feed.timestamp)
                age = now - feed.timestamp
                if age > self.source.stale_after_s:
                    result.reject(
                        "stale_feed",
                        f"{topic}: header timestamp {age:.0f} s old (limit {self.source.stale_after_s:g} s)",
                    )
                    self.upstream("stale", f"feed {age:.0f} s old")
                else:
                    for part, entities in feed.parts.items():
                        if entities and self.mapper.maps_for(part):
                            self.mapper.apply(part, entities, feed.timestamp or now, result)
            else:
                self.mapper.apply(topic, json_items(payload), now, result)
        except PayloadError as exc:
            result.reject(exc.reason, f"{topic}: {exc.detail}")

    def _publish(self, ready: dict[str, list[Any]]) -> None:
        pub = self.publisher
        for kind, records in ready.items():
            self.counts.records += len(records)
            if kind == "position":
                positions = [r for r in records if isinstance(r, Position)]
                if self.source.kind == "gtfs-rt" and len({r.id for r in positions}) == len(positions):
                    pub.send(fleet_of(positions))  # a poll is the whole fleet: one columnar frame
                else:
                    pub.positions(positions)
                self._entities.update(map(_id, records))
            elif kind == "sensor":
                pub.sensors([r for r in records if isinstance(r, SensorReading)])
            elif kind == "incident":
                pub.incidents([r for r in records if isinstance(r, Incident)])
            elif kind == "metric":
                pub.metrics([r for r in records if isinstance(r, MetricPoint)])
            self.counts.published += len(records)

    def _tick(self, now: float) -> None:
        window = self._window
        window.append((now, self._window_messages))
        self._window_messages = 0
        while window and window[0][0] < now - self.rate_window_s:
            window.popleft()
        span = min(self.rate_window_s, max(now - self._started, 1e-6))
        self.rate_hz = sum(n for _, n in window) / span
        if self.source.kind == "gtfs-rt" and self.state in ("live", "stale") and self.feed_time:
            age = now - self.feed_time
            if age > self.source.stale_after_s:
                self.upstream("stale", f"feed {age:.0f} s old")
            elif self.state == "stale":
                self.upstream("live")
        if self.state == "live":
            self.publisher.heartbeat(self.rate_hz, len(self._entities))
        self.write_status(now)

    def status(self, now: float) -> dict[str, Any]:
        return {
            "source": self.source.name,
            "kind": self.source.kind,
            "pid": os.getpid(),
            "state": self.state,
            "detail": self.detail,
            "publish": self.publisher.endpoint,
            "login": self.publisher.login,
            "messages": self.counts.messages,
            "records": self.counts.records,
            "published": self.counts.published,
            "rejected": dict(sorted(self.counts.rejected.items())),
            "rate_hz": round(self.rate_hz, 2),
            "entities": len(self._entities),
            "feed_time": self.feed_time or None,
            "updated": now,
        }

    def write_status(self, now: float) -> None:
        if self.status_file is None:
            return
        try:
            self.status_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.status_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.status(now)), encoding="utf-8")
            tmp.replace(self.status_file)
        except OSError as exc:  # a status file is a convenience; the bridge keeps bridging
            log.warning("cannot write %s: %s", self.status_file, exc)
