"""The 三防 desk's flood what-if: drag the river level, see what goes under, export who to move.

A thin view over the live city's ``FloodState`` (``qt.flood_state``): the slider sets the level
(every move recomputes; the state decides whether that runs on the GUI thread or in the
background), the totals and the list of affected areas by street → grid follow its
``sig_impact_changed``. Double-clicking a grid flies the map there; "Cameras around" opens the
cameras nearest the grid's affected buildings; the evacuation list is a CSV with Chinese and
English headers. The map draws the same impact (its water and buildings layers read the state).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSlider,
    QStyle,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from controlroom.qt.fit import GridReflow, flow_row
from controlroom.qt.flood_state import flood_state_for
from controlroom.qt.panel_contract import LivePanel

if TYPE_CHECKING:
    from controlroom.geo.flood_whatif import FloodImpact
    from controlroom.qt.live import LiveCity

GAUGE_REFRESH_S = 1.0
NOW_COLOUR = "#22c55e"
FORECAST_COLOUR = "#f59e0b"
SLIDER_SPAN_M = 8.0  # from just below the lowest bank to well over any gauge alarm
FLY_DISTANCE_M = 900.0
FLY_CLOSE_M = 350.0  # a building or a cut road: close enough to see the water at its walls


class FloodPanel(LivePanel, QWidget):
    panel_id: ClassVar[str] = "flood"

    def __init__(self, live: LiveCity, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.live = live
        self.state = flood_state_for(live)
        self.setWindowTitle(self.title())
        self.setObjectName("floodPanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(
            "#floodPanel { background: #05080f; }"
            " #floodPanel QLabel, #floodPanel QCheckBox { color: #e6edf7; }"
            " QTreeWidget { background: #0d1522; color: #e6edf7; }"
            " QHeaderView::section { background: #142033; color: #c9d3e2; }"
        )
        box = QVBoxLayout(self)
        self.status = QLabel(self.tr("Preparing the terrain…"), self)
        self.status.setWordWrap(True)
        box.addWidget(self.status)
        self.ground_note = QLabel(self)  # the flat-ground approximation's caveat, while it is used
        self.ground_note.setWordWrap(True)
        self.ground_note.setStyleSheet("color: #f59e0b;")
        self.ground_note.hide()
        box.addWidget(self.ground_note)
        self.flat_button = QPushButton(self.tr("Use flat ground"), self)
        self.flat_button.setToolTip(
            self.tr("Ground flat at [flood] flat_ground_m; the water spreads from the water layer")
        )
        self.flat_button.clicked.connect(self.state.use_flat_ground)
        self.flat_button.hide()
        box.addWidget(self.flat_button)

        row = QHBoxLayout()
        self.level_label = QLabel("—", self)
        self.slider = MarkedSlider(self)
        self.slider.setEnabled(False)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setTickInterval(100)  # one tick a metre
        self.slider.valueChanged.connect(self._on_slider_moved)
        row.addWidget(QLabel(self.tr("River level"), self))
        row.addWidget(self.slider, 1)
        row.addWidget(self.level_label)
        box.addLayout(row)
        self.gauges = QLabel(self)
        box.addWidget(self.gauges)
        self.to_gauge = QPushButton(self.tr("Set to the highest gauge reading"), self)
        self.to_gauge.clicked.connect(self._on_to_gauge_clicked)
        box.addWidget(self.to_gauge)

        grid = QGridLayout()
        captions = {
            "area_km2": self.tr("Flooded area (km²)"),
            "flooded": self.tr("Buildings flooded"),
            "wet": self.tr("Buildings wet"),
            "people": self.tr("People affected"),
            "roads_cut_km": self.tr("Roads cut (km)"),
            "cameras": self.tr("Cameras in water"),
            "units": self.tr("Units in water"),
            "underground": self.tr("Underground sites"),
        }
        self.numbers: dict[str, QLabel] = {}
        cells: list[tuple[QWidget, ...]] = []
        for key, caption in captions.items():
            value = QLabel("—", self)
            value.setStyleSheet("font-size: 16pt; font-weight: bold;")
            cells.append((QLabel(caption, self), value))
            self.numbers[key] = value
        self.number_cells = GridReflow(
            self, grid, cells, 4
        )  # four across when there is room, fewer in a narrow dock
        box.addLayout(grid)

        self.avoid = QCheckBox(self.tr("Dispatch routes avoid cut roads"), self)
        self.avoid.toggled.connect(self._on_avoid_toggled)
        box.addWidget(self.avoid)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(
            [self.tr("Street / grid"), self.tr("Flooded"), self.tr("Wet"), self.tr("People")]
        )
        self.tree.itemDoubleClicked.connect(self._on_item_double_clicked)
        self.tree.itemExpanded.connect(self._on_item_expanded)
        _name_column_wide(self.tree)
        self.tree.currentItemChanged.connect(self._on_current_changed)
        box.addWidget(self.tree, 3)
        self.roads = QTreeWidget(self)
        self.roads.setHeaderLabels([self.tr("Cut road"), self.tr("km")])
        self.roads.setRootIsDecorated(False)
        _name_column_wide(self.roads)
        self.roads.itemDoubleClicked.connect(self._on_item_double_clicked)
        self.roads.currentItemChanged.connect(self._on_current_changed)
        box.addWidget(self.roads, 1)
        buttons = flow_row()  # wraps in a narrow dock
        self.cameras_button = QPushButton(self.tr("Cameras around"), self)
        self.cameras_button.clicked.connect(self._on_cameras_clicked)
        self.export_button = QPushButton(self.tr("Export evacuation list…"), self)
        self.export_button.clicked.connect(self._on_export_clicked)
        buttons.addWidget(self.cameras_button)
        buttons.addWidget(self.export_button)
        box.addLayout(buttons)
        self._places: dict[int, tuple[float, float, str]] = {}  # id(item) → x, y, label
        self._why: tuple[float, str] | None = None  # the level an alarm asked about, and why
        self._members: dict[int, np.ndarray] = {}  # id(grid item) → its affected buildings (lazy rows)
        self._building_of: dict[int, int] = {}  # id(building item) → building index
        self._impact: FloodImpact | None = None
        self._current: QTreeWidgetItem | None = None

        self.state.sig_scene_ready.connect(self._on_scene_ready)
        self.state.sig_failed.connect(self._on_failed)
        self.state.sig_impact_changed.connect(self.show_impact)
        live.sig_flood_what_if.connect(self._on_what_if_requested)
        self._gauges_at = 0.0
        live.sig_tick.connect(self._on_tick)  # gauge readings and forecasts, at most once a second
        if self.state.scene is not None:
            self._on_scene_ready()
        elif self.state.error:
            self._on_failed(self.state.error)
        self.show_impact(self.state.impact)

    def showEvent(self, event: QShowEvent) -> None:
        """The scene (terrain, samples) is built the first time the what-if is looked at, not at
        every start of the app: a tab behind the alarms costs nothing until opened."""
        super().showEvent(event)
        # a tab behind another dock is shown for a moment while the window first lays out: look
        # again once the event loop has settled, and build only if the what-if is really on screen
        QTimer.singleShot(0, self, self._build_if_visible)

    def _build_if_visible(self) -> None:
        if self.isVisible() and self.state.scene is None and not self.state.error:
            self.state.ensure_scene()  # now, or as soon as the city is loaded

    def title(self) -> str:
        return self.tr("Flood What-If")

    # ------------------------------------------------------------------ state → view
    def _on_scene_ready(self) -> None:
        scene = self.state.scene
        assert scene is not None
        z = scene.terrain.z[~scene.river]
        z = z[~np.isnan(z)]
        low = float(np.floor(np.percentile(z, 0.5) if len(z) else 0.0)) - 1.0
        self.slider.blockSignals(True)
        wanted = self.state.wanted_level
        lo, hi = round(low * 100), round((low + SLIDER_SPAN_M) * 100)
        value = round(wanted * 100) if wanted is not None else lo
        self.slider.setRange(min(lo, value), max(hi, value))
        self.slider.setValue(value)
        self.slider.blockSignals(False)
        self.slider.setEnabled(True)
        self.status.setText(self.tr("Drag the river level; the map shows the water."))
        self.flat_button.hide()
        if scene.flat_ground_m is not None:
            self.ground_note.setText(
                self.tr(
                    "No terrain: the ground is taken as flat at {0:.2f} m outside the water layer, so "
                    "the water stands at level − {0:.2f} m everywhere it reaches. Add [terrain] for real "
                    "extents."
                ).format(scene.flat_ground_m)
            )
            self.ground_note.show()
        else:
            self.ground_note.hide()
        self.show_gauges()

    def _on_failed(self, message: str) -> None:
        self.slider.setEnabled(False)
        no_terrain = self.live.site.terrain is None and not self.state.flat_ground
        if no_terrain:  # not a broken terrain but none: say it in the desk's words, offer flat ground
            message = self.tr(
                "the site has no [terrain], so it cannot tell which ground is low. Add a DEM or a "
                "CityJSON TINRelief under [terrain], or use flat ground."
            )
        self.status.setText(self.tr("No what-if for this site: {0}").format(message))
        self.flat_button.setVisible(no_terrain)

    def show_gauges(self) -> None:
        """The highest gauge now and the forecast alarms' levels, as words and as slider marks."""
        levels = self.state.gauge_levels()
        forecasts = self.state.forecast_levels()
        marks = [(round(v * 100), FORECAST_COLOUR, self.tr("forecast")) for v in forecasts.values()]
        words = []
        if levels:
            top = max(levels, key=levels.__getitem__)
            marks.append((round(levels[top] * 100), NOW_COLOUR, self.tr("now")))
            words.append(self.tr("Highest gauge: {0} at {1:.2f} m").format(top, levels[top]))
        else:
            words.append(self.tr("No river gauge on the feed yet"))
        words += [self.tr("Forecast: {0} → {1:.2f} m").format(t, v) for t, v in forecasts.items()]
        self.gauges.setText("\n".join(words))
        self.slider.set_marks(marks)
        self.to_gauge.setEnabled(bool(levels) and self.slider.isEnabled())

    def _on_tick(self, _change: object) -> None:
        now = time.monotonic()
        if now - self._gauges_at >= GAUGE_REFRESH_S:
            self._gauges_at = now
            self.show_gauges()

    def show_impact(self, impact: FloodImpact | None) -> None:
        self.tree.clear()
        self.roads.clear()
        self._places.clear()
        self._members.clear()
        self._building_of.clear()
        self._impact, self._current = impact, None
        if impact is None:
            for value in self.numbers.values():
                value.setText("—")
            return
        s = impact.summary()
        self.level_label.setText(self.tr("{0:.2f} m").format(s["level_m"]))
        values = {
            "area_km2": f"{s['area_km2']:.2f}",
            "flooded": f"{s['buildings']['flooded']:,}",
            "wet": f"{s['buildings']['wet']:,}",
            "people": f"{s['people']:,}",
            "roads_cut_km": f"{s['roads_cut_km']:.1f}",
            "cameras": f"{s['cameras']:,}",
            "units": f"{s['units']:,}",
            "underground": f"{len(s['underground']):,}",
        }
        for key, text in values.items():
            self.numbers[key].setText(text)
        why = (
            self._why if self._why is not None and abs(self._why[0] - impact.extent.level_m) < 1e-6 else None
        )
        self._why = why
        if why is not None:  # an alarm's "What if?": its reason stays until the level moves
            self.status.setText(self.tr("What if: {0}").format(why[1]))
        elif impact.extent.nothing_floods:
            self.status.setText(self.tr("Nothing floods at {0:.2f} m.").format(s["level_m"]))
        else:
            self.status.setText(self.tr("Water at {0:.2f} m.").format(s["level_m"]))
        self._fill_tree(impact)
        for name, km, x, y in impact.cut_roads():
            item = _NumericItem([name, f"{km:.2f}"])
            self._places[id(item)] = (x, y, name)
            self.roads.addTopLevelItem(item)

    def _fill_tree(self, impact: FloodImpact) -> None:
        """Streets, and their grids, with flooded/wet buildings and residents (most people first).

        Grouped on the scene's integer area codes with ``bincount``: a slider step makes one row
        per street and grid, whatever the number of buildings (theirs come when a grid opens)."""
        affected = np.flatnonzero(impact.building_state >= 1)
        if not len(affected):
            return
        b = impact.scene.buildings
        unknown = self.tr("(no street)")
        levels = [impact.scene.label_codes(level) for level in ("street", "grid")]
        names = [c[0] if c is not None else np.array([""]) for c in levels]
        codes = [c[1][affected] if c is not None else np.zeros(len(affected), np.int64) for c in levels]
        key = codes[0] * len(names[1]) + codes[1]  # one group per (street, grid)
        groups, group = np.unique(key, return_inverse=True)
        state = impact.building_state[affected]
        sums = np.column_stack(
            [
                np.bincount(group, weights=w, minlength=len(groups))
                for w in (state == 2, state == 1, b.population[affected], b.x[affected], b.y[affected])
            ]
            + [np.bincount(group, minlength=len(groups))]
        )
        members = np.split(affected[np.argsort(group, kind="stable")], np.cumsum(sums[:-1, 5]).astype(int))
        street_of = groups // len(names[1])
        for s_code in np.unique(street_of).tolist():
            mine = np.flatnonzero(street_of == s_code)
            s_item = self._group_row(str(names[0][s_code]) or unknown, sums[mine].sum(axis=0))
            self.tree.addTopLevelItem(s_item)
            for g in mine.tolist():
                g_item = self._group_row(str(names[1][groups[g] % len(names[1])]) or unknown, sums[g])
                # its buildings are listed when the grid is opened: a slider step makes no rows for them
                g_item.setChildIndicatorPolicy(QTreeWidgetItem.ChildIndicatorPolicy.ShowIndicator)
                self._members[id(g_item)] = members[g]
                s_item.addChild(g_item)
        self.tree.sortItems(3, Qt.SortOrder.DescendingOrder)

    def _group_row(self, name: str, sums: np.ndarray) -> QTreeWidgetItem:
        """A street or grid row from its sums: flooded, wet, people, Σx, Σy, buildings."""
        flooded, wet, people, sx, sy, n = sums.tolist()
        item = _NumericItem([name, str(round(flooded)), str(round(wet)), str(round(people))])
        self._places[id(item)] = (sx / n, sy / n, name)
        return item

    def _on_item_expanded(self, item: QTreeWidgetItem) -> None:
        """A grid opened: one row per affected building in it, deepest water first."""
        which = self._members.pop(id(item), None)
        impact = self._impact
        if which is None or impact is None:
            return
        b = impact.scene.buildings
        depth = impact.building_depth[which]
        for k in which[np.argsort(-depth, kind="stable")].tolist():
            state = int(impact.building_state[k])
            label = self.tr("{0} · {1:.2f} m").format(b.names[k] or b.ids[k], impact.building_depth[k])
            row = _NumericItem([label, str(int(state == 2)), str(int(state == 1)), str(int(b.population[k]))])
            self._places[id(row)] = (float(b.x[k]), float(b.y[k]), b.names[k] or b.ids[k])
            self._building_of[id(row)] = k
            item.addChild(row)

    # ------------------------------------------------------------------ view → state
    def _on_slider_moved(self, value: int) -> None:
        self.level_label.setText(self.tr("{0:.2f} m").format(value / 100))
        self.state.set_level(value / 100)

    def set_level(self, level_m: float) -> None:
        """Move the slider (and so the water) to a level, e.g. a gauge's forecast."""
        self.slider.setValue(round(level_m * 100))

    def _on_to_gauge_clicked(self) -> None:
        levels = self.state.gauge_levels()
        if levels:
            self.set_level(max(levels.values()))

    def _on_what_if_requested(self, level_m: float, why: str) -> None:
        """An alarm's "What if?": the state floods to that level; the slider follows quietly."""
        value = round(level_m * 100)
        self.slider.blockSignals(True)
        if self.slider.isEnabled():
            self.slider.setRange(min(self.slider.minimum(), value), max(self.slider.maximum(), value))
        self.slider.setValue(value)
        self.slider.blockSignals(False)
        self.level_label.setText(self.tr("{0:.2f} m").format(level_m))
        if why:
            self._why = (float(level_m), why)
            self.status.setText(self.tr("What if: {0}").format(why))

    def _on_avoid_toggled(self, on: bool) -> None:
        self.state.apply_to_routes(on)

    def _selected_place(self) -> tuple[float, float, str] | None:
        item = self._current
        return self._places.get(id(item)) if item is not None else None

    def _on_current_changed(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        if item is not None:
            self._current = item  # the row last chosen in either list: what "Cameras around" means

    def _on_item_double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        """Fly the map there; a building is also selected (highlighted, its record shown)."""
        place = self._places.get(id(item))
        if place is None:
            return
        k = self._building_of.get(id(item))
        close = k is not None or item.treeWidget() is self.roads
        self.live.request_focus(place[0], place[1], FLY_CLOSE_M if close else FLY_DISTANCE_M, place[2])
        impact = self._impact
        if k is not None and impact is not None:
            objects = np.flatnonzero(impact.scene.buildings.object_building == k)
            if len(objects):
                self.live.select_object("buildings", int(objects[0]))

    def _on_cameras_clicked(self) -> None:
        place = self._selected_place()
        if place is not None:
            self.live.sig_cameras_around.emit(
                place[0], place[1], self.tr("Cameras around {0}").format(place[2])
            )

    def _on_export_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export evacuation list"), "evacuation.csv", self.tr("CSV files (*.csv)")
        )
        if path:
            self.export_csv(Path(path))

    def export_csv(self, path: Path) -> int:
        """Write the evacuation list of the current what-if; returns the rows written."""
        from controlroom.geo.flood_export import evacuation_csv

        impact = self.state.impact
        if impact is None or self.live.frame is None:
            return 0
        text = evacuation_csv(impact, self.live.frame)
        path.write_text(text, encoding="utf-8")
        rows = text.count("\r\n") - 1
        self.status.setText(self.tr("Saved {0} buildings to {1}").format(rows, path))
        return rows


