"""Tile loading off the GUI thread for the streamed city map.

One long-lived worker thread reads and decodes tiles (file read, glTF decode, VTK arrays: no
renderer is touched) and hands each result back through a queued signal — the same one hop back
to the GUI thread as ``qt.worker``. A request for a tile the view no longer wants is dropped
before any work, so a fast fly-over does not queue up a backlog.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

from controlroom.render.tiled_city import LoadedTile

log = logging.getLogger(__name__)


class _Loader(QObject):
    sig_loaded = Signal(object)  # LoadedTile

    def __init__(self, load: Callable[[int], LoadedTile], still_wanted: Callable[[int], bool]) -> None:
        super().__init__()
        self._load = load
        self._still_wanted = still_wanted

    @Slot(int)
    def load(self, tile: int) -> None:
        if not self._still_wanted(tile):
            self.sig_loaded.emit(LoadedTile(tile, [], 0))
            return
        try:
            result = self._load(tile)
        except Exception as exc:  # a tile must never take the map down
            log.exception("tile %d failed to load", tile)
            result = LoadedTile(tile, [], 0, [f"tile {tile}: {type(exc).__name__}: {exc}"])
        self.sig_loaded.emit(result)


class TileStreamer(QObject):
    """``request(tile)`` from the GUI thread; ``sig_loaded(LoadedTile)`` arrives on the GUI thread."""

    sig_loaded = Signal(object)
    _sig_request = Signal(int)

    def __init__(self, load: Callable[[int], LoadedTile], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._wanted: set[int] = set()
        self._lock = threading.Lock()
        self._thread = QThread()
        self._thread.setObjectName("controlroom-tiles")
        self._loader = _Loader(load, self._is_wanted)
        self._loader.moveToThread(self._thread)
        self._sig_request.connect(self._loader.load)
        self._loader.sig_loaded.connect(self.sig_loaded)
        self._thread.start()

    def _is_wanted(self, tile: int) -> bool:
        with self._lock:
            return tile in self._wanted

    def set_wanted(self, tiles: list[int]) -> None:
        with self._lock:
            self._wanted = set(tiles)

    def request(self, tile: int) -> None:
        with self._lock:
            self._wanted.add(tile)
        self._sig_request.emit(tile)

    def stop(self) -> None:
        with self._lock:
            self._wanted.clear()
        self._thread.quit()
        self._thread.wait()
