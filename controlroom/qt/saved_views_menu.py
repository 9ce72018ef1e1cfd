"""A "Views" menu for a 3D map: recall site and user views in one click (or Ctrl+1…9), save the
current camera, layers and colouring under a name, delete one's own views.

It drives any map with the MapPanel's public API (``camera_state``/``apply_camera_state``,
``set_layer_visible``, ``set_color_by``, ``scene``), so this module needs no panel import; the
window that owns the map adds the menu (``SavedViewsMenu(map_panel, live.site, live.frame)``).
"""

from __future__ import annotations

import contextlib
from typing import Any, Protocol

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QInputDialog, QMenu, QWidget

from controlroom.core.saved_views import SavedView, ViewStore
from controlroom.core.site import Site
from controlroom.qt.site_words import view_title

SHORTCUT_VIEWS = 9


class MapLike(Protocol):
    scene: Any

    def camera_state(self) -> dict[str, float] | None: ...
    def apply_camera_state(self, state: dict[str, float]) -> None: ...
    def set_layer_visible(self, key: str, visible: bool) -> None: ...
    def set_color_by(self, name: str | None) -> None: ...


def capture_view(name: str, map_: MapLike, frame: Any) -> SavedView:
    """The map's camera, visible layers and colouring as a view (lon/lat via the site frame)."""
    state = map_.camera_state()
    if state is None or map_.scene is None:
        raise RuntimeError("no city on the map yet: nothing to save")
    lon, lat = frame.to_wgs84(state["x"], state["y"])
    scene = map_.scene
    layers = {key: bool(scene.is_layer_visible(key)) for key in scene.layer_keys()}
    return SavedView(
        name,
        float(lon),
        float(lat),
        state["distance_m"],
        state["azimuth_deg"],
        state["elevation_deg"],
        scene.color_by,
        layers,
    )


def apply_view(view: SavedView, map_: MapLike, frame: Any) -> None:
    """Camera, then layers this view names (others stay as they are), then colouring."""
    x, y = frame.from_wgs84(view.lon, view.lat)
    map_.apply_camera_state(
        {
            "x": float(x),
            "y": float(y),
            "z": 0.0,
            "distance_m": view.distance_m,
            "azimuth_deg": view.azimuth_deg,
            "elevation_deg": view.elevation_deg,
        }
    )
    known = set(map_.scene.layer_keys()) if map_.scene is not None else set()
    for key, visible in view.layers.items():
        if key in known:
            map_.set_layer_visible(key, visible)
    with contextlib.suppress(KeyError):  # a colouring this city lacks: keep the current one
        map_.set_color_by(view.color_by)


class SavedViewsMenu(QMenu):
    def __init__(self, map_: MapLike, site: Site, frame: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("&Views"))
        self.map = map_
        self.frame = frame
        self.site = site
        self.store = ViewStore(site)
        self.aboutToShow.connect(self.rebuild)
        self.rebuild()

    def rebuild(self) -> None:
        self.clear()
        for i, view in enumerate(self.store.all()):
            if view.origin == "site":
                label = view_title(self.site, view.name)
            else:
                label = self.tr("{0} (mine)").format(view.name)
            action = self.addAction(label)
            if i < SHORTCUT_VIEWS:
                action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _c=False, v=view: self.recall(v.name))
        self.addSeparator()
        self.addAction(self.tr("Save current view…")).triggered.connect(self._ask_save)
        mine = self.store.user_views()
        if mine:
            delete = self.addMenu(self.tr("Delete my view"))
            for view in mine:
                delete.addAction(view.name).triggered.connect(lambda _c=False, n=view.name: self.delete(n))

    def recall(self, name: str) -> None:
        view = self.store.find(name)
        if view is None:
            raise KeyError(f"no view named '{name}'")
        apply_view(view, self.map, self.frame)

    def save_current(self, name: str) -> SavedView:
        view = capture_view(name.strip(), self.map, self.frame)
        self.store.save(view)
        self.rebuild()
        return view

    def delete(self, name: str) -> None:
        self.store.delete(name)
        self.rebuild()

    def _ask_save(self) -> None:
        name, ok = QInputDialog.getText(
            self.parentWidget(), self.tr("Save view"), self.tr("Name of this view:")
        )
        if ok and name.strip():
            self.save_current(name)
