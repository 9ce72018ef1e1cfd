"""Tile loading off the GUI thread for the streamed city map.

One long-lived named worker (``feed.service_thread.ServiceThread`` "controlroom-tiles", so the
app's shut-down finds and joins it like every other thread) reads and decodes tiles (file read,
glTF decode, VTK arrays: no renderer is touched) and hands each result back through the app's one
hop to the GUI thread (``qt.gui_thread.GuiHandover``), one tile per event-loop turn. A request
for a tile the view no longer wants is dropped before any work, so a fast fly-over does not queue
up a backlog.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from controlroom.feed.service_thread import ServiceThread
from controlroom.qt.gui_thread import GuiHandover
from controlroom.render.tiled_city import LoadedTile

log = logging.getLogger(__name__)

_POLL_S = 0.2  # how often an idle loader looks at its stop flag
LOADER_NICENESS = 5  # how much lower than the GUI thread the loader runs


def _lower_priority() -> None:
    """Run this thread below the GUI thread (Linux: a thread has its own nice value): on a busy
    machine the event loop then gets the core first, and decoding waits, not the operator."""
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + LOADER_NICENESS)
    except (AttributeError, OSError):  # not Linux, or not allowed: same priority as the GUI
        pass


class _Loader(ServiceThread):
    """Takes tile numbers off a queue, loads the wanted ones, posts each result to the GUI thread."""

    def __init__(self, streamer: TileStreamer, load: Callable[[int], LoadedTile]) -> None:
        super().__init__("controlroom-tiles")
        self.streamer = streamer
        self.load = load
        self.requests: queue.SimpleQueue[int | None] = queue.SimpleQueue()

    def _run(self) -> None:
        _lower_priority()
        self._ready.set()
        while not self._stop.is_set():
            try:
                tile = self.requests.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if tile is None:
                return
            self._post(self._load_one(tile))

    def _load_one(self, tile: int) -> LoadedTile:
        if not self.streamer.is_wanted(tile):
            return LoadedTile(tile, [], 0)
        try:
            return self.load(tile)
        except Exception as exc:  # a tile must never take the map down
            log.exception("tile %d failed to load", tile)
            return LoadedTile(tile, [], 0, [f"tile {tile}: {type(exc).__name__}: {exc}"])

    def _post(self, loaded: LoadedTile) -> None:
        streamer = self.streamer
        with streamer._lock:
            streamer._arrived.append(loaded)
            first = len(streamer._arrived) == 1
        if not first:  # the GUI thread is already due to take it
            return
        try:
            streamer.handover.post(streamer._take_one)
        except RuntimeError:  # the map closed while the tile loaded: nobody left to show it
            log.debug("tile %d loaded after the map closed", loaded.index)

    def stop(self, timeout_s: float = 2.0) -> None:
        self.requests.put(None)  # wake it now rather than at the next poll
        super().stop(timeout_s)


class TileStreamer(QObject):
    """``request(tile)`` from the GUI thread; ``sig_loaded(LoadedTile)`` arrives on the GUI thread."""

    sig_loaded = Signal(object)

    def __init__(self, load: Callable[[int], LoadedTile], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._wanted: set[int] = set()
        self._lock = threading.Lock()
        self._arrived: deque[LoadedTile] = deque()  # loaded, not yet taken by the GUI thread
        self.handover = GuiHandover(self)
        self._loader = _Loader(self, load)
        self._loader._start_unwaited()

    @property
    def thread_name(self) -> str:
        return self._loader.name

    @property
    def running(self) -> bool:
        return self._loader.running

    def is_wanted(self, tile: int) -> bool:
        with self._lock:
            return tile in self._wanted

    def set_wanted(self, tiles: list[int]) -> None:
        with self._lock:
            self._wanted = set(tiles)

    def request(self, tile: int) -> None:
        with self._lock:
            self._wanted.add(tile)
        self._loader.requests.put(tile)

    def _take_one(self) -> None:
        """On the GUI thread: hand one loaded tile to the map, and come back for the next after
        the event loop's other work (a burst of tiles is not taken in one long turn)."""
        with self._lock:
            loaded = self._arrived.popleft() if self._arrived else None
            more = bool(self._arrived)
        if loaded is not None:
            self.sig_loaded.emit(loaded)
        if more:
            QTimer.singleShot(0, self, self._take_one)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Drop what is queued and join the loader (a tile being decoded finishes first)."""
        with self._lock:
            self._wanted.clear()
        self._loader.stop(timeout_s)
