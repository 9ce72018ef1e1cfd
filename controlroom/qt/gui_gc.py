"""Python's cyclic garbage collector runs on the GUI thread only, once worker threads exist.

The collector runs in whichever thread happens to allocate when a threshold is crossed: with a
feed thread decoding hundreds of thousands of messages a second, that is usually the feed
thread. A VTK renderer or a Qt object left in a reference cycle (a closed map, a replaced
panel) would then be destroyed off the GUI thread while the GUI renders: seen as a hard
deadlock (a plotter finalised in the city loader's thread during a wall render). pyqtgraph's
``GarbageCollector`` turns automatic collection off and collects on a GUI timer instead, with
the same generation thresholds.
"""

from __future__ import annotations

from typing import Any

_collector: Any = None


def collect_on_gui_thread() -> None:
    """Install the GUI-thread collector (once per process); call from the GUI thread."""
    global _collector
    if _collector is None:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        _collector = GarbageCollector(interval=1.0)
