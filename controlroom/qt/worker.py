"""Slow one-off work (loading a city, building meshes) off the GUI thread.

The job runs on a named ``feed.service_thread.ServiceThread`` (so shut-down finds and joins it
like every other thread of the app) and reports through the app's one hand-over to the GUI thread
(``qt.gui_thread.GuiHandover``): progress, then the result or the failure, arrive as Qt signals
on the GUI thread. The callable never touches widgets or models; it gets a
``progress(fraction, message)`` function and returns a result.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from controlroom.core.issues import InputError, SiteError
from controlroom.feed.service_thread import ServiceThread
from controlroom.qt.gui_thread import GuiHandover

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]


class _Job(ServiceThread):
    """Runs the job once (never restarted) and posts what became of it."""

    def __init__(self, task: BackgroundTask, job: Callable[[Progress], Any]) -> None:
        super().__init__("controlroom-background", supervise=False)
        self.task = task
        self.job = job

    def _run(self) -> None:
        post = self.task.handover.post
        try:
            result = self.job(lambda fraction, message: post(self.task._progress, fraction, message))
        except SiteError as exc:  # the user's input: the message is the whole story, no traceback
            log.info("background task refused its input:\n%s", exc)
            post(self.task._failed, exc.message)
        except InputError as exc:
            log.info("background task refused its input: %s", exc)
            post(self.task._failed, str(exc))
        except Exception as exc:
            log.error("background task failed:\n%s", traceback.format_exc())
            post(self.task._failed, f"{type(exc).__name__}: {exc}")
        else:
            post(self.task._finished, result)


class BackgroundTask(QObject):
    """Run ``job(progress)`` in its own thread; ``sig_finished(result)`` / ``sig_failed(message)``."""

    sig_progress = Signal(float, str)
    sig_finished = Signal(object)
    sig_failed = Signal(str)

    def __init__(self, job: Callable[[Progress], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.handover = GuiHandover(self)
        self._job = _Job(self, job)

    def start(self) -> None:
        self._job._start_unwaited()

    def is_running(self) -> bool:
        return self._job.running

    def wait(self, msecs: int = 30_000) -> bool:
        self._job.join(msecs / 1000)
        return not self._job.running

    def stop(self, msecs: int = 30_000) -> bool:
        """Let a running job finish, whether or not the GUI thread has taken its result yet (at
        shutdown the event loop that would deliver it may not run again)."""
        return self.wait(msecs)

    def _progress(self, fraction: float, message: str) -> None:
        self.sig_progress.emit(fraction, message)

    def _finished(self, result: object) -> None:
        self.sig_finished.emit(result)

    def _failed(self, message: str) -> None:
        self.sig_failed.emit(message)
