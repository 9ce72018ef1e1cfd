"""City vital signs: one big-number tile and a rolling last-hour chart per metric.

Read from across a room: the value is the largest thing in the tile, the trend arrow says where
it is going (against the value five minutes ago), and the whole tile turns amber or red past the
site's thresholds (``[[metrics]]`` in site.toml) so a glance at the wall finds the problem. The
chart is pyqtgraph with the warn/alarm levels as dashed lines; it redraws only when its metric
received a point (about once a second), never on a timer of its own.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar
from zoneinfo import ZoneInfo

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontInfo, QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from controlroom.core.site import MetricSpec
from controlroom.qt.date_axis import LocalDateAxis
from controlroom.qt.fit import ElidedLabel, room_height
from controlroom.qt.panel_contract import LivePanel
from controlroom.qt.site_words import metric_title
from controlroom.qt.strings import metric_unit_label

if TYPE_CHECKING:
    from controlroom.core.metrics import MetricSeries
    from controlroom.qt.live import LiveCity

LEVEL_COLOURS = {"ok": "#e6edf7", "warn": "#f59e0b", "alarm": "#ff3b3b", "none": "#7d8ba0"}
TILE_BACKGROUND = {"ok": "#0d1522", "warn": "#2a1e08", "alarm": "#3a0d10", "none": "#0d1522"}
TREND_WINDOW_S = 300.0
TREND_STEADY_FRACTION = 0.02
VALUE_POINT_SIZE = 44
TITLE_POINT_SIZE = 16
COLUMNS = 2  # at most; fewer when the panel is narrower than COLUMNS tiles of TILE_MIN_PX
TILE_MIN_PX = 230  # a tile narrower than this cuts its title and number
COMPACT_VALUE_SCALE = 1.4
CHART_TILE_PX = 240  # a tile shorter than this shows title and number only (a laptop's dock)


MIN_SPAN_S = 300.0
MIN_VALUE_PX = 12
TREND_WIDTH_EM = 1.1  # the trend arrow's width in its own font size
VALUE_GAP_PX = 8  # the chart's narrowest time span
VALUE_HEIGHT_SHARE = 0.2  # of the tile's height: read from across the room on any screen


class KpiTile(QFrame):
    """One metric: title, big value + unit + trend arrow, and its last-hour chart."""

    def __init__(self, spec: MetricSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self.level = "none"
        self.unit = spec.unit or ""
        self.setObjectName("kpiTile")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        box = self.box = QVBoxLayout(self)
        box.setContentsMargins(14, 10, 14, 10)
        self.title_label = ElidedLabel(metric_title(spec.name, (spec,)), self)  # whole in its tooltip
        self._set_font(self.title_label, TITLE_POINT_SIZE, bold=False)
        row = self.value_row = QHBoxLayout()
        self.compact = False
        self.value_label = self._label("—", VALUE_POINT_SIZE, bold=True)
        self.unit_label = self._label(
            metric_unit_label(self.unit) if self.unit else "", TITLE_POINT_SIZE, bold=False
        )
        self.trend_label = self._label("", VALUE_POINT_SIZE - 12, bold=True)
        # The number's size follows the tile, never the other way round: a label whose font sets
        # the tile's width would resize the tile, which re-sizes the font … for ever.
        for label in (self.value_label, self.trend_label):
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        row.addWidget(self.value_label, 1)  # the number takes the free width (none left to a stretch)
        row.addWidget(self.unit_label, 0, Qt.AlignmentFlag.AlignBottom)
        row.addWidget(self.trend_label)
        self.plot = pg.PlotWidget(axisItems={"bottom": LocalDateAxis()}, background="#05080f")
        self.plot.setMinimumHeight(110)
        self.plot.showGrid(x=False, y=True, alpha=0.15)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.curve = self.plot.plot(pen=pg.mkPen("#2ea8ff", width=2))
        self.threshold_lines: dict[str, pg.InfiniteLine] = {}
        for level in ("warn", "alarm"):
            limit = getattr(spec, level)
            if limit is not None:
                line = pg.InfiniteLine(
                    pos=limit,
                    angle=0,
                    pen=pg.mkPen(LEVEL_COLOURS[level], width=1.5, style=Qt.PenStyle.DashLine),
                )
                self.plot.addItem(line)
                self.threshold_lines[level] = line
        box.addWidget(self.title_label)
        box.addLayout(row)
        box.addWidget(self.plot, 1)
        self._apply_level("none")

    def _label(self, text: str, points: int, *, bold: bool) -> QLabel:
        return self._set_font(QLabel(text, self), points, bold=bold)

    @staticmethod
    def _set_font(label: QLabel, points: int, *, bold: bool) -> QLabel:
        font = QFont(label.font())
        font.setPointSize(points)
        font.setBold(bold)
        label.setFont(font)
        return label

    def set_compact(self, compact: bool) -> None:
        """One line, title then number (no chart): four tiles fit a laptop's short dock."""
        if compact == self.compact:
            return
        self.compact = compact
        self.plot.setVisible(not compact)
        box, row = self.box, self.value_row
        if compact:  # the title gives way (elides) before the number does
            box.removeWidget(self.title_label)
            row.insertWidget(0, self.title_label, 1)
        else:
            row.removeWidget(self.title_label)
            box.insertWidget(0, self.title_label)
        row.setStretchFactor(self.value_label, 0 if compact else 1)
        policy = QSizePolicy.Policy.Preferred if compact else QSizePolicy.Policy.Ignored
        self.value_label.setSizePolicy(policy, QSizePolicy.Policy.Preferred)
        self._apply_level(self.level)

    def _apply_level(self, level: str) -> None:
        self.level = level
        colour = LEVEL_COLOURS[level]
        border = colour if level in ("warn", "alarm") else "#2e4057"
        self.setStyleSheet(
            f"#kpiTile {{ background: {TILE_BACKGROUND[level]}; border: 2px solid {border};"
            " border-radius: 10px; }"
            f" #kpiTile QLabel {{ color: {LEVEL_COLOURS['ok']}; }}"
        )
        # The label's own style sheet wins over a wall window's body size, so the number stays big.
        value_px = self._value_px()
        self.value_label.setStyleSheet(f"color: {colour}; font-size: {value_px}px; font-weight: 700;")
        if self.compact:  # beside the title the number must never be squeezed: it holds its width
            font = QFont(self.value_label.font())
            font.setPixelSize(value_px)
            font.setBold(True)
            need = QFontMetrics(font).horizontalAdvance(self.value_label.text())
            self.value_label.setMinimumWidth(need + 4)
        else:
            self.value_label.setMinimumWidth(0)
        self.trend_label.setStyleSheet(f"color: {colour}; font-size: {int(value_px * 0.6)}px;")

    def _value_px(self) -> int:
        """The big number fills about a fifth of the tile's height (never less than its font size),
        and shrinks when the tile is too narrow for it: a narrow cell shows the whole number."""
        base = QFont(self.font())
        base.setPointSize(VALUE_POINT_SIZE)
        floor = QFontInfo(base).pixelSize()  # the desk size, not the last size a style sheet set
        px = max(floor, int(self.height() * VALUE_HEIGHT_SHARE))
        if self.compact:  # beside the title: a bold number a size above it
            return int(QFontInfo(self.title_label.font()).pixelSize() * COMPACT_VALUE_SCALE)
        text = self.value_label.text()
        box = self.layout()
        room = self.width() - (box.contentsMargins().left() + box.contentsMargins().right() if box else 0)
        room -= self.unit_label.sizeHint().width() + int(px * 0.6 * TREND_WIDTH_EM) + 2 * VALUE_GAP_PX
        if text and room > 0:
            font = QFont(self.value_label.font())
            font.setPixelSize(px)
            font.setBold(True)
            need = QFontMetrics(font).horizontalAdvance(text)
            if need > room:
                px = max(MIN_VALUE_PX, int(px * room / need))
        return px

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._apply_level(self.level)

    def value_text(self) -> str:
        return self.value_label.text()

    def set_axis_text_px(self, px: int) -> None:
        """Chart labels at ``px`` (the wall's text size: read from across the room)."""
        font = QFont(self.font())
        font.setPixelSize(px)
        for side in ("bottom", "left"):
            self.plot.getAxis(side).setStyle(tickFont=font, tickTextOffset=max(4, px // 4))
        self.plot.getAxis("bottom").setHeight(px * 2)
        self.plot.getAxis("left").setWidth(px * 3)
        self.plot.setMinimumHeight(max(110, px * 5))

    def set_zone(self, zone: str) -> None:
        """Label the time axis in the site's time zone, not the machine's."""
        offset = datetime.now(ZoneInfo(zone)).utcoffset()
        axis = self.plot.getAxis("bottom")
        axis.utcOffset = -int(offset.total_seconds()) if offset is not None else 0
        axis.picture = None
        axis.update()

    def show_series(self, t: np.ndarray, v: np.ndarray, unit: str = "") -> None:
        """The last hour of samples (time-sorted); the tile shows the newest."""
        if unit and not self.spec.unit and unit != self.unit:
            self.unit = unit
            self.unit_label.setText(metric_unit_label(unit))
        self.curve.setData(t, v)
        if not len(v):
            return
        # At least a few minutes wide, so the axis reads clock times (not "48.000") after start.
        self.plot.setXRange(min(float(t[0]), float(t[-1]) - MIN_SPAN_S), float(t[-1]), padding=0.02)
        value = float(v[-1])
        self.value_label.setText(f"{value:,.{self.spec.decimals}f}")
        self.trend_label.setText(trend_arrow(t, v))
        self._apply_level(self.spec.level(value))


def trend_arrow(t: np.ndarray, v: np.ndarray) -> str:
    """▲ rising, ▼ falling, ▶ steady: now against the value TREND_WINDOW_S ago (or the oldest)."""
    if len(v) < 2:
        return ""
    then = float(np.interp(t[-1] - TREND_WINDOW_S, t, v))
    now = float(v[-1])
    scale = max(abs(then), abs(now), 1e-9)
    change = (now - then) / scale
    if change > TREND_STEADY_FRACTION:
        return "▲"
    if change < -TREND_STEADY_FRACTION:
        return "▼"
    return "▶"


class KpiPanel(LivePanel, QWidget):
    """Tiles for the site's metrics (in site order) and for any other metric the feed sends."""

    panel_id: ClassVar[str] = "kpi"

    def __init__(
        self,
        specs: Sequence[MetricSpec] = (),
        clock: Callable[[], float] = time.time,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.title())
        self.clock = clock
        self.specs = {s.name: s for s in specs}
        self.tiles: dict[str, KpiTile] = {}
        self.metrics: MetricSeries | None = None
        self.zone: str | None = None  # the site's time zone, once attached to a live city
        self.axis_text_px = 0  # chart label size on a wall (0: the desk's)
        self.setObjectName("kpiPanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#kpiPanel { background: #05080f; }")
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(8, 8, 8, 8)
        self.grid.setSpacing(10)
        self.columns = COLUMNS
        self.compact = False
        for spec in specs:
            self._tile(spec.name)

    def title(self) -> str:
        return self.tr("City Vital Signs")

    def tile(self, name: str) -> KpiTile:
        return self.tiles[name]

    def _tile(self, name: str) -> KpiTile:
        tile = self.tiles.get(name)
        if tile is None:
            spec = self.specs.get(name) or MetricSpec(name=name)
            tile = KpiTile(spec, self)
            if self.zone:
                tile.set_zone(self.zone)
            if self.axis_text_px:
                tile.set_axis_text_px(self.axis_text_px)
            tile.set_compact(self.compact)
            n = len(self.tiles)
            self.grid.addWidget(tile, n // self.columns, n % self.columns)
            self.tiles[name] = tile
        return tile

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange()

    def _arrange(self) -> None:
        """As many columns as tiles of TILE_MIN_PX fit; charts only where the rows have room."""
        n = max(1, len(self.tiles))
        margins = self.grid.contentsMargins()
        width = self.width() - margins.left() - margins.right()
        columns = max(
            1, min(COLUMNS, n, (width + self.grid.spacing()) // (TILE_MIN_PX + self.grid.spacing()))
        )
        rows = -(-n // columns)
        row_px = (room_height(self) - margins.top() - margins.bottom()) // rows - self.grid.spacing()
        compact = row_px < CHART_TILE_PX
        if columns != self.columns:
            self.columns = columns
            for i, tile in enumerate(self.tiles.values()):
                self.grid.removeWidget(tile)
                self.grid.addWidget(tile, i // columns, i % columns)
        if compact != self.compact:
            self.compact = compact
            for tile in self.tiles.values():
                tile.set_compact(compact)

    def set_wall_density(self, text_px: int) -> None:
        """On a wall: chart labels at the wall's text size."""
        self.axis_text_px = text_px
        for tile in self.tiles.values():
            tile.set_axis_text_px(text_px)

    def attach_live(self, live: LiveCity) -> None:
        """Follow the live city's metrics (a new feed brings a new MetricSeries)."""
        self.clock = live.clock
        self.zone = live.site.site.timezone
        for tile in self.tiles.values():
            tile.set_zone(self.zone)

        def on_tick(change: object) -> None:
            names: set[str] = getattr(change, "metrics_changed", set())
            if names and live.metrics is not None:
                self.show_metrics(live.metrics, names)

        live.sig_tick.connect(on_tick)
        if live.metrics is not None:
            self.show_metrics(live.metrics)

    def show_metrics(self, metrics: MetricSeries, names: set[str] | None = None) -> None:
        """Redraw the tiles of ``names`` (all metrics when None) from the series."""
        self.metrics = metrics
        now = self.clock()
        for name in sorted(names) if names is not None else metrics.names():
            t, v = metrics.series(name, now)
            ring = metrics.rings.get(name)
            self._tile(name).show_series(t, v, ring.unit if ring else "")
