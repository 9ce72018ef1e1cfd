"""What a test may not leave behind: threads, running Qt timers, open windows, live VTK plotters.

``tests/conftest.py`` snapshots these before each test and checks them after its teardown. Every
app thread is a daemon (a stuck one must not keep a wall PC from shutting down), so daemon
threads count too; a thread gets a short grace period to finish the stop it was asked for.
``tests/test_leak_harness.py`` leaks each kind on purpose and shows that the test then fails.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

#: A thread asked to stop in teardown may take a moment (a poll timeout) to end.
THREAD_GRACE_S = 3.0


def _plotters() -> dict[str, Any]:
    """pyvista's registry of plotters not yet closed (also QtInteractors); empty before import."""
    module = sys.modules.get("pyvista.plotting.plotter")
    return dict(getattr(module, "_ALL_PLOTTERS", None) or {})


def _process_wide_thread(thread: threading.Thread) -> bool:
    """pyzmq's zero-copy garbage collector: started by the first ``send(copy=False)``, it lives
    as long as the process by design."""
    return type(thread).__name__ == "GarbageCollectorThread" and type(thread).__module__.startswith("zmq.")


def _qt_app() -> Any:
    if "PySide6.QtWidgets" not in sys.modules:
        return None
    from PySide6.QtWidgets import QApplication

    return QApplication.instance()


def _process_wide_timers() -> set[int]:
    """Timers that live as long as the process by design: the GUI-thread garbage collector's."""
    collector = getattr(sys.modules.get("controlroom.qt.gui_gc"), "_collector", None)
    return {id(collector.timer)} if collector is not None else set()


def _active_timers() -> dict[int, str]:
    """The Python-owned QTimers that are running (gc sees every Shiboken wrapper), by id, with
    their owner's class (or the timer's object name) so a leak names who forgot to stop."""
    if "PySide6.QtCore" not in sys.modules:
        return {}
    from PySide6.QtCore import QTimer

    found: dict[int, str] = {}
    process_wide = _process_wide_timers()
    for obj in gc.get_objects():
        if isinstance(obj, QTimer) and id(obj) not in process_wide:
            try:
                if obj.isActive():
                    owner = obj.parent()
                    found[id(obj)] = (
                        type(owner).__name__ if owner is not None else obj.objectName() or "QTimer"
                    )
            except RuntimeError:  # the C++ timer is gone already
                pass
    return found


@dataclass
class Snapshot:
    threads: set[threading.Thread] = field(default_factory=set)
    timers: dict[int, str] = field(default_factory=dict)
    plotters: set[str] = field(default_factory=set)

    @classmethod
    def take(cls, qt: bool) -> Snapshot:
        return cls(
            threads=set(threading.enumerate()),
            timers=_active_timers() if qt else {},
            plotters=set(_plotters()),
        )


def leaks(before: Snapshot, qt: bool) -> list[str]:
    """What was started since ``before`` and is still alive, one line per kind; empty when clean."""
    problems: list[str] = []
    app = _qt_app() if qt else None
    if app is not None:
        from PySide6.QtCore import QCoreApplication, QEvent

        for _ in range(3):
            app.processEvents()
            # What the test handed to deleteLater() is gone by now in a running app.
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        visible = [w for w in app.topLevelWidgets() if w.isVisible()]
        if visible:
            problems.append(f"test left windows open: {sorted(type(w).__name__ for w in visible)}")
            for w in visible:
                w.close()
        timers = sorted(owner for key, owner in _active_timers().items() if key not in before.timers)
        if timers:
            problems.append(f"test left {len(timers)} Qt timer(s) running (owned by {timers})")
    plotters = sorted(set(_plotters()) - before.plotters)
    if plotters:
        problems.append(f"test left {len(plotters)} VTK plotter(s) open (call close()): {plotters}")
        for name in plotters:
            plotter = _plotters().get(name)
            if plotter is not None:
                plotter.close()
    deadline = time.monotonic() + THREAD_GRACE_S
    while True:
        threads = [
            t
            for t in threading.enumerate()
            if t not in before.threads and t.is_alive() and not _process_wide_thread(t)
        ]
        if not threads or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    if threads:
        problems.append(f"test left threads running: {sorted(t.name for t in threads)}")
    return problems
