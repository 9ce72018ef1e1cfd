"""Slow one-off work (loading a city, building meshes) off the GUI thread.

The one documented hop back to the GUI thread: the worker runs a plain callable in a QThread and
reports through Qt signals, which Qt queues to the receiver's (GUI) thread. The callable never
touches widgets or models; it gets a ``progress(fraction, message)`` function and returns a result.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from controlroom.core.issues import InputError, SiteError

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]


class _Runner(QObject):
    sig_progress = Signal(float, str)
    sig_finished = Signal(object)
    sig_failed = Signal(str)

    def __init__(self, job: Callable[[Progress], Any]) -> None:
        super().__init__()
        self._job = job

    @Slot()
    def run(self) -> None:
        try:
            self._run()
        finally:
            _forget_dummy_thread()

    def _run(self) -> None:
        try:
            result = self._job(self.sig_progress.emit)
        except SiteError as exc:  # the user's input: the message is the whole story, no traceback
            log.info("background task refused its input:\n%s", exc)
            self.sig_failed.emit(exc.message)
        except InputError as exc:
            log.info("background task refused its input: %s", exc)
            self.sig_failed.emit(str(exc))
        except Exception as exc:
            log.error("background task failed:\n%s", traceback.format_exc())
            self.sig_failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.sig_finished.emit(result)


def _forget_dummy_thread() -> None:
    """Python registers a ``threading._DummyThread`` the first time code in a foreign (Qt) thread
    asks for the current thread (rasterio does, for its per-thread GDAL options) and Python 3.11
    never removes it: the finished QThread would stay in ``threading.enumerate()`` as alive for
    ever. Forget it as the job ends (this thread runs no more Python)."""
    import threading

    active: dict[int, threading.Thread] = getattr(threading, "_active", {})
    ident = threading.get_ident()
    if isinstance(active.get(ident), threading._DummyThread):
        active.pop(ident, None)


class BackgroundTask(QObject):
    """Run ``job(progress)`` in its own thread; ``sig_finished(result)`` / ``sig_failed(message)``."""

    sig_progress = Signal(float, str)
    sig_finished = Signal(object)
    sig_failed = Signal(str)

    def __init__(self, job: Callable[[Progress], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("controlroom-background")
        self._runner = _Runner(job)
        self._runner.moveToThread(self._thread)
        self._thread.started.connect(self._runner.run)
        self._runner.sig_progress.connect(self.sig_progress)
        self._runner.sig_finished.connect(self._on_runner_finished)
        self._runner.sig_failed.connect(self._on_runner_failed)

    def start(self) -> None:
        self._thread.start()

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def wait(self, msecs: int = 30_000) -> bool:
        return bool(self._thread.wait(msecs))

    def stop(self, msecs: int = 30_000) -> bool:
        """Let a running job finish, then end the thread, whether or not the GUI thread has taken
        its result yet (at shutdown the event loop that would deliver it may not run again)."""
        self._thread.quit()
        return bool(self._thread.wait(msecs))

    def _stop_thread(self) -> None:
        self._thread.quit()
        self._thread.wait()

    @Slot(object)
    def _on_runner_finished(self, result: object) -> None:
        self._stop_thread()
        self.sig_finished.emit(result)

    @Slot(str)
    def _on_runner_failed(self, message: str) -> None:
        self._stop_thread()
        self.sig_failed.emit(message)
