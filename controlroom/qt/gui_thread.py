"""The one hand-over from a background thread to the GUI thread.

Every thread that reports to the GUI (the dispatch client, the wall control server, a background
job, the live state's writers) calls ``GuiHandover.post(fn, *args)``: the call is queued and runs,
in order, on the thread the handover object lives in (the GUI thread), from the event loop. One
queued ``QMetaObject.invokeMethod`` drains every waiting call, so a burst costs one wake-up. (An
invoke, not a Python ``Signal.emit``: PySide6 6.12.0's ``emit`` from a foreign thread leaks a
reference per call.) ``call`` runs at once when already on the GUI thread, so the GUI's own
writes keep their order with the signals they cause.

When the handover object is deleted, calls still queued are dropped with it: a closed panel
is not called back.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QMetaObject, QObject, Qt, QThread, Slot

log = logging.getLogger(__name__)


class GuiHandover(QObject):
    """Queue callables from any thread; run them on this object's (the GUI) thread, in order."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        app = QCoreApplication.instance()
        if parent is None and app is not None and self.thread() is not app.thread():
            self.moveToThread(app.thread())
        self._calls: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        self._lock = threading.Lock()
        self._queued = False

    def on_gui_thread(self) -> bool:
        return QThread.currentThread() is self.thread()

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the GUI thread, after the calls posted before it."""
        with self._lock:
            self._calls.append((fn, args))
            if self._queued:
                return
            self._queued = True
        QMetaObject.invokeMethod(self, "_drain", Qt.ConnectionType.QueuedConnection)

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run now when on the GUI thread (and nothing is waiting before it), else ``post``."""
        if self.on_gui_thread() and not self._calls:
            fn(*args)
        else:
            self.post(fn, *args)

    def bind(self, fn: Callable[..., Any]) -> Callable[..., None]:
        """``fn`` as a callback any thread may call; it runs on the GUI thread."""

        def posted(*args: Any) -> None:
            self.post(fn, *args)

        return posted

    @Slot()
    def _drain(self) -> None:
        with self._lock:
            calls = list(self._calls)
            self._calls.clear()
            self._queued = False
        for fn, args in calls:
            try:
                fn(*args)
            except Exception:
                log.exception("a call handed to the GUI thread failed")
