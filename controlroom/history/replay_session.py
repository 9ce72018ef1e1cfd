"""One replay of an app instance: the history player writing into the instance's ``LiveState``.

Entering shows the replay's own models (``ReplayModels``) at a past instant through
``LiveState.enter_replay``; every step writes the next frame into them and announces it as a
``Source.HISTORY`` change, so every view that draws the live state draws the past; the live
sources keep writing ``state.live`` unseen (and the recorder keeps recording), so leaving is
instant and current. Qt-free.

A step has two halves: ``build`` (reading and decoding history: tens of milliseconds at 50,000
entities, safe on any thread) and ``show`` (writing a built frame into the models: cheap, on
the thread that owns the state). ``enter``/``seek``/``step``/``pause`` do both at once for
callers without a GUI; the app builds on its replay thread (``ReplayWorker``) and shows on the
GUI thread.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from pathlib import Path

from controlroom.history.player import AlarmState, Frame, HistoryPlayer, Tick
from controlroom.history.query import HistoryReader
from controlroom.history.replay_models import ReplayModels
from controlroom.live import FeedModels, LiveState, Mode
from controlroom.live.desk import DispatchDesk
from controlroom.live.events import DeskChanged, Source


def _unheard(_event: object) -> None:
    """The replay's own desk announces nothing: the state announces the swap (``DeskChanged``)."""


class Show(enum.IntEnum):
    """How a built frame goes on screen (a larger value includes what a smaller one does)."""

    STEP = 0  # the playing clock moved on: an update, trails grow
    JUMP = 1  # a drag or previous/next event (enters replay when live): the picture is replaced
    SETTLE = 2  # the clock stopped: as JUMP, with trails rebuilt from history


class ReplaySession:
    """The past on screen: ``enter(t)``, ``step(wall_s)``, ``seek(t)``, ``leave()``."""

    def __init__(
        self, state: LiveState, history: Path | HistoryPlayer, clock: Callable[[], float] = time.time
    ):
        self.state = state
        self.player = history if isinstance(history, HistoryPlayer) else HistoryPlayer(HistoryReader(history))
        self.models = ReplayModels(clock=clock)
        self.feed_models = FeedModels(self.models.entities, self.models.sensors, self.models.incidents,
                                      self.models.metrics)  # fmt: skip
        self.frame: Frame | None = None
        self.clock = clock
        #: The desk as it stood (the incident board's rows, units, timelines): a desk of its own
        #: that nothing sends orders through.
        self.desk = DispatchDesk(_unheard)

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

    # ------------------------------------------------------------------ the two halves
    def build(self, t: float, how: Show = Show.JUMP) -> Frame:
        """Read and decode the picture at ``t`` (any thread; the player serialises its reader)."""
        trails = self.models.entities.trail_points if how is Show.SETTLE else 0
        return self.player.build(t, trails=trails)

    def show(self, frame: Frame, how: Show) -> None:
        """Put a built frame on screen (the state's thread)."""
        desk_moved = self._show_desk(frame)
        self._show_frame(frame, how)
        if desk_moved and self.active:
            self.state.emit(DeskChanged(frozenset(self.desk.details), units_changed=True, full=True))

    def _show_desk(self, frame: Frame) -> bool:
        past = frame.desk
        if past is None or (self.frame is not None and self.frame.desk is past and self.active):
            return False
        self.desk.details, self.desk.unit_rows = dict(past.details), dict(past.units)
        self.desk.timelines = dict(past.timelines)
        self.state.past_desk = self.desk
        return True

    def _show_frame(self, frame: Frame, how: Show) -> None:
        if how is Show.STEP:
            if not self.active:  # went live meanwhile: a late step has nothing to show
                return
            change = self.models.show(frame)
            self.frame = frame
            self.state.replay_at = frame.time
            self.state.apply(change, source=Source.HISTORY, at=frame.time)
            return
        self.models.show(frame)
        if how is Show.SETTLE:
            self.models.settle_trails(frame)
        self.frame = frame
        if self.active:
            self.state.replace_all(self.feed_models, at=frame.time)
        else:
            self.state.enter_replay(self.feed_models, at=frame.time)

    # ------------------------------------------------------------------ the clock, at once
    def enter(self, t: float) -> Frame:
        """Show ``t``; the clock stands still until ``play``."""
        self.player.playing = False
        self.player.time = t
        frame = self.build(t)
        self.show(frame, Show.JUMP)
        return frame

    def seek(self, t: float) -> Frame:
        """Jump (a drag on the bar, previous/next event); trails restart there."""
        self.player.time = t
        frame = self.build(t)
        self.show(frame, Show.JUMP)
        return frame

    def play(self, speed: int | None = None) -> None:
        if speed is not None:
            self.player.set_speed(speed)
        self.player.playing = True

    def pause(self) -> None:
        """Stop the clock; trails are rebuilt from history for the instant shown."""
        self.player.playing = False
        if self.active and self.frame is not None:
            self.show(self.build(self.frame.time, Show.SETTLE), Show.SETTLE)

    def next_time(self, wall_s: float) -> float | None:
        """Move the playing clock on by ``wall_s`` of wall time: the instant to show next, or None
        when paused, LIVE, or when playing forward passed now (then it went back to live: there is
        no future to show)."""
        if not self.active or not self.player.playing:
            return None
        if self.player.speed > 0 and self.player.time + wall_s * self.player.speed >= self.clock():
            self.leave()
            return None
        self.player.time += wall_s * self.player.speed
        return self.player.time

    def step(self, wall_s: float) -> Frame | None:
        """``next_time`` built and shown at once; None when nothing moved."""
        t = self.next_time(wall_s)
        if t is None:
            return None
        frame = self.build(t, Show.STEP)
        self.show(frame, Show.STEP)
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
        self.player.close()
