"""Objects in reference cycles are destroyed on the GUI thread, never in a worker thread."""

from __future__ import annotations

import gc
import threading

import pytest

from controlroom.qt.gui_gc import collect_on_gui_thread

pytestmark = pytest.mark.gui


def test_cyclic_garbage_made_in_a_worker_is_collected_on_the_gui_thread(qtbot) -> None:  # type: ignore[no-untyped-def]
    collect_on_gui_thread()
    assert not gc.isenabled()
    destroyed_on_gui: list[bool] = []

    class Cyclic:  # stands for a plotter or a panel left in a cycle
        def __init__(self) -> None:
            self.me = self

        def __del__(self) -> None:
            destroyed_on_gui.append(threading.current_thread() is threading.main_thread())

    kept: list[list[int]] = []

    def worker() -> None:  # a feed thread: makes the garbage, then allocates a lot
        for _ in range(5):
            Cyclic()
        kept.extend([] for _ in range(5_000))  # well past the collector's first threshold

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert destroyed_on_gui == [], "collected in the worker thread"
    qtbot.waitUntil(lambda: len(destroyed_on_gui) == 5, timeout=5_000)
    assert all(destroyed_on_gui)
