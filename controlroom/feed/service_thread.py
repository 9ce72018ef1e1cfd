"""The start / wait-until-ready / stop lifecycle of a thread that owns its ZeroMQ sockets, and the
supervisor that brings such a thread back when it dies.

pyzmq sockets belong to the thread that made them, so each feed server or client runs one daemon
thread that creates, uses and closes its own. The subclass's ``_run`` sets ``_ready`` once its
sockets are bound or connected (and again in its ``finally``), records what it died of in
``error`` (or raises it), and loops until ``_stop`` is set; ``_start_thread`` hands a startup
failure (address in use, bad key) back to the caller instead of leaving it in a log.

A thread that dies *after* a good start would otherwise leave the wall frozen with nothing on
screen saying so. The thread's own target therefore supervises ``_run``: when it ends with an
error and nobody asked it to stop, it logs one line, waits (0.1 s, doubling up to 5 s while it
keeps dying quickly), counts the restart, tells ``_on_restart`` (the feed subscriber puts it in
its stats, which the feed panel and status strip show) and runs ``_run`` again with fresh sockets.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Self, TypeVar

from controlroom.feed.broker_errors import FeedBrokerError

if TYPE_CHECKING:
    from controlroom.feed.ingest import Ingestor

log = logging.getLogger(__name__)
_T = TypeVar("_T")

#: First and longest wait before restarting a dead thread; the wait doubles while it keeps dying.
RESTART_BACKOFF_S = (0.1, 5.0)
#: A thread that ran this long before dying starts again from the shortest wait.
HEALTHY_RUN_S = 30.0
#: First and longest wait between tries to reach a feed broker (NATS, MQTT) that is not there.
BROKER_RETRY_S = (1.0, 30.0)


#: Every started service thread of this process, so one shut-down can stop and join them all.
_STARTED: weakref.WeakSet[ServiceThread] = weakref.WeakSet()


def running_service_threads() -> list[ServiceThread]:
    return [t for t in list(_STARTED) if t.running]


def stop_all_service_threads(timeout_s: float = 2.0) -> list[str]:
    """Stop and join every running service thread (app shut-down); the names still alive after."""
    threads = running_service_threads()
    for thread in threads:
        thread.stop(timeout_s)
    return [t.name for t in threads if t.running]


class ServiceThread:
    """Base for a class whose work runs in ``_run`` on its own daemon thread, supervised."""

    def __init__(self, name: str, *, supervise: bool = True) -> None:
        self.name = name
        self.error: BaseException | None = None
        #: How many times the supervisor restarted ``_run`` after it died, and the last cause.
        self.restarts = 0
        self.last_error = ""
        self.supervise = supervise
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._checked = threading.Event()  # _start_thread has looked at the startup result
        self._startup_failed = False
        self._thread = threading.Thread(target=self._supervised, name=name, daemon=True)

    def _run(self) -> None:
        raise NotImplementedError

    def _on_restart(self, error: str) -> None:
        """Called from the thread before each restart (override to publish the count)."""

    def _supervised(self) -> None:
        delay = RESTART_BACKOFF_S[0]
        while True:
            began = time.monotonic()
            try:
                self._run()
            except BaseException as exc:  # what it died of is the supervisor's business
                self.error = exc
            error = self.error
            if error is None or self._stop.is_set() or not self.supervise:
                return
            self._checked.wait()
            if self._startup_failed:  # start() raises it to the caller: nothing to supervise
                return
            if time.monotonic() - began > HEALTHY_RUN_S:
                delay = RESTART_BACKOFF_S[0]
            what = f"{type(error).__name__}: {error}"
            log.warning("%s thread died (%s); restarting it in %.1f s", self.name, what, delay)
            log.debug("%s thread died", self.name, exc_info=error)
            if self._stop.wait(delay):
                return
            delay = min(delay * 2, RESTART_BACKOFF_S[1])
            self.restarts += 1
            self.last_error = what
            self.error = None
            self._on_restart(what)

    def _start_thread(self, wait_s: float) -> bool:
        """Start and wait up to ``wait_s`` for ready; False if not ready in time. Re-raises the
        error the thread failed with, once it has closed its sockets."""
        _STARTED.add(self)
        self._thread.start()
        ready = self._ready.wait(wait_s)
        error = self.error
        self._startup_failed = error is not None
        self._checked.set()
        if error is not None:
            self._thread.join(wait_s)
            raise error
        return ready

    def _start_unwaited(self) -> None:
        """Start without waiting for ready (a client whose sockets only connect)."""
        _STARTED.add(self)
        self._checked.set()
        self._thread.start()

    def join(self, timeout_s: float | None = None) -> None:
        """Wait for the thread to end (without asking it to stop)."""
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        self._checked.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()


class FeedThread(ServiceThread):
    """The base of the feed subscribers (ZeroMQ, NATS, MQTT): the surface the app, the history
    recorder and the tools use whichever transport the site chose (``start``, ``stop``,
    ``state``, ``ingestor``, ``endpoints``, ``snapshot_records``, ``cpu_s``), restarts counted
    in the feed stats, and a broker that is not there (yet) waited for instead of failing.
    """

    #: How long ``start`` waits for connected (and the snapshot applied) by default.
    start_wait_s = 5.0

    def __init__(self, name: str, ingestor: Ingestor, endpoints: list[str]) -> None:
        super().__init__(name)
        self.ingestor = ingestor
        self.endpoints = endpoints
        #: "connecting", "down: …", "snapshot", "live", "snapshot failed (live only)", "stopped",
        #: or "error: …".
        self.state = "connecting"
        self.snapshot_records = 0
        #: CPU seconds the feed thread has used, set when it stops (for benchmarks).
        self.cpu_s = 0.0

    def start(self, wait_s: float | None = None) -> Self:
        """Start the thread; returns once connected (and the snapshot applied), or once the
        broker is known to be down (the thread goes on trying), or after ``wait_s``."""
        self._start_thread(self.start_wait_s if wait_s is None else wait_s)
        return self

    def _on_restart(self, error: str) -> None:
        self.ingestor.stats.note_thread_restart(error)

    def _failed(self, exc: BaseException) -> None:
        """What ``_run`` died of: reported to ``start()``, or logged and restarted by the supervisor."""
        self.error = exc
        self.state = f"error: {exc}"

    def _ended(self) -> None:
        """The end of ``_run``: ``start`` stops waiting, the CPU time is kept, "stopped" unless it failed."""
        self._ready.set()
        self.cpu_s = time.thread_time()
        if not self.state.startswith("error"):
            self.state = "stopped"

    def _until_connected(self, connect: Callable[[], _T], login: str = "") -> _T | None:
        """``connect()`` until the broker answers; ``None`` if stopped first.

        While the broker is not there the thread says so (``state``, the feed stats' ``link``,
        which the feed panel shows with the reason), lets ``start`` return so the app runs, and
        tries again after 1, 2, 4 … 30 s. A refusal (wrong login, no JetStream) is raised: trying
        again cannot fix the site file. Once connected, the stats' ``link_detail`` names ``login``
        (the user the broker admitted).
        """
        stats = self.ingestor.stats
        delay = BROKER_RETRY_S[0]
        while True:
            try:
                value = connect()
            except FeedBrokerError as exc:
                if not exc.unreachable:
                    raise
                reason = f"{exc}; retrying in {delay:g} s"
                if not self.state.startswith("down"):
                    log.warning("%s", reason)
                self.state = f"down: {reason}"
                stats.note_link("down", reason)
                self._ready.set()
                if self._stop.wait(delay):
                    return None
                delay = min(delay * 2, BROKER_RETRY_S[1])
            else:
                stats.note_link("up", f"logged in as {login}" if login else "")
                return value
