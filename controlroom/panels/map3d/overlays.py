"""The live layers on the map: following an instance's live city, adding overlays with what a
click on their items does, their entries under Layers, refresh and hover.

A mixin of ``MapPanel``: the panel holds the state declared below and names the feed layers and
the legend (``tr`` stays in the panel, so their translations keep the panel's context).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPoint
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from controlroom.core.city import CityModel
from controlroom.render.overlay import MapOverlay
from controlroom.render.scene import CityScene, WgsFrame

if TYPE_CHECKING:
    from controlroom.core.site import View
    from controlroom.panels.map3d.tiles import MapTiles
    from controlroom.panels.map3d.tools import MapTools
    from controlroom.qt.live import LiveCity
    from controlroom.qt.map_decor import MapDecor
    from controlroom.qt.map_layers import MapLayers
    from controlroom.render.overlays.stack import OverlayStack
    from controlroom.render.theme import CityTheme


class MapOverlaysMixin:
    """The live layers of ``MapPanel``: attach to the live city, add, show, refresh, hover, pick."""

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
    _pick_handlers: dict[str, Callable[[str], None]]
    sig_overlay_picked: Any
    sig_object_picked: Any
    sig_feature_picked: Any
    sig_selection_cleared: Any

    if TYPE_CHECKING:  # provided by MapPanel and its other mixins

        def set_model(
            self, model: CityModel, views: Sequence[View] = (), frame: WgsFrame | None = None
        ) -> None: ...
        def show_progress(self, fraction: float, message: str) -> None: ...
        def show_failure(self, message: str) -> None: ...
        def focus_on(self, x: float, y: float, distance_m: float = 800.0) -> None: ...
        def request_render(self) -> None: ...
        def _add_feed_layers(self) -> None: ...
        def _update_legend(self, _change: object = None) -> None: ...
        def _on_object_selected(self, record: object) -> None: ...

    def attach_live(self, live: LiveCity) -> None:
        """Follow an instance's live city: its loading progress, its model, focus requests."""
        self.live = live
        live.sig_load_progress.connect(self.show_progress)
        live.sig_city_loaded.connect(lambda model: self.set_model(model, list(live.site.views), live.frame))
        live.sig_city_failed.connect(self.show_failure)
        live.sig_focus.connect(lambda x, y, d, _label: self.focus_on(x, y, d))
        # the layers hear the tick themselves (no hop through the panel); the legend follows it
        live.sig_tick.connect(self.layers.on_feed_tick)
        live.sig_tick.connect(self._update_legend)
        live.sig_feed_started.connect(self._add_feed_layers)
        self.sig_overlay_picked.connect(self._on_overlay_picked)
        self.sig_object_picked.connect(live.select_object)
        self.sig_feature_picked.connect(live.select_feature)
        self.sig_selection_cleared.connect(lambda: live.select_object(None))
        live.sig_object_selected.connect(self._on_object_selected)
        if live.model is not None:
            self.set_model(live.model, list(live.site.views), live.frame)
        if live.feed is not None:
            self._add_feed_layers()

    def add_overlay(self, overlay: MapOverlay, on_pick: Callable[[str], None] | None = None) -> MapOverlay:
        """Add a live layer (replacing one with the same key); it is listed under Layers.
        ``on_pick(item_id)``: what a click on one of its items does."""
        self.overlays.add(overlay)
        if on_pick is not None:
            self._pick_handlers[overlay.key] = on_pick
        if self.scene is not None:
            self._add_overlay_action(overlay)
            self.refresh_overlays()
        return overlay

    def overlay(self, key: str) -> MapOverlay:
        return self.overlays.get(key)

    def set_overlay_visible(self, key: str, visible: bool) -> None:
        overlay = self.overlays.get(key)
        overlay.set_visible(visible)
        action = self.layer_actions.get(f"overlay:{key}")
        if action is not None and action.isChecked() != visible:
            action.setChecked(visible)
        self.refresh_overlays()
        self.request_render()

    def refresh_overlays(self, now: float | None = None) -> bool:
        """Copy the live models into the overlays; one render when anything changed."""
        return self.layers.refresh(now)

    def hover_text(self, widget_pos: QPoint) -> str | None:
        """The label of the overlay item under a widget point (what the floating label shows)."""
        return self.layers.hover_text(widget_pos)

    def _add_overlay_action(self, overlay: MapOverlay) -> None:
        key = f"overlay:{overlay.key}"
        old = self.layer_actions.pop(key, None)
        if old is not None:
            self.layers_menu.removeAction(old)
        action = QAction(overlay.title, self.layers_menu)
        action.setCheckable(True)
        action.setChecked(overlay.is_visible())
        action.toggled.connect(lambda checked, k=overlay.key: self.set_overlay_visible(k, checked))
        self.layers_menu.addAction(action)
        self.layer_actions[key] = action

    def _on_overlay_picked(self, key: str, item_id: str) -> None:
        handler = self._pick_handlers.get(key)
        if handler is not None:
            handler(item_id)
            return
        if self.live is None:
            return
        if key == "entities":
            self.live.select_entity(item_id)
        elif key == "incidents":
            self.live.select_incident(item_id)
