"""One replay of an app instance: the history player writing into the instance's ``LiveState``.

Entering shows the replay's own models (``ReplayModels``) at a past instant through
``LiveState.enter_replay``; every step writes the next frame into them and announces it as a
``Source.HISTORY`` change, so every view that draws the live state draws the past; the live
sources keep writing ``state.live`` unseen (and the recorder keeps recording), so leaving is
instant and current. Qt-free: the Qt side only runs ``step`` on a timer and draws the bar.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from controlroom.history.player import AlarmState, Frame, HistoryPlayer, Tick
from controlroom.history.query import HistoryReader
from controlroom.history.replay_models import ReplayModels
from controlroom.live import FeedModels, LiveState, Mode
from controlroom.live.events import Source


class ReplaySession:
    """The past on screen: ``enter(t)``, ``step(wall_s)``, ``seek(t)``, ``leave()``."""

    def __init__(
        self, state: LiveState, history: Path | HistoryPlayer, clock: Callable[[], float] = time.time
    ):
        self.state = state
        self.player = history if isinstance(history, HistoryPlayer) else HistoryPlayer(HistoryReader(history))
        self.models = ReplayModels(self.player, clock=clock)
        self.feed_models = FeedModels(self.models.entities, self.models.sensors, self.models.incidents,
                                      self.models.metrics)  # fmt: skip
        self.frame: Frame | None = None
        self.clock = clock

    @property
    def active(self) -> bool:
        return self.state.mode is Mode.REPLAY

    @property
    def time(self) -> float:
        return self.player.time

    @property
    def alarms(self) -> list[AlarmState]:
        """The alarms as they stood at the shown instant (empty while LIVE)."""
        return self.frame.alarms if self.frame is not None and self.active else []

    def enter(self, t: float) -> Frame:
        """Show ``t``; the clock stands still until ``play``."""
        self.player.playing = False
        frame = self._show(self.player.seek(t))
        self.state.enter_replay(self.feed_models, at=frame.time)
        return frame

    def seek(self, t: float) -> Frame:
        """Jump (a drag on the bar, previous/next event); trails restart there."""
        if not self.active:
            return self.enter(t)
        frame = self._show(self.player.seek(t))
        self.state.replace_all(self.feed_models, at=frame.time)
        return frame

    def play(self, speed: int | None = None) -> None:
        if speed is not None:
            self.player.set_speed(speed)
        self.player.playing = True

    def pause(self) -> None:
        """Stop the clock; trails are rebuilt from history for the instant shown."""
        self.player.playing = False
        if self.active and self.frame is not None:
            self.models.settle_trails()
            self.state.replace_all(self.feed_models, at=self.frame.time)

    def step(self, wall_s: float) -> Frame | None:
        """Advance the playing clock by ``wall_s`` of wall time; None when paused or LIVE. Playing
        forward past now goes back to live (there is no future to show)."""
        if not self.active or not self.player.playing:
            return None
        if self.player.speed > 0 and self.player.time + wall_s * self.player.speed >= self.clock():
            self.leave()
            return None
        frame = self.player.advance(wall_s)
        change = self.models.show(frame)
        self.frame = frame
        self.state.replay_at = frame.time
        self.state.apply(change, source=Source.HISTORY, at=frame.time)
        return frame

    def leave(self) -> None:
        """Back to live: the live models, current, at once."""
        self.player.playing = False
        self.state.return_to_live()

    def ticks(self, t0: float, t1: float, alarm_rank: Callable[[str], int]) -> list[Tick]:
        return self.player.ticks(t0, t1, alarm_rank)

    def close(self) -> None:
        if self.active:
            self.leave()
        self.player.reader.close()

    def _show(self, frame: Frame) -> Frame:
        self.models.show(frame)
        self.frame = frame
        return frame
