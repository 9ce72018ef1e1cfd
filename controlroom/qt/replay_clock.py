"""The instance's one clock, Qt side: LIVE, or REPLAY at a past instant driven by a timer.

A ``ReplaySession`` (Qt-free) writes the history player's frames into the live state, so every
panel that draws the state draws the past; this object runs it on a timer while playing, turns
the recorded alarm states into the alarm desk's list (``AlarmService.show_replay``) and tells
the bars (``sig_changed``). The live feed keeps filling the live models, and the recorder keeps
recording, while anyone replays. One per ``LiveCity`` (``replay_clock_for``).
"""

from __future__ import annotations

import logging
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal, Slot

from controlroom.history.player import SPEEDS, Tick
from controlroom.live import Mode

if TYPE_CHECKING:
    from controlroom.history.replay_session import ReplaySession
    from controlroom.qt.live import LiveCity

log = logging.getLogger(__name__)
#: Frames a second while playing (each a whole picture; the map draws at its own rate).
PLAY_HZ = 8.0
#: How far back the bar reaches (seconds).
SPAN_S = 3600.0
_clocks: weakref.WeakKeyDictionary[LiveCity, ReplayClock] = weakref.WeakKeyDictionary()


def replay_reason() -> str:
    """Why a world-changing action is off (a tooltip, a refusal)."""
    return QCoreApplication.translate(
        "ReplayClock",
        "Replay: the clock shows the past, so actions that change the world are off. Press End for live.",
    )


def replay_clock_for(live: LiveCity) -> ReplayClock:
    """The live city's one clock (made on first use)."""
    clock = _clocks.get(live)
    if clock is None:
        clock = _clocks[live] = ReplayClock(live)
    return clock


