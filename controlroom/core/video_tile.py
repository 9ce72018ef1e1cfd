"""What a video tile is doing and when it should try again: Qt-free, driven by events and a clock.

Operators trust a video wall only if every tile says honestly what it shows: *connecting*,
*live*, *stalled* (connected but no picture for a while: the frame on screen is old) or *error*
with the reason. A tile that failed retries on its own with exponential back-off (1 s, 2 s, 4 s
… capped), so a camera that comes back reappears without anyone clicking, and a dead camera
does not hammer the network. The Qt widget feeds this machine player events and asks it, on a
timer, whether to (re)open the stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class TileState(StrEnum):
    IDLE = "idle"  # no camera, or hidden (not decoding)
    CONNECTING = "connecting"
    LIVE = "live"
    STALLED = "stalled"
    ERROR = "error"


class TileAction(StrEnum):
    RECONNECT = "reconnect"  # close the player and open the stream again


@dataclass
class Backoff:
    """Delays between reconnect attempts: initial, × factor each failure, at most ``maximum``."""

    initial_s: float = 1.0
    factor: float = 2.0
    maximum_s: float = 30.0
    failures: int = 0

    def next_delay(self) -> float:
        delay = min(self.maximum_s, self.initial_s * self.factor**self.failures)
        self.failures += 1
        return delay

    def reset(self) -> None:
        self.failures = 0


@dataclass
class TileMachine:
    """State of one tile. Times are seconds on any monotonic clock the caller uses."""

    stall_after_s: float = 3.0  # live with no new frame this long → stalled
    reconnect_stalled_after_s: float = 10.0  # stalled this long → drop the connection, reconnect
    connect_timeout_s: float = 15.0  # connecting with no first frame this long → error, retry
    backoff: Backoff = field(default_factory=Backoff)
    state: TileState = TileState.IDLE
    reason: str = ""
    last_frame_at: float | None = None
    frames: int = 0
    retry_at: float | None = None
    _since: float = 0.0

    def open(self, now: float) -> None:
        """A stream was (re)opened: wait for its first frame."""
        self.state = TileState.CONNECTING
        self.reason = ""
        self.retry_at = None
        self._since = now

    def close(self) -> None:
        """Not decoding (no camera, or the tile is hidden); keeps nothing pending."""
        self.state = TileState.IDLE
        self.reason = ""
        self.retry_at = None

    def on_frame(self, now: float) -> None:
        self.frames += 1
        self.last_frame_at = now
        if self.state in (TileState.CONNECTING, TileState.STALLED):
            self.state = TileState.LIVE
            self.reason = ""
            self.backoff.reset()
        elif self.state == TileState.ERROR:
            # Pictures after an error (a late error from the previous connection, or a decoder that
            # recovered): the tile is live; the back-off is kept in case the error comes back.
            self.state = TileState.LIVE
            self.reason = ""
            self.retry_at = None

    def on_error(self, now: float, reason: str) -> None:
        """The player failed (bad URL, refused, decoder error) or the stream ended: retry later."""
        if self.state == TileState.IDLE:
            return
        if self.state == TileState.ERROR:  # players repeat an error per packet: one failure, one delay
            self.reason = reason or self.reason
            return
        self.state = TileState.ERROR
        self.reason = reason
        self.retry_at = now + self.backoff.next_delay()

    def tick(self, now: float) -> TileAction | None:
        """Advance time-based transitions; RECONNECT when the caller should reopen the stream."""
        if self.state == TileState.LIVE and self._frame_age(now) > self.stall_after_s:
            self.state = TileState.STALLED
            self.reason = "no picture"
        elif self.state == TileState.STALLED and self._frame_age(now) > self.reconnect_stalled_after_s:
            self.on_error(now, "stream stalled")
        elif self.state == TileState.CONNECTING and now - self._since > self.connect_timeout_s:
            self.on_error(now, f"no picture after {self.connect_timeout_s:.0f} s")
        if self.state == TileState.ERROR and self.retry_at is not None and now >= self.retry_at:
            self.open(now)
            return TileAction.RECONNECT
        return None

    def frame_age(self, now: float) -> float | None:
        """Seconds since the last frame, or None before the first one."""
        return None if self.last_frame_at is None else max(0.0, now - self.last_frame_at)

    def retry_in(self, now: float) -> float | None:
        return None if self.retry_at is None else max(0.0, self.retry_at - now)

    def _frame_age(self, now: float) -> float:
        return now - (self.last_frame_at if self.last_frame_at is not None else self._since)
