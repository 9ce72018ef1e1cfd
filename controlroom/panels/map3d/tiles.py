"""The streamed city on the map: tiles follow the camera, load in a worker, stay under the budget.

Every camera change (VTK's camera ``ModifiedEvent``) restarts a short timer; when it fires the
tiles are re-selected (``render.tiled_city``), missing ones are requested from the worker
(``qt.tile_stream``), and the status text says what is shown, what is loading, and whether the
memory budget is making the map show coarser tiles.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from controlroom.geo.tiles.select import Camera
from controlroom.geo.tiles.tileset import read_tileset
from controlroom.qt.tile_stream import TileStreamer
from controlroom.render.tiled_city import LoadedTile, TiledCity, TilePick, load_tile, local_from_tileset

SETTLE_MS = 60  # a camera still for this long gets new tiles
MAX_WAIT_S = 0.25  # ... and during a long drag at least this often


def _loader_of(city: TiledCity) -> Callable[[int], LoadedTile]:
    def load(tile: int) -> LoadedTile:
        return load_tile(city.tileset, tile, city.to_local, city.theme)

    return load


class MapTiles(QObject):
    """All tilesets of a model on one plotter, one worker for all of them."""

    sig_changed = Signal()  # something new to draw
    sig_status = Signal(str)

    def __init__(
        self, plotter: Any, tilesets: list[str], crs: str, origin: tuple[float, float, float], memory_mb: int
    ) -> None:
        super().__init__()
        self.plotter = plotter
        self.cities: list[TiledCity] = []
        self.issues: list[str] = []
        budget = memory_mb << 20
        for path in tilesets:
            ts = read_tileset(Path(path))
            self.issues += ts.issues
            to_local = local_from_tileset(ts, crs, origin)
            self.cities.append(
                TiledCity(ts, to_local, budget // max(len(tilesets), 1), renderer=plotter.renderer)
            )
        self._streamers = [TileStreamer(_loader_of(c), self) for c in self.cities]
        for city, streamer in zip(self.cities, self._streamers, strict=True):
            city.submit = streamer.request
            streamer.sig_loaded.connect(lambda loaded, c=city: self._on_loaded(c, loaded))
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self.update_now)
        self._last = 0.0
        self._highlight: Any = None
        camera = plotter.renderer.GetActiveCamera()
        self._observer = camera.AddObserver("ModifiedEvent", lambda *_: self._camera_moved())

    def _camera_moved(self) -> None:
        if time.monotonic() - self._last > MAX_WAIT_S:
            self.update_now()
        else:
            self._timer.start()

    def camera(self) -> Camera:
        cam = self.plotter.renderer.GetActiveCamera()
        w, h = self.plotter.render_window.GetSize() if self.plotter.render_window is not None else (1280, 800)
        return Camera(
            tuple(cam.GetPosition()),
            tuple(cam.GetFocalPoint()),
            tuple(cam.GetViewUp()),
            float(cam.GetViewAngle()),
            (max(int(w), 1), max(int(h), 1)),
        )

    def update_now(self) -> None:
        self._last = time.monotonic()
        camera = self.camera()
        for city, streamer in zip(self.cities, self._streamers, strict=True):
            city.update(camera)
            streamer.set_wanted(list(city.wanted))
        self._emit_status()
        self.sig_changed.emit()

    def _on_loaded(self, city: TiledCity, loaded: LoadedTile) -> None:
        if city.deliver(loaded) or loaded.errors:
            self.plotter.renderer.ResetCameraClippingRange()
            self._emit_status()
            self.sig_changed.emit()

    def _emit_status(self) -> None:
        self.sig_status.emit(self.status_text())

    def status_text(self) -> str:
        shown = sum(len(c.shown) for c in self.cities)
        loading = sum(len(c.pending) for c in self.cities)
        text = QCoreApplication.translate("MapTiles", "Tiles: {shown} shown, {loading} loading").format(
            shown=shown, loading=loading
        )
        if any(c.budget_bound for c in self.cities):
            mb = sum(c.cache.budget for c in self.cities) >> 20
            text += " · " + QCoreApplication.translate(
                "MapTiles", "memory budget ({mb} MB) reached: showing coarser tiles"
            ).format(mb=mb)
        errors = sum(len(v) for c in self.cities for v in c.errors.values()) + len(self.issues)
        if errors:
            text += " · " + QCoreApplication.translate(
                "MapTiles", "{n} tiles could not be read (see the log)"
            ).format(n=errors)
        return text

    def error_messages(self) -> list[str]:
        return self.issues + [m for c in self.cities for ms in c.errors.values() for m in ms]

    def pick(self, near: Any, far: Any) -> TilePick | None:
        origin = np.asarray(near, np.float64)
        direction = np.asarray(far, np.float64) - origin
        best: tuple[float, TilePick] | None = None
        for city in self.cities:
            got = city.pick_ray(origin, direction)
            if got is not None:
                d = float(np.linalg.norm(np.asarray(got.point) - origin))
                if best is None or d < best[0]:
                    best = (d, got)
        return None if best is None else best[1]

    def highlight(self, pick: TilePick | None) -> None:
        """Outline the picked building (its full-detail triangles, even over a coarse tile)."""
        import pyvista as pv
        from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

        from controlroom.render.theme import hex_rgb

        if self._highlight is None:
            mapper = vtkPolyDataMapper()
            actor = vtkActor()
            actor.SetMapper(mapper)
            theme = self.cities[0].theme if self.cities else None
            actor.GetProperty().SetColor(*hex_rgb(theme.highlight if theme else "#ffb000"))
            actor.GetProperty().SetAmbient(0.55)
            actor.SetPickable(False)
            self.plotter.renderer.AddActor(actor)
            self._highlight = actor
        tris = None if pick is None else pick.triangles
        if tris is None or not len(tris):
            self._highlight.SetVisibility(False)
            return
        pts = tris.reshape(-1, 3)
        faces = np.arange(len(pts), dtype=np.int64).reshape(-1, 3)
        mesh = pv.PolyData.from_regular_faces(pts, faces)  # type: ignore[arg-type]
        self._highlight.GetMapper().SetInputData(mesh)
        self._highlight.SetVisibility(True)
        self.sig_changed.emit()

    def color_by_options(self) -> list[str]:
        out: dict[str, None] = {}
        for city in self.cities:
            out.update(dict.fromkeys(city.color_by_options()))
        return list(out)

    def set_color_by(self, name: str | None) -> None:
        """Every tileset that has the column takes it; ``KeyError`` when none has it."""
        errors: list[KeyError] = []
        for city in self.cities:
            try:
                city.set_color_by(name)
            except KeyError as exc:
                city.set_color_by(None)
                errors.append(exc)
        if errors and len(errors) == len(self.cities):
            raise errors[0]
        self.sig_changed.emit()

    def bounds(self) -> tuple[float, float, float, float, float, float]:
        lo = np.min([c.index.lo[0] for c in self.cities], axis=0)
        hi = np.max([c.index.hi[0] for c in self.cities], axis=0)
        return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]), float(lo[2]), float(hi[2]))

    def close(self) -> None:
        self._timer.stop()
        camera = self.plotter.renderer.GetActiveCamera()
        camera.RemoveObserver(self._observer)
        for s in self._streamers:
            s.stop()
        for c in self.cities:
            c.remove()
        if self._highlight is not None:
            self.plotter.renderer.RemoveActor(self._highlight)
            self._highlight = None
