"""The instance's one clock, Qt side: LIVE, or REPLAY at a past instant driven by a timer.

A ``ReplaySession`` (Qt-free) writes the history player's frames into the live state, so every
panel that draws the state draws the past. Frames are built on the replay thread
(``ReplayWorker``: only the newest instant asked for) and come back through the live city's
``GuiHandover``, where an answer older than the one on screen, or asked before going live, is
dropped; the GUI thread only writes a ready frame. This object runs the clock on a timer while
playing, turns the recorded alarm states into the alarm desk's list
(``AlarmService.show_replay``) and tells the bars (``sig_changed``). The live feed keeps
filling the live models, and the recorder keeps recording, while anyone replays. One per
``LiveCity`` (``replay_clock_for``).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal, Slot

from controlroom.history.player import SPEEDS, HistoryPlayer, Tick
from controlroom.history.replay_session import ReplaySession, Show
from controlroom.history.replay_worker import Built, Marks, ReplayWorker
from controlroom.live import Mode

if TYPE_CHECKING:
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
        self._marks_asked: int | None = None
        self.worker: ReplayWorker | None = None
        self._lock = threading.Lock()
        self._pending: Built | None = None
        self._take_queued = False
        self._shown_seq = 0  # the request number of the frame on screen
        self._live_seq = 0  # answers to requests up to this one came after going live: dropped
        self._play_on_enter = False
        #: Frames shown, and answers dropped as stale (tests and the status read them).
        self.shown = 0
        self.dropped = 0
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
    def enter(self, t: float, *, play: bool = False) -> bool:
        """Show the instant ``t`` as soon as it is built, paused (or playing from there with
        ``play``); False when there is no history to show (``error``)."""
        if self._session() is None:
            return False
        if self.session is not None:
            self.session.player.playing = False
        self._play_on_enter = play
        self._ask(min(t, self.live.clock()), Show.JUMP)
        return True

    def seek(self, t: float) -> None:
        if t >= self.live.clock():
            self.go_live()
            return
        if self.session is None or not self.replaying:
            self.enter(t)
            return
        self._ask(t, Show.JUMP)

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
            self.session.player.playing = False
            self._ask(self.session.player.time, Show.SETTLE)  # trails rebuilt for the instant shown
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
        if self.session is not None and not self.playing:
            if self.replaying:
                self.play()
            else:  # entering: start playing once the first frame is on screen
                self._play_on_enter = True

    def go_live(self) -> None:
        """Back to the live picture (one key: End); frames asked for before are dropped."""
        self._timer.stop()
        self._play_on_enter = False
        if self.worker is not None:
            self._live_seq = self.worker.asked
        if self.session is not None:
            self.session.leave()
        self.sig_changed.emit()

    def ticks(self) -> list[Tick]:
        """Alarm and incident marks of the bar's span (asked for once a minute, read on the
        replay thread; the last ones read meanwhile)."""
        now = self.live.clock()
        minute = int(now // 60)
        have = self._ticks[0] if self._ticks is not None else None
        if have != minute and self._marks_asked != minute:
            self._marks_asked = minute
            worker = self._worker(quiet=True)
            if worker is not None:
                from controlroom.history.replay_alarms import alarm_rank

                worker.ask_marks(now - SPAN_S, now, alarm_rank(self._rules()))
        return self._ticks[1] if self._ticks is not None else []

    def jump_event(self, forward: bool) -> None:
        """To the previous/next alarm or incident mark."""
        from controlroom.history.player import HistoryPlayer

        tick = HistoryPlayer.next_tick(self.ticks(), self.time, forward)
        if tick is not None:
            self.seek(tick.t)

    def busy(self) -> bool:
        """A frame is asked for and not yet on screen (tests wait on this)."""
        return self.worker is not None and (not self.worker.idle() or self._pending is not None)

    def close(self) -> None:
        self._timer.stop()
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        if self.session is not None:
            self.session.close()
            self.session = None

    # ------------------------------------------------------------------ inside
    def _session(self, quiet: bool = False) -> ReplaySession | None:
        if self.session is None:
            path = self.history_dir()
            remote = self._history is None and self.live.site.history is not None
            if not path.is_dir() and remote:  # the files are on the recorder's PC: ask its service
                self.session = ReplaySession(self.live.state, self._remote_player(), clock=self.live.clock)
                self.error = ""
                return self.session
            if not path.is_dir():
                if not quiet:  # asked to replay: say why not (the marks just stay empty)
                    text = QCoreApplication.translate("ReplayClock", "No history recorded at {0}")
                    self.error = text.format(path)
                    self.sig_changed.emit()
                return None
            self.session = ReplaySession(self.live.state, path, clock=self.live.clock)
            self.error = ""
        return self.session

    def _remote_player(self) -> HistoryPlayer:
        """A player asking the site's recorder (``[history] endpoint``, the feed's keys)."""
        from controlroom.feed.keys import client_security
        from controlroom.history.remote import RemoteHistoryPlayer
        from controlroom.history.service import HistoryClient

        site = self.live.site
        assert site.history is not None
        endpoint = site.history.endpoint

        def connect() -> HistoryClient:
            security = client_security(site, [endpoint])
            return HistoryClient(endpoint, security=security, insecure=site.feed.insecure)

        return RemoteHistoryPlayer(connect)

    def _worker(self, quiet: bool = False) -> ReplayWorker | None:
        session = self._session(quiet)
        if session is not None and self.worker is None:
            import controlroom.history.replay_alarms  # noqa: F401  (imported now, not mid-scrub)

            handover = self.live.handover
            self.worker = ReplayWorker(session, self._deliver, handover.bind(self._on_marks)).start()
        return self.worker

    def _ask(self, t: float, how: Show) -> None:
        worker = self._worker()
        if worker is not None and self.session is not None:
            self.session.player.time = t  # the clock is where it was asked to be; the picture follows
            worker.ask(t, how)

    def _deliver(self, built: Built) -> None:
        """From the replay thread: keep only the newest answer; one hand-over drains it."""
        with self._lock:
            old = self._pending
            if old is not None and old.seq > built.seq:
                return
            if old is not None and old.how > built.how:  # a jump not yet shown stays a jump
                built = dataclasses.replace(built, how=old.how)
            self._pending = built
            if self._take_queued:
                return
            self._take_queued = True
        self.live.handover.post(self._take)

    def _take(self) -> None:
        """On the GUI thread: show the newest built frame, unless it is stale."""
        with self._lock:
            built, self._pending = self._pending, None
            self._take_queued = False
        if built is None or self.session is None:
            return
        if built.seq <= max(self._shown_seq, self._live_seq):
            self.dropped += 1  # older than what is shown, or asked before going live
            return
        self._shown_seq = built.seq
        if built.frame is None:
            self.error = built.error
            self.sig_changed.emit()
            return
        self.error = ""
        self.session.show(built.frame, built.how)
        self.shown += 1
        self._after_frame()
        if built.how is not Show.STEP:
            self.sig_jumped.emit()
        if self._play_on_enter and self.replaying:
            self._play_on_enter = False
            self.play()

    def _on_marks(self, marks: Marks) -> None:
        self._ticks = (int(marks.t1 // 60), marks.ticks)
        self.sig_changed.emit()

    @Slot()
    def _on_timer(self) -> None:
        now = time.monotonic()
        wall, self._last = now - self._last, now
        t = self.session.next_time(wall) if self.session is not None else None
        if t is None:
            if not self.replaying:
                self._timer.stop()
                self.sig_changed.emit()
            return
        self._ask(t, Show.STEP)

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
            if self.worker is not None:  # whatever was asked for before is not shown now
                self._live_seq = self.worker.asked
            service = existing_alarm_service(self.live)
            if service is not None:
                service.show_replay(None)
            self.sig_jumped.emit()
        self.sig_changed.emit()
