"""The 3D city map panel: the city on a pyvistaqt view, a slim toolbar, click-to-select.

Everything drawn comes from ``render.scene.CityScene``; this widget only adds Qt: the toolbar
(colour by, named views, layer toggles), a progress overlay while a city loads, and a click
handler that picks through the cell locators (not VTK's render-based picker, which would cost a
full frame per click). Rendering is on demand: each change asks the widget to ``update()``,
which draws once in the next paint; there is no render timer.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

os.environ.setdefault("QT_API", "pyside6")

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QFont, QMouseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from pyvistaqt import QtInteractor

from controlroom.panels.map3d.camera import MapCameraMixin
from controlroom.panels.map3d.overlays import MapOverlaysMixin
from controlroom.panels.map3d.viewport import MapViewportMixin
from controlroom.qt import strings
from controlroom.qt.i18n import current_language
from controlroom.qt.map_decor import MapDecor
from controlroom.qt.map_layers import MapLayers
from controlroom.qt.panel_contract import LivePanel
from controlroom.render.city_visual import LegendWords
from controlroom.render.line_visual import boundary_level
from controlroom.render.scene import CityScene, WgsFrame
from controlroom.render.theme import DEFAULT_THEME, CityTheme, configure_pyvista

if TYPE_CHECKING:
    from controlroom.core.site import View
    from controlroom.layouts.geometry import BezelCompensation
    from controlroom.panels.map3d.tiles import MapTiles
    from controlroom.qt.live import LiveCity
    from controlroom.render.bezel_view import BezelTiles

CLICK_SLOP_PX = 4  # a press and release further apart than this is a drag (rotate), not a click
TOOLBAR_POINT_SIZE = 13
OVERLAY_POINT_SIZE = 20


class MapPanel(MapViewportMixin, MapOverlaysMixin, MapCameraMixin, LivePanel, QWidget):
    """The city in 3D. ``set_model`` shows a city; ``sig_object_picked`` reports clicks on objects."""

    panel_id: ClassVar[str] = "map3d"

    sig_object_picked = Signal(str, int)  # layer kind, object index
    sig_selection_cleared = Signal()  # a click on empty ground or sky
    sig_overlay_picked = Signal(str, str)  # overlay key, item id (a vehicle, an incident, a sensor)
    sig_feature_picked = Signal(object)  # a streamed tile's building: {"id", attributes…}

    def __init__(self, parent: QWidget | None = None, theme: CityTheme = DEFAULT_THEME) -> None:
        super().__init__(parent)
        configure_pyvista()
        self.theme = theme
        self.setWindowTitle(self.title())
        self.scene: CityScene | None = None
        self.tiles: MapTiles | None = None
        self.picked_feature: dict[str, object] | None = None
        self._views: list[View] = []
        self._frame: WgsFrame | None = None
        self._press_pos: QPoint | None = None
        self._released = False
        self.layer_actions: dict[str, QAction] = {}
        self.live: LiveCity | None = None
        # What a click on an overlay's item does, by overlay key (``add_overlay(on_pick=…)``).
        self._pick_handlers: dict[str, Callable[[str], None]] = {}
        self.bezel: BezelCompensation | None = None
        self._bezel_tiles: BezelTiles | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.toolbar = self._build_toolbar()
        layout.addWidget(self.toolbar)

        host = QWidget(self)
        grid = QGridLayout(host)
        grid.setContentsMargins(0, 0, 0, 0)
        # typed Any: pyvista's functools.wraps'd plotter methods do not type-check
        plotter: Any = QtInteractor(host, auto_update=False, multi_samples=0)
        self.plotter = plotter
        self.interactor: QWidget = plotter.interactor
        plotter.set_background(theme.background_bottom, top=theme.background_top)
        plotter.enable_terrain_style(mouse_wheel_zooms=True)
        if plotter.iren is not None:
            plotter.iren.clear_key_event_callbacks()  # pyvista's 'q' would close the view on a wall
            plotter.add_key_event("r", self.show_overview)
        self.interactor.installEventFilter(self)
        grid.addWidget(self.interactor, 0, 0)
        self.decor = MapDecor(host, self._project_to_widget)
        self.decor.north_text = self.tr("N", "north arrow")
        grid.addWidget(self.decor, 0, 0)
        plotter.render_window.AddObserver("EndEvent", self._after_render)  # bezel tiles render too
        self.progress_overlay = self._build_overlay(host)
        centre = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter
        grid.addWidget(self.progress_overlay, 0, 0, centre)
        layout.addWidget(host, 1)
        self.progress_overlay.hide()
        self._set_controls_enabled(False)
        self.interactor.setMouseTracking(True)
        self.layers = MapLayers(self.interactor, self.display_point, theme.text_color)
        self.layers.sig_render_needed.connect(self.request_render)
        self.overlays = self.layers.stack

    def title(self) -> str:
        return self.tr("3D City Map")

    def release(self) -> None:
        """Stop the layers' clock (the instance stops)."""
        self.layers.stop()

    # ------------------------------------------------------------------ widgets
    def _build_toolbar(self) -> QFrame:
        bar = QFrame(self)
        bar.setObjectName("map3dToolbar")
        bar.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        bar.setStyleSheet(
            f"#map3dToolbar {{ background: {self.theme.background_top}; border-bottom: 1px solid #2e4057; }}"
            f"#map3dToolbar QLabel {{ color: {self.theme.text_color}; }}"
        )
        font = QFont(bar.font())
        font.setPointSize(TOOLBAR_POINT_SIZE)
        bar.setFont(font)
        row = QHBoxLayout(bar)
        row.setContentsMargins(8, 4, 8, 4)
        row.setSpacing(8)

        self.color_combo = QComboBox(bar)
        self.color_combo.setToolTip(self.tr("Colour the buildings by an attribute"))
        self.color_combo.currentIndexChanged.connect(self._on_color_combo_changed)
        self.view_combo = QComboBox(bar)
        self.view_combo.setToolTip(self.tr("Fly to a named view of the site"))
        self.view_combo.activated.connect(self._on_view_combo_activated)
        for combo in (self.color_combo, self.view_combo):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.setMinimumContentsLength(10)
        self.layers_button = QToolButton(bar)
        self.layers_button.setText(self.tr("Layers"))
        self.layers_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.layers_menu = QMenu(self.layers_button)
        self.layers_button.setMenu(self.layers_menu)

        row.addWidget(QLabel(self.tr("Colour by"), bar))
        row.addWidget(self.color_combo)
        row.addSpacing(16)
        row.addWidget(QLabel(self.tr("View"), bar))
        row.addWidget(self.view_combo)
        row.addSpacing(16)
        row.addWidget(self.layers_button)
        row.addSpacing(16)
        from controlroom.panels.map3d.tools import MapTools

        self.tools = MapTools(self, bar)
        row.addWidget(self.tools.search, 1)
        row.addWidget(self.tools.measure_button)
        row.addStretch(1)
        self.tiles_label = QLabel(bar)  # streamed tiles: shown / loading / budget
        self.tiles_label.hide()
        row.addWidget(self.tiles_label)
        return bar

    def _build_overlay(self, host: QWidget) -> QFrame:
        overlay = QFrame(host)
        overlay.setObjectName("map3dProgress")
        overlay.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        overlay.setStyleSheet(
            "#map3dProgress { background: rgba(5, 8, 15, 215); border: 1px solid #2e4057;"
            " border-radius: 10px; }"
            f"#map3dProgress QLabel {{ color: {self.theme.text_color}; }}"
        )
        box = QVBoxLayout(overlay)
        box.setContentsMargins(28, 20, 28, 20)
        self.progress_label = QLabel(overlay)
        font = QFont(self.progress_label.font())
        font.setPointSize(OVERLAY_POINT_SIZE)
        font.setBold(True)
        self.progress_label.setFont(font)
        self._overlay_font = font
        self.progress_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.progress_bar = QProgressBar(overlay)
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMinimumWidth(420)
        self.progress_bar.setFixedHeight(14)
        box.addWidget(self.progress_label)
        box.addWidget(self.progress_bar)
        return overlay

    def _set_controls_enabled(self, enabled: bool) -> None:
        for widget in (self.color_combo, self.view_combo, self.layers_button, self.tools.search):
            widget.setEnabled(enabled)

    # ------------------------------------------------------------------ public API
    def show_progress(self, fraction: float, message: str) -> None:
        """Show the loading overlay; ``fraction`` in 0..1, or < 0 for 'busy, length unknown'."""
        if fraction < 0:
            self.progress_bar.setRange(0, 0)
        else:
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(round(min(fraction, 1.0) * 1000))
        self.progress_bar.show()
        self.progress_label.setFont(self._overlay_font)
        self.progress_label.setText(message)
        self.progress_overlay.show()
        self.progress_overlay.raise_()

    def show_failure(self, message: str) -> None:
        """The city could not load: say why in the middle of the map, wrapped to fit, instead of an
        empty dark view (the message names the site key and file, as the command line does)."""
        self.progress_bar.hide()
        font = QFont(self._overlay_font)
        font.setPointSize(max(10, OVERLAY_POINT_SIZE // 2))
        font.setBold(False)
        self.progress_label.setFont(font)
        self.progress_label.setWordWrap(True)
        self.progress_label.setMaximumWidth(max(420, int(self.width() * 0.8)))
        self.progress_label.setTextFormat(Qt.TextFormat.PlainText)
        self.progress_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress_label.setText(self.tr("Could not load the city: {0}").format(message))
        self.progress_overlay.show()
        self.progress_overlay.raise_()

    def hide_progress(self) -> None:
        self.progress_overlay.hide()

    # ------------------------------------------------------------------ live overlays
    def _add_feed_layers(self) -> None:
        if self.live is None:
            return
        titles = {
            "entities": self.tr("Vehicles and units"),
            "trails": self.tr("Trails"),
            "heatmap": self.tr("Density heatmap"),
            "incidents": self.tr("Incidents"),
            "sensors": self.tr("Sensors"),
        }
        for key in self.layers.add_feed_layers(self.live, titles):
            if self.scene is not None:
                self._add_overlay_action(self.overlays.get(key))
        self.refresh_overlays()

    def _update_legend(self, _change: object = None) -> None:
        """The legend lists what the visible live layers draw: each vehicle kind present, with its
        colour and glyph (chevron: fleet, diamond: dispatchable unit), incidents and sensors."""
        from controlroom.core.protocol import ENTITY_KINDS
        from controlroom.qt.map_decor import LegendRow
        from controlroom.render.overlays.entities import KIND_COLOURS, UNIT_KINDS
        from controlroom.render.overlays.incidents import SEVERITY_COLOURS
        from controlroom.render.overlays.sensors import STATUS_COLOURS

        rows: list[LegendRow] = []
        keys = set(self.overlays.keys())
        store = self.live.entities if self.live is not None else None
        if (
            store is not None
            and len(store)
            and "entities" in keys
            and self.overlays.get("entities").is_visible()
        ):
            for code in sorted({int(k) for k in np.unique(store.kind[: len(store)])}):
                kind = ENTITY_KINDS[code]
                shape = "diamond" if kind in UNIT_KINDS else "chevron"
                colour = KIND_COLOURS.get(kind, KIND_COLOURS["other"])
                rows.append(LegendRow(strings.entity_kind_label(kind), colour, shape))
        if "incidents" in keys and self.overlays.get("incidents").is_visible():
            rows.append(LegendRow(self.tr("Incident"), SEVERITY_COLOURS[1], "pin"))
        if "sensors" in keys and self.overlays.get("sensors").is_visible():
            rows.append(LegendRow(self.tr("Sensor"), STATUS_COLOURS["ok"], "column"))
        self.decor.set_legend(self.tr("On the map") if rows else "", rows)

    # ------------------------------------------------------------------ toolbar fill
    def _column_label(self, name: str) -> str:
        labels = {"height": self.tr("Height"), "type": self.tr("Type"), "lod": self.tr("LoD")}
        return labels.get(name) or strings.code_label("building_attribute", name)

    def _legend_words(self) -> LegendWords:
        """The colour legend in the app's language: VTK draws it, and VTK's font has no CJK."""
        from controlroom.qt.cjk_font import find_source
        from controlroom.qt.site_words import attribute_value

        font = find_source("Regular") if current_language() == "zh_CN" else None
        site = self.live.site if self.live is not None else None
        return LegendWords(
            title=self._column_label,
            no_value=self.tr("(no value)"),
            value=lambda value: attribute_value(site, value),
            font_file=str(font) if font else None,
        )

    def _fill_color_combo(self) -> None:
        assert self.scene is not None
        self.color_combo.blockSignals(True)
        self.color_combo.clear()
        self.color_combo.addItem(self.tr("Surface"), None)
        tiled = self.tiles.color_by_options() if self.tiles is not None else []
        for name in self.scene.color_by_options() or tiled:
            self.color_combo.addItem(self._column_label(name), name)
        self.color_combo.setCurrentIndex(0)
        self.color_combo.blockSignals(False)

    def _fill_view_combo(self) -> None:
        self.view_combo.clear()
        self.view_combo.addItem(self.tr("Overview"), None)
        for view in self._views:
            self.view_combo.addItem(view.title_in(current_language()), view.name)
        if self._frame is None and self._views:
            self.view_combo.setToolTip(self.tr("Named views need the site's local frame"))

    def _layer_label(self, key: str) -> str:
        level = boundary_level(key)
        if level is not None:
            levels = {
                "city": self.tr("City boundary"),
                "district": self.tr("District boundaries"),
                "street": self.tr("Street boundaries"),
                "grid": self.tr("Grid cells"),
            }
            return levels.get(level, self.tr("Boundaries: {0}").format(level))
        names = {
            "buildings": self.tr("Buildings"),
            "roads": self.tr("Roads"),
            "water": self.tr("Water"),
            "terrain": self.tr("Terrain"),
            "vegetation": self.tr("Vegetation"),
            "landuse": self.tr("Land use"),
            "bridges": self.tr("Bridges"),
            "poi": self.tr("Points of interest"),
        }
        return names.get(key, key)

    def _fill_layers_menu(self) -> None:
        assert self.scene is not None
        self.layers_menu.clear()
        self.layer_actions.clear()
        for key in self.scene.layer_keys():
            action = QAction(self._layer_label(key), self.layers_menu)
            action.setCheckable(True)
            action.setChecked(self.scene.is_layer_visible(key))
            action.toggled.connect(lambda checked, k=key: self.set_layer_visible(k, checked))
            self.layers_menu.addAction(action)
            self.layer_actions[key] = action
        if len(self.overlays):
            self.layers_menu.addSeparator()
        for key in self.overlays.keys():  # noqa: SIM118 (a stack, not a dict)
            self._add_overlay_action(self.overlays.get(key))

    # ------------------------------------------------------------------ handlers
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Tell a click (press and release in place) from a drag; never swallow VTK's events."""
        if watched is self.interactor and isinstance(event, QMouseEvent):
            if event.type() == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
                self._press_pos = event.position().toPoint()
            elif event.type() == QEvent.Type.MouseMove and event.buttons() == Qt.MouseButton.NoButton:
                self.layers.hover(event.position().toPoint())
            elif (
                event.type() == QEvent.Type.MouseButtonRelease
                and event.button() == Qt.MouseButton.LeftButton
                and self._press_pos is not None
            ):
                pos = event.position().toPoint()
                moved = (pos - self._press_pos).manhattanLength()
                self._press_pos = None
                if moved <= CLICK_SLOP_PX:
                    self._on_view_clicked(pos)
        if watched is self.interactor and event.type() == QEvent.Type.Leave:
            self.layers.hover(None)
        if watched is self.interactor and event.type() == QEvent.Type.Resize:
            self._refit_overview()
        return super().eventFilter(watched, event)

    def _on_view_clicked(self, pos: QPoint) -> None:
        if self.scene is None:
            return
        x, y = self.display_point(pos.x(), pos.y())
        if self.tools.measuring:
            from controlroom.panels.map3d.tools import ground_point
            from controlroom.render.picking import display_ray

            point = ground_point(*display_ray(self.plotter, x, y))
            if point is not None:
                self.tools.add_measure_point(point)
            return
        hit = self.overlays.pick(x, y)
        if hit is not None:
            self.sig_overlay_picked.emit(*hit)
            return
        if self.tiles is not None:
            from controlroom.render.picking import display_ray

            near, far = display_ray(self.plotter, x, y)
            tile_hit = self.tiles.pick(near, far)
            self.tiles.highlight(tile_hit)
            if tile_hit is not None:
                self.picked_feature = dict(tile_hit.record)
                self.tiles_label.setText(self.tr("Building {id}").format(id=tile_hit.record.get("id")))
                self.sig_feature_picked.emit(self.picked_feature)
                return
        result = self.scene.pick(x, y)
        if result is None:
            self.scene.highlight(None)
            self.request_render()
            self.sig_selection_cleared.emit()
            return
        self.scene.highlight(result.layer_kind, result.object_index)
        self.request_render()
        self.sig_object_picked.emit(result.layer_kind, result.object_index)

    # ------------------------------------------------------------------ teardown
    def _release_plotter(self) -> None:
        """Free the VTK render window and GL resources once; safe to call repeatedly."""
        if getattr(self, "_released", True):
            return
        self._released = True
        self.interactor.removeEventFilter(self)
        if self._bezel_tiles is not None:
            self._bezel_tiles.remove()
            self._bezel_tiles = None
        self.layers.stop()
        self.overlays.detach()
        self._close_tiles()
        if self.scene is not None:
            self.scene.clear()
            self.scene = None
        self.plotter.close()

    def close(self) -> bool:
        self._release_plotter()
        return super().close()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._release_plotter()
        super().closeEvent(event)