def _name_column_wide(tree: QTreeWidget) -> None:
    """Names (streets, grids, buildings, roads) take the room; the number columns fit their numbers."""
    header = tree.header()
    header.setStretchLastSection(False)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    for column in range(1, tree.columnCount()):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)


class MarkedSlider(QSlider):
    """A level slider with marks under it: the gauges' reading now and the levels forecast alarms
    expect, so the operator drags from "now" towards "what the forecast says"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.marks: list[tuple[int, str, str]] = []  # slider value, colour, short label
        self.setMinimumHeight(42)

    def set_marks(self, marks: list[tuple[int, str, str]]) -> None:
        if marks != self.marks:
            self.marks = marks
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self.marks:
            return
        painter = QPainter(self)
        span = max(self.width() - 16, 1)
        for value, colour, label in self.marks:
            x = 8 + QStyle.sliderPositionFromValue(self.minimum(), self.maximum(), value, span)
            painter.setPen(QPen(QColor(colour), 3))
            painter.drawLine(x, self.height() - 16, x, self.height() - 4)
            painter.drawText(x + 3, self.height() - 4, label)
        painter.end()


class _NumericItem(QTreeWidgetItem):
    """Sorts the number columns as numbers."""

    def __lt__(self, other: QTreeWidgetItem) -> bool:
        col = self.treeWidget().sortColumn() if self.treeWidget() is not None else 0
        if col == 0:
            return self.text(0) < other.text(0)
        return float(self.text(col) or 0) < float(other.text(col) or 0)