class ReplayClock(QObject):
    """LIVE or REPLAY; ``enter``/``seek``/``play``/``pause``/``set_speed``/``go_live``."""

    sig_changed = Signal()  # mode, time, speed or play state changed: bars redraw
    #: The clock jumped, started, stopped or went live (not each playing step): video re-seeks.
    sig_jumped = Signal()

    def __init__(self, live: LiveCity, history: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent if parent is not None else live)
        self.live = live
        self._history = history
        self.session: ReplaySession | None = None
        self.error = ""
        self._timer = QTimer(self)
        self._timer.setInterval(int(1000 / PLAY_HZ))
        self._timer.timeout.connect(self._on_timer)
        self._last = time.monotonic()
        self._alarm_key: tuple[object, ...] | None = None
        self._ticks: tuple[int, list[Tick]] | None = None
        live.sig_mode_changed.connect(self._on_mode)
        live.sig_stopped.connect(self.close)

    # ------------------------------------------------------------------ state
    @property
    def mode(self) -> Mode:
        return self.live.state.mode

    @property
    def replaying(self) -> bool:
        return self.mode is Mode.REPLAY

    @property
    def time(self) -> float:
        """The instant shown: the replay's, or now."""
        at = self.live.state.replay_at
        return at if self.replaying and at is not None else self.live.clock()

    @property
    def playing(self) -> bool:
        return self.session is not None and self.replaying and self.session.player.playing

    @property
    def speed(self) -> int:
        return self.session.player.speed if self.session is not None else 1

    def history_dir(self) -> Path:
        if self._history is not None:
            return self._history
        from controlroom.history.recorder import history_dir

        return history_dir(self.live.site)

    # ------------------------------------------------------------------ the clock
    def enter(self, t: float) -> bool:
        """Show the instant ``t`` (paused); False when there is no history to show (``error``)."""
        session = self._session()
        if session is None:
            return False
        session.seek(min(t, self.live.clock()))
        self._after_frame()
        self.sig_jumped.emit()
        return True

    def seek(self, t: float) -> None:
        if t >= self.live.clock():
            self.go_live()
            return
        if self.session is None or not self.replaying:
            self.enter(t)
            return
        self.session.seek(t)
        self._after_frame()
        self.sig_jumped.emit()

    def play(self) -> None:
        if self.session is None or not self.replaying:
            return
        self.session.play()
        self._last = time.monotonic()
        self._timer.start()
        self.sig_changed.emit()
        self.sig_jumped.emit()

    def pause(self) -> None:
        self._timer.stop()
        if self.session is not None and self.replaying:
            self.session.pause()
        self.sig_changed.emit()
        self.sig_jumped.emit()

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        elif self.replaying:
            self.play()

    def set_speed(self, speed: int) -> None:
        """±1…64×; negative plays backwards. From LIVE, a backwards speed starts a replay now."""
        if not self.replaying and speed < 0 and not self.enter(self.live.clock() - 1.0):
            return
        if self.session is not None:
            self.session.player.set_speed(speed)
        self.sig_changed.emit()

    def faster(self, direction: int) -> None:
        """One step along −64…−1, 1…64 (``direction`` +1 or −1)."""
        ladder = [-s for s in reversed(SPEEDS)] + list(SPEEDS)
        i = ladder.index(self.speed) + direction
        self.set_speed(ladder[max(0, min(len(ladder) - 1, i))])
        if self.replaying and not self.playing:
            self.play()

    def go_live(self) -> None:
        """Back to the live picture (one key: End)."""
        self._timer.stop()
        if self.session is not None:
            self.session.leave()
        self.sig_changed.emit()

    def ticks(self) -> list[Tick]:
        """Alarm and incident marks of the bar's span (read once a minute)."""
        now = self.live.clock()
        minute = int(now // 60)
        if self._ticks is None or self._ticks[0] != minute:
            session = self._session(quiet=True)
            marks: list[Tick] = []
            if session is not None:
                from controlroom.history.replay_alarms import alarm_rank

                try:
                    marks = session.ticks(now - SPAN_S, now, alarm_rank(self._rules()))
                except Exception:  # a history that cannot be read: no marks, the bar still works
                    log.exception("timeline: marks could not be read")
            self._ticks = (minute, marks)
        return self._ticks[1]

    def jump_event(self, forward: bool) -> None:
        """To the previous/next alarm or incident mark."""
        from controlroom.history.player import HistoryPlayer

        tick = HistoryPlayer.next_tick(self.ticks(), self.time, forward)
        if tick is not None:
            self.seek(tick.t)

    def close(self) -> None:
        self._timer.stop()
        if self.session is not None:
            self.session.close()
            self.session = None

    # ------------------------------------------------------------------ inside
    def _session(self, quiet: bool = False) -> ReplaySession | None:
        if self.session is None:
            path = self.history_dir()
            if not path.is_dir():
                if not quiet:  # asked to replay: say why not (the marks just stay empty)
                    text = QCoreApplication.translate("ReplayClock", "No history recorded at {0}")
                    self.error = text.format(path)
                    self.sig_changed.emit()
                return None
            from controlroom.history.replay_session import ReplaySession

            self.session = ReplaySession(self.live.state, path, clock=self.live.clock)
            self.error = ""
        return self.session

    @Slot()
    def _on_timer(self) -> None:
        now = time.monotonic()
        wall, self._last = now - self._last, now
        if self.session is None or self.session.step(wall) is None:
            if not self.replaying:
                self._timer.stop()
                self.sig_changed.emit()
            return
        self._after_frame()

    def _after_frame(self) -> None:
        self._show_alarms()
        self.sig_changed.emit()

    def _rules(self) -> list[object]:
        from controlroom.qt.alarm_service import existing_alarm_service

        service = existing_alarm_service(self.live)
        return service.rules if service is not None else []

    def _show_alarms(self) -> None:
        from controlroom.history.replay_alarms import replayed_alarms
        from controlroom.qt.alarm_service import existing_alarm_service

        service = existing_alarm_service(self.live)
        if service is None or self.session is None:
            return
        states = self.session.alarms
        key = tuple(states)
        if key == self._alarm_key:
            return
        self._alarm_key = key
        from controlroom.qt.i18n import current_language

        service.show_replay(replayed_alarms(states, service.rules, current_language()))

    def _on_mode(self, mode: object) -> None:
        if mode is Mode.LIVE:
            from controlroom.qt.alarm_service import existing_alarm_service

            self._timer.stop()
            self._alarm_key = None
            service = existing_alarm_service(self.live)
            if service is not None:
                service.show_replay(None)
            self.sig_jumped.emit()
        self.sig_changed.emit()
