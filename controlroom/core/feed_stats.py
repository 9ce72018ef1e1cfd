"""Feed health counters: what arrived, what was applied, what was rejected and why, per source.

Written by the feed threads once per drained batch (never per message, so the lock is cheap),
by the pump once per tick (``records_applied``, ``coalesced``: plain updates), and read by the
status widget and ``controlroom feed stats``. Message-level rejects (undecodable, wrong schema,
unknown kind, oversize, duplicate …) count messages; record-level rejects (NaN, out of extent,
invalid record) count records, so
``received == applied + skipped + message rejects`` (skipped: already in a late joiner's snapshot).
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass, field

#: Reasons that reject a whole message (counted in messages).
MESSAGE_REASONS = (
    "undecodable",
    "malformed",
    "schema_version",
    "unknown_kind",
    "topic_mismatch",
    "oversize",
    "too_deep",
    "duplicate",
    "stale_epoch",
    "decode_failed",
    "internal_error",
)
#: Reasons that reject one record inside an otherwise good message (counted in records).
RECORD_REASONS = ("non_finite", "out_of_extent", "unknown_crs", "invalid_record", "buffer_full")
REASONS = MESSAGE_REASONS + RECORD_REASONS


@dataclass
class SourceStats:
    """One publisher as seen from here.

    ``last_heard`` is when data from it was last *accepted* (a wall that rejects everything a
    source sends must not call it live); ``epoch`` is the run its sequence numbers belong to
    (None until the first message), ``retired`` the runs it has left.
    """

    last_seq: int = 0
    last_heard: float = 0.0
    epoch: int | None = None
    retired: tuple[int, ...] = ()
    #: When the first message of the current run arrived (0: before any).
    run_heard: float = 0.0
    received: int = 0
    gaps: int = 0
    duplicates: int = 0
    restarts: int = 0


@dataclass
class BatchCounts:
    """What one drained batch did; merged into ``FeedStats`` in one locked step."""

    received: int = 0
    bytes: int = 0
    applied: int = 0
    #: Updates already contained in the snapshot a late joiner started from (neither applied nor bad).
    skipped: int = 0
    records: int = 0
    rejected: Counter[str] = field(default_factory=Counter)


class FeedStats:
    """Thread-safe totals plus a sliding-window message rate."""

    def __init__(self, rate_window_s: float = 5.0) -> None:
        self._lock = threading.Lock()
        self.received = 0
        self.bytes = 0
        self.applied = 0
        self.skipped = 0
        self.records = 0
        #: Records the pump wrote into the models, and those superseded before it could. The pump
        #: (one thread) is their only writer: plain updates, no lock; a reader sees each whole.
        self.records_applied = 0
        self.coalesced = 0
        self.rejected: Counter[str] = Counter()
        self.sources: dict[str, SourceStats] = {}
        #: Times the feed thread died and was restarted by its supervisor, and what it last died of.
        self.thread_restarts = 0
        self.thread_error = ""
        #: Connections to a publisher that dropped (it stopped, the network, or a frame over the limit).
        self.disconnects = 0
        #: The feed broker (NATS / MQTT transport): "up", "down" (with why), or "" (none, ZeroMQ).
        self.link = ""
        self.link_detail = ""
        self._window = rate_window_s
        self._samples: deque[tuple[float, int]] = deque()

    def merge(self, batch: BatchCounts, now: float) -> None:
        with self._lock:
            self.received += batch.received
            self.bytes += batch.bytes
            self.applied += batch.applied
            self.skipped += batch.skipped
            self.records += batch.records
            self.rejected.update(batch.rejected)
            self._samples.append((now, self.received))
            while len(self._samples) > 2 and self._samples[0][0] < now - self._window:
                self._samples.popleft()

    def note_thread_restart(self, error: str) -> None:
        """Called by the supervisor each time it restarts a dead feed thread."""
        with self._lock:
            self.thread_restarts += 1
            self.thread_error = error

    def note_link(self, state: str, detail: str) -> None:
        """Called by a broker subscriber: connected to its broker ("up"), or not ("down", and why)."""
        with self._lock:
            self.link, self.link_detail = state, detail

    def note_disconnect(self) -> None:
        with self._lock:
            self.disconnects += 1

    def source(self, name: str) -> SourceStats:
        """The per-source entry (created on first sight); only the feed thread mutates it."""
        s = self.sources.get(name)
        if s is None:
            with self._lock:  # readers iterate ``sources`` under the lock
                s = self.sources[name] = SourceStats()
        return s

    @property
    def gaps(self) -> int:
        return sum(s.gaps for s in list(self.sources.values()))

    @property
    def duplicates(self) -> int:
        return sum(s.duplicates for s in list(self.sources.values()))

    def rate(self, now: float) -> float:
        """Messages per second over the last few seconds (0 once the feed has been silent that long)."""
        with self._lock:
            if len(self._samples) < 2 or now - self._samples[-1][0] > self._window:
                return 0.0
            (t0, n0), (t1, n1) = self._samples[0], self._samples[-1]
            return (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0

    def snapshot(self, now: float) -> dict[str, object]:
        """A JSON-ready copy for displays and ``feed stats --json``."""
        rate = self.rate(now)
        with self._lock:
            sources = {
                name: {
                    "last_seq": s.last_seq,
                    "last_heard_s_ago": round(max(0.0, now - s.last_heard), 3),
                    "received": s.received,
                    "gaps": s.gaps,
                    "duplicates": s.duplicates,
                    "restarts": s.restarts,
                    "epoch": s.epoch or 0,
                }
                for name, s in self.sources.items()
            }
            return {
                "received": self.received,
                "applied": self.applied,
                "rejected": dict(sorted(self.rejected.items())),
                "skipped": self.skipped,
                "records": self.records,
                "records_applied": self.records_applied,
                "coalesced": self.coalesced,
                "gaps": sum(s["gaps"] for s in sources.values()),
                "duplicates": sum(s["duplicates"] for s in sources.values()),
                "bytes": self.bytes,
                "msgs_per_s": round(rate, 1),
                "restarts": sum(s["restarts"] for s in sources.values()),
                "thread_restarts": self.thread_restarts,
                "thread_error": self.thread_error,
                "disconnects": self.disconnects,
                "link": self.link,
                "link_detail": self.link_detail,
                "sources": sources,
            }
