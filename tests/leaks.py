"""What a test may not leave behind: threads, running Qt timers, open windows, live VTK plotters
and VTK render windows.

``tests/conftest.py`` snapshots these before each test and checks them after its teardown. Every
app thread is a daemon (a stuck one must not keep a wall PC from shutting down), so daemon
threads count too; a thread gets a short grace period to finish the stop it was asked for.
Timers and render windows are found through gc (~0.1 s a pass), so only tests that use Qt or whose
module uses VTK are scanned. ``tests/test_leak_harness.py`` leaks each kind on purpose and shows
that the test then fails.
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


def _scanned_types(qt: bool, vtk: bool) -> tuple[type, ...]:
    kinds: list[type] = []
    if qt and "PySide6.QtCore" in sys.modules:
        from PySide6.QtCore import QTimer

        kinds.append(QTimer)
    if vtk and "vtkmodules.vtkRenderingCore" in sys.modules:
        from vtkmodules.vtkRenderingCore import vtkRenderWindow

        kinds.append(vtkRenderWindow)
    return tuple(kinds)


def _live_objects(qt: bool, vtk: bool) -> tuple[dict[int, str], dict[int, str]]:
    """One gc pass (gc sees every Shiboken and VTK wrapper): the running QTimers, by id, with
    their owner's class (or the timer's object name) so a leak names who forgot to stop; and the
    VTK render windows that hold a native window (made by a render, let go by ``Finalize()``)."""
    kinds = _scanned_types(qt, vtk)
    if not kinds:
        return {}, {}
    timers: dict[int, str] = {}
    windows: dict[int, str] = {}
    process_wide = _process_wide_timers()
    for obj in gc.get_objects():
        if not isinstance(obj, kinds) or id(obj) in process_wide:
            continue
        try:
            if hasattr(obj, "isActive"):
                if obj.isActive():
                    owner = obj.parent()
                    timers[id(obj)] = (
                        type(owner).__name__ if owner is not None else obj.objectName() or "QTimer"
                    )
            elif obj.GetGenericWindowId() is not None:
                windows[id(obj)] = type(obj).__name__
        except RuntimeError:  # the C++ timer is gone already
            pass
    return timers, windows


@dataclass
class Snapshot:
    threads: set[threading.Thread] = field(default_factory=set)
    timers: dict[int, str] = field(default_factory=dict)
    plotters: set[str] = field(default_factory=set)
    render_windows: dict[int, str] = field(default_factory=dict)

    @classmethod
    def take(cls, qt: bool, vtk: bool = False) -> Snapshot:
        timers, windows = _live_objects(qt, vtk)
        return cls(
            threads=set(threading.enumerate()),
            timers=timers,
            plotters=set(_plotters()),
            render_windows=windows,
        )


def uses_vtk(module: object) -> bool:
    """Whether a test module imports VTK, pyvista or controlroom's render layer (at its top)."""
    prefixes = ("vtk", "pyvista", "controlroom.render")
    for value in vars(module).values():
        name = getattr(value, "__module__", None) or getattr(value, "__name__", None)
        if isinstance(name, str) and name.startswith(prefixes):
            return True
    return False


def leaks(before: Snapshot, qt: bool, vtk: bool = False) -> list[str]:
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
    plotters = sorted(set(_plotters()) - before.plotters)
    if plotters:
        problems.append(f"test left {len(plotters)} VTK plotter(s) open (call close()): {plotters}")
        for name in plotters:
            plotter = _plotters().get(name)
            if plotter is not None:
                plotter.close()
    # After the leaked plotters are closed, so that each leak is reported once.
    live_timers, live_windows = _live_objects(qt and app is not None, vtk)
    timers = sorted(owner for key, owner in live_timers.items() if key not in before.timers)
    if timers:
        problems.append(f"test left {len(timers)} Qt timer(s) running (owned by {timers})")
    windows = sorted(name for key, name in live_windows.items() if key not in before.render_windows)
    if windows:
        problems.append(
            f"test left {len(windows)} VTK render window(s) open (call Finalize() or close its plotter): "
            f"{windows}"
        )
        for obj in gc.get_objects():
            if id(obj) in live_windows and id(obj) not in before.render_windows:
                obj.Finalize()
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
