"""What the map shows and where: the city and its streamed tiles, on-demand rendering, pixel
conversions, the decor after each frame, selection, colour-by and named views.

A mixin of ``MapPanel``: the panel builds the widgets and holds the state declared below; the
words on them (``tr``) stay in the panel, so their translations keep the panel's context.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QPoint
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QLabel, QMenu, QWidget

from controlroom.core.city import CityModel
from controlroom.qt.i18n import current_language
from controlroom.render.scene import CityScene, WgsFrame

if TYPE_CHECKING:
    from controlroom.core.site import View
    from controlroom.panels.map3d.tiles import MapTiles
    from controlroom.panels.map3d.tools import MapTools
    from controlroom.qt.live import LiveCity
    from controlroom.qt.map_decor import MapDecor
    from controlroom.qt.map_layers import MapLayers
    from controlroom.render.city_visual import LegendWords
    from controlroom.render.overlays.stack import OverlayStack
    from controlroom.render.theme import CityTheme


class MapViewportMixin:
    """The view of ``MapPanel``: model, tiles, render, pixels, selection, colour-by, views."""

    theme: CityTheme
    scene: CityScene | None
    tiles: MapTiles | None
    live: LiveCity | None
    plotter: Any
    interactor: QWidget
    decor: MapDecor
    tools: MapTools
    layers: MapLayers
    overlays: OverlayStack
    layer_actions: dict[str, QAction]
    layers_menu: QMenu
    _views: list[View]
    _frame: WgsFrame | None
    color_combo: QComboBox
    view_combo: QComboBox
    tiles_label: QLabel

    if TYPE_CHECKING:  # provided by MapPanel

        def hide_progress(self) -> None: ...
        def _fill_color_combo(self) -> None: ...
        def _fill_view_combo(self) -> None: ...
        def _legend_words(self) -> LegendWords: ...
        def _fill_layers_menu(self) -> None: ...
        def _set_controls_enabled(self, enabled: bool) -> None: ...

    def set_model(self, model: CityModel, views: Sequence[View] = (), frame: WgsFrame | None = None) -> None:
        """Show a city (replacing any other), list its views, hide the progress overlay."""
        if self.scene is not None:
            self.scene.clear()
        self._close_tiles()
        self.scene = CityScene(self.plotter, model, self.theme)
        self.scene.set_legend_words(self._legend_words())
        self.scene.reset_camera(self._map_pixels())
        if model.tilesets:
            self._open_tiles(model)
        self._views = list(views)
        self._frame = frame
        self._fill_color_combo()
        self._fill_view_combo()
        from controlroom.render.map_labels import collect_labels

        self.decor.set_labels(collect_labels(model), current_language())
        self.decor.set_marker(None)
        self.tools.clear_measure()
        self.tools.index_city(model)
        self.overlays.attach(self.plotter)
        self._fill_layers_menu()
        self._set_controls_enabled(True)
        self.hide_progress()
        self.request_render()

    def _open_tiles(self, model: CityModel) -> None:
        from controlroom.panels.map3d.tiles import MapTiles

        memory_mb = self.live.tile_memory_mb if self.live is not None else 600
        self.tiles = MapTiles(self.plotter, model.tilesets, model.crs, model.origin, memory_mb)
        self.tiles.sig_changed.connect(self.request_render)
        self.tiles.sig_status.connect(self.tiles_label.setText)
        self.tiles_label.show()
        assert self.scene is not None
        self.scene.extra_bounds = self.tiles.bounds()  # type: ignore[attr-defined]
        self.scene.reset_camera(self._map_pixels())
        self.tiles.update_now()

    def _close_tiles(self) -> None:
        if self.tiles is not None:
            self.tiles.close()
            self.tiles = None
            self.tiles_label.hide()

    def select_object(self, layer_kind: str | None, object_index: int | None = None) -> None:
        """Highlight an object programmatically (no signal); ``select_object(None)`` clears."""
        if self.scene is None:
            return
        self.scene.highlight(layer_kind, object_index)
        self.request_render()

    def _on_object_selected(self, record: object) -> None:
        """A city object chosen elsewhere (e.g. the flood what-if's building list): highlight it."""
        if self.scene is None or not isinstance(record, dict):
            return
        kind = str(record.get("layer"))
        layer = self.scene.model.layers.get(kind)
        if layer is None or record.get("id") not in layer.objects.ids:
            return
        index = layer.objects.ids.index(str(record["id"]))
        if self.scene.selection != (kind, index):
            self.select_object(kind, index)

    def set_color_by(self, name: str | None) -> None:
        """Colour buildings by a column (None = by surface); keeps the combo in step."""
        index = self.color_combo.findData(name) if name else 0
        if index < 0:
            raise KeyError(f"cannot colour by '{name}': not an attribute of this city's buildings")
        if index == self.color_combo.currentIndex():
            self._on_color_combo_changed(index)
        else:
            self.color_combo.setCurrentIndex(index)

    def fly_to(self, view_name: str | None) -> None:
        """Fly to a named site view, or the overview for None."""
        if view_name is None:
            self.show_overview()
            return
        for view in self._views:
            if view.name == view_name:
                self._fly_to(view)
                return
        known = ", ".join(v.name for v in self._views) or "none"
        raise KeyError(f"no view named '{view_name}' (views: {known})")

    def _project_to_widget(self, world: np.ndarray) -> np.ndarray:
        """World points → decor widget pixels (top-left origin, logical pixels); NaN behind."""
        from controlroom.render.overlays.base import project_points

        display = project_points(self.plotter, world)
        dpr = self.interactor.devicePixelRatioF()
        out = np.empty_like(display)
        out[:, 0] = display[:, 0] / dpr
        out[:, 1] = self.interactor.height() - display[:, 1] / dpr
        return out

    def _after_render(self, _caller: object = None, _event: str = "") -> None:
        """After each VTK frame: hand the decor the camera (north, scale) and repaint it."""
        camera = self.plotter.camera
        fx, fy, fz = camera.focal_point
        px, py, _pz = camera.position
        dx, dy = fx - px, fy - py
        norm = float(np.hypot(dx, dy))
        right = (dy / norm, -dx / norm) if norm > 1e-6 else (1.0, 0.0)
        self.decor.set_camera((float(fx), float(fy), float(fz)), (float(right[0]), float(right[1])))
        self.decor.update()

    def _map_pixels(self) -> tuple[int, int]:
        dpr = self.interactor.devicePixelRatioF()
        return max(1, round(self.interactor.width() * dpr)), max(1, round(self.interactor.height() * dpr))

    def _refit_overview(self) -> None:
        """A map resized while showing the overview (a wall placing its panels) keeps it filled."""
        if self.scene is not None and self.scene.at_overview():
            self.scene.reset_camera(self._map_pixels())
            self.request_render()

    def show_overview(self) -> None:
        if self.scene is not None:
            self.scene.reset_camera(self._map_pixels())
            self.view_combo.setCurrentIndex(0)
            self.request_render()

    def set_layer_visible(self, key: str, visible: bool) -> None:
        if self.scene is None:
            return
        self.scene.set_layer_visible(key, visible)
        action = self.layer_actions.get(key)
        if action is not None and action.isChecked() != visible:
            action.setChecked(visible)
        self.request_render()

    def request_render(self) -> None:
        """Draw once at the next paint (never a render loop)."""
        self.interactor.update()

    def display_point(self, x: float, y: float) -> tuple[float, float]:
        """Widget (logical, top-left origin) → VTK display (device pixels, bottom-left origin)."""
        dpr = self.interactor.devicePixelRatioF()
        return round(x * dpr), round((self.interactor.height() - y - 1) * dpr)

    def widget_point(self, display_x: float, display_y: float) -> QPoint:
        """VTK display pixel → widget point: the inverse of :meth:`display_point`."""
        dpr = self.interactor.devicePixelRatioF()
        return QPoint(round(display_x / dpr), round(self.interactor.height() - 1 - display_y / dpr))

    def _on_color_combo_changed(self, index: int) -> None:
        if self.scene is None or index < 0:
            return
        if self.tiles is not None:  # a tiled city: the buildings are the tiles (render.tiled_city)
            self.tiles.set_color_by(self.color_combo.itemData(index))
        else:
            self.scene.set_color_by(self.color_combo.itemData(index))
        self.request_render()

    def _on_view_combo_activated(self, index: int) -> None:
        name = self.view_combo.itemData(index)
        if name is None:
            self.show_overview()
        else:
            self.fly_to(name)

    def _fly_to(self, view: View) -> None:
        if self.scene is None or self._frame is None:
            return
        if self.tiles is not None and view.color_by is not None:
            self.scene.fly_to_view(view.model_copy(update={"color_by": None}), self._frame)
            self.tiles.set_color_by(view.color_by)
        else:
            self.scene.fly_to_view(view, self._frame)
        if view.color_by is not None:
            index = self.color_combo.findData(view.color_by)
            self.color_combo.blockSignals(True)
            self.color_combo.setCurrentIndex(max(index, 0))
            self.color_combo.blockSignals(False)
        self.request_render()
