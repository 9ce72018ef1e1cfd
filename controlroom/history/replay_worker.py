"""The replay thread: builds replay frames off the GUI thread, only ever the latest one asked for.

Reading and decoding the picture at an instant costs tens of milliseconds at 50,000 entities
(a cold minute file well over a hundred), which would stall the GUI while someone drags the
clock. The GUI asks (``ask(t, how)``: never blocks); this thread keeps one slot, so while the
clock is dragged only the newest instant is built and the ones passed over are never read.
Each answer carries its request number: the receiver drops an answer older than one it already
showed, or asked before it went back to live. Qt-free: the app hands answers to the GUI thread
through its one hand-over (``GuiHandover.bind``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from controlroom.feed.service_thread import ServiceThread
from controlroom.history.player import Frame, Tick
from controlroom.history.replay_session import ReplaySession, Show

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Built:
    """One answer: the frame for request ``seq`` (or why it could not be built)."""

    seq: int
    how: Show
    time: float
    frame: Frame | None
    error: str = ""


@dataclass(frozen=True)
class Marks:
    """The timeline's marks for [t0, t1] (or why they could not be read)."""

    t0: float
    t1: float
    ticks: list[Tick]
    error: str = ""


class ReplayWorker(ServiceThread):
    """``ask(t, how)`` from the GUI; ``deliver(Built)`` and ``marks(Marks)`` from this thread."""

    def __init__(
        self,
        session: ReplaySession,
        deliver: Callable[[Built], None],
        marks: Callable[[Marks], None] | None = None,
    ) -> None:
        super().__init__("history-replay")
        self.session = session
        self.deliver = deliver
        self.marks = marks
        self.asked = 0  # the last request number handed out
        self.built = 0  # frames built (the coalesced requests were never built)
        self._wake = threading.Condition()
        self._want: tuple[int, float, Show] | None = None
        self._want_marks: tuple[float, float, Callable[[str], int]] | None = None

    def start(self) -> ReplayWorker:
        """Start without waiting: requests wait in the slot until the thread takes them."""
        self._start_unwaited()  # counted among the service threads shut-down joins
        return self

    def ask(self, t: float, how: Show = Show.JUMP) -> int:
        """Build the picture at ``t`` next (replacing a request not yet started; a jump or a
        settle is not weakened by a step asked after it). Returns the request number."""
        with self._wake:
            self.asked += 1
            if self._want is not None:
                how = max(how, self._want[2])
            self._want = (self.asked, t, how)
            self._wake.notify()
            return self.asked

    def ask_marks(self, t0: float, t1: float, alarm_rank: Callable[[str], int]) -> None:
        with self._wake:
            self._want_marks = (t0, t1, alarm_rank)
            self._wake.notify()

    def idle(self) -> bool:
        """Nothing waiting to be built (tests and the benchmark wait for this)."""
        with self._wake:
            return self._want is None and self._want_marks is None and not self._busy

    _busy = False

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        with self._wake:
            self._wake.notify()
        super().stop(timeout_s)

    def _run(self) -> None:
        self._ready.set()
        while not self._stop.is_set():
            with self._wake:
                while self._want is None and self._want_marks is None and not self._stop.is_set():
                    self._wake.wait(0.5)
                if self._stop.is_set():
                    return
                want, self._want = self._want, None
                marks, self._want_marks = self._want_marks, None
                self._busy = True
            try:
                if want is not None:
                    self._build(*want)
                if marks is not None and self.marks is not None:
                    self._marks(*marks)
            finally:
                with self._wake:
                    self._busy = False

    def _build(self, seq: int, t: float, how: Show) -> None:
        try:
            frame = self.session.build(t, how)
        except Exception as exc:  # a history that cannot be read: said on the bar, the app goes on
            log.exception("replay: the picture at %s could not be built", t)
            self.deliver(Built(seq, how, t, None, f"{type(exc).__name__}: {exc}"))
            return
        self.built += 1
        self.deliver(Built(seq, how, t, frame))

    def _marks(self, t0: float, t1: float, alarm_rank: Callable[[str], int]) -> None:
        assert self.marks is not None
        try:
            ticks = self.session.ticks(t0, t1, alarm_rank)
        except Exception as exc:
            log.exception("timeline: marks could not be read")
            self.marks(Marks(t0, t1, [], f"{type(exc).__name__}: {exc}"))
            return
        self.marks(Marks(t0, t1, ticks))
