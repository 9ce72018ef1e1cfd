"""What a map needs besides the city: names, a legend, a north arrow and a scale bar.

A transparent widget over the 3D view (mouse events pass through) painted with QPainter after
each VTK frame: crisp text in the system's CJK fonts at any size, nothing added to the VTK scene
(so the frame time of the city does not change). Names come from ``render.map_labels`` and are
placed there without collisions; the legend lists what the live layers draw (vehicle kinds by
colour and shape, incidents, sensors). Two densities: the desk's, and the wall's (larger, for
reading from metres away).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QWidget

from controlroom.render.map_labels import PRIORITY, MapLabel, format_distance, nice_length, place

HALO = QColor(5, 8, 15, 220)
PANEL_BG = QColor(5, 8, 15, 200)
STYLE = {  # kind → (colour, point size at desk density, bold, italic)
    "district": ("#f2f5fa", 15, True, False),
    "river": ("#8fd3ff", 12, False, True),
    "road": ("#f1d9a4", 10, False, False),
}
DESK_BODY_PX = 14.0  # the desk's body text; the wall's (qt.wall.theme) over this scales the decor
MAX_SCALE = 4.0
LEGEND_MAX_HEIGHT = 0.3  # of the map's height: more rows go into more columns


@dataclass(frozen=True)
class LegendRow:
    label: str
    colour: str
    shape: str  # "chevron" | "diamond" | "pin" | "column" | "dot"


Projector = Callable[[np.ndarray], np.ndarray]  # world (n, 3) → widget pixels (n, 2), NaN behind


class MapDecor(QWidget):
    """Names, legend, north arrow and scale bar over a map view (see the module docstring)."""

    def __init__(self, parent: QWidget | None, project: Projector) -> None:
        super().__init__(parent)
        self.setObjectName("mapDecor")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground, True)
        self.project = project
        self.labels: list[MapLabel] = []
        self.language = "en"
        self.legend: list[LegendRow] = []
        self.legend_title = ""
        self.north_text = "N"
        self.scale = 1.0
        self.focal: tuple[float, float, float] | None = None
        self.right: tuple[float, float] = (1.0, 0.0)
        self.placed: list[int] = []  # indices of the labels drawn last frame (for tests)
        self._anchors = np.zeros((0, 3))
        # the placed, haloed names as one picture, with what they depend on: a live frame with the
        # camera still (ten a second) blits it instead of measuring and stroking every name again
        self._names: tuple[tuple[object, ...], QImage] | None = None
        self.marker: tuple[tuple[float, float, float], str] | None = None
        self.measure_points: list[tuple[float, float, float]] = []
        self.measure_text = ""

    def set_marker(self, point: tuple[float, float, float] | None, text: str = "") -> None:
        """Ring and name a found place (a search hit); None removes it."""
        self.marker = (point, text) if point is not None else None
        self.update()

    def set_measure(self, points: list[tuple[float, float, float]], metres: float) -> None:
        """The measured path (ground points) and its length, shown at its last point."""
        self.measure_points = points
        self.measure_text = format_distance(metres) if len(points) > 1 else ""
        self.update()

    def set_labels(self, labels: list[MapLabel], language: str) -> None:
        self.labels = sorted(labels, key=lambda lb: PRIORITY.get(lb.kind, 9))
        self.language = language
        self._anchors = np.array([lb.anchor for lb in self.labels], np.float64).reshape(-1, 3)
        self._names = None
        self.update()

    def set_density(self, body_px: float | None) -> None:
        """Size names and symbols for a wall's body text (pixels), or the desk's for None."""
        self.scale = 1.0 if body_px is None else max(1.0, min(MAX_SCALE, body_px / DESK_BODY_PX))
        self.update()

    def set_legend(self, title: str, rows: list[LegendRow]) -> None:
        if rows != self.legend or title != self.legend_title:
            self.legend, self.legend_title = rows, title
            self.update()

    def set_camera(self, focal: tuple[float, float, float], right: tuple[float, float]) -> None:
        """The camera's focal point and its right vector on the ground (for the scale and north)."""
        self.focal, self.right = focal, right

    # ------------------------------------------------------------------ painting
    def _font(self, size: float, bold: bool = False, italic: bool = False) -> QFont:
        font = QFont(self.font())
        font.setPixelSize(max(8, round(size * 4.0 / 3.0 * self.scale)))  # size in points at 96 dpi
        font.setBold(bold)
        font.setItalic(italic)
        return font

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
        try:
            if len(self.labels):
                self._paint_labels(painter)
            if self.focal is not None:
                self._paint_north(painter)
                self._paint_scale(painter)
            if self.legend:
                self._paint_legend(painter)
            if self.marker is not None:
                self._paint_marker(painter)
            if self.measure_points:
                self._paint_measure(painter)
        finally:
            painter.end()

    def _paint_labels(self, painter: QPainter) -> None:
        screen = self.project(self._anchors)
        ahead = self._anchors.copy()
        for i, label in enumerate(self.labels):
            ahead[i, :2] += np.array(label.along) * 40.0
        screen_ahead = self.project(ahead)
        ratio = self.devicePixelRatioF()
        key = (
            np.round(screen, 1).tobytes(), np.round(screen_ahead, 1).tobytes(), self.width(), self.height(),
            ratio, self.language, self.scale, self.font().key(),
        )  # fmt: skip
        if self._names is None or self._names[0] != key:
            image = QImage(
                max(1, round(self.width() * ratio)), max(1, round(self.height() * ratio)),
                QImage.Format.Format_ARGB32_Premultiplied,
            )  # fmt: skip
            image.setDevicePixelRatio(ratio)
            image.fill(Qt.GlobalColor.transparent)
            names = QPainter(image)
            names.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            names.setRenderHint(QPainter.RenderHint.TextAntialiasing, True)
            try:
                self._draw_labels(names, screen, screen_ahead)
            finally:
                names.end()
            self._names = (key, image)
        painter.drawImage(QPointF(0.0, 0.0), self._names[1])

    def _draw_labels(self, painter: QPainter, screen: np.ndarray, screen_ahead: np.ndarray) -> None:
        """Place the names without collisions (``render.map_labels.place``) and draw them haloed."""
        texts = [lb.text(self.language) for lb in self.labels]
        fonts = [self._font(STYLE[lb.kind][1], STYLE[lb.kind][2], STYLE[lb.kind][3]) for lb in self.labels]
        sizes = np.zeros((len(texts), 2))
        angles = np.zeros(len(texts))
        for i, (text, font) in enumerate(zip(texts, fonts, strict=True)):
            metrics = QFontMetricsF(font)
            w, h = metrics.horizontalAdvance(text) + 6, metrics.height() + 2
            angle = 0.0
            if self.labels[i].kind == "road":
                dx, dy = screen_ahead[i] - screen[i]
                angle = math.degrees(math.atan2(dy, dx)) if np.isfinite([dx, dy]).all() else 0.0
                if angle > 90:
                    angle -= 180
                elif angle < -90:
                    angle += 180
                rad = math.radians(angle)  # the rotated text's bounding box, for the collision test
                w, h = (
                    abs(w * math.cos(rad)) + abs(h * math.sin(rad)),
                    abs(w * math.sin(rad)) + abs(h * math.cos(rad)),
                )
            sizes[i] = (w, h)
            angles[i] = angle
        self.placed = place(screen, sizes, list(range(len(texts))), (self.width(), self.height()))
        for i in self.placed:
            colour = QColor(STYLE[self.labels[i].kind][0])
            painter.save()
            painter.translate(QPointF(float(screen[i, 0]), float(screen[i, 1])))
            painter.rotate(float(angles[i]))
            metrics = QFontMetricsF(fonts[i])
            path = QPainterPath()
            width = metrics.horizontalAdvance(texts[i])
            path.addText(QPointF(-width / 2, metrics.ascent() / 2 - 1), fonts[i], texts[i])
            painter.setPen(QPen(HALO, 3.5 * self.scale, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                                Qt.PenJoinStyle.RoundJoin))  # fmt: skip
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(path)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawPath(path)
            painter.restore()

    def _paint_north(self, painter: QPainter) -> None:
        assert self.focal is not None
        fx, fy, fz = self.focal
        pts = self.project(np.array([[fx, fy, fz], [fx, fy + 50.0, fz]]))
        d = pts[1] - pts[0]
        if not np.isfinite(d).all() or not np.hypot(*d):
            return
        angle = math.atan2(d[0], -d[1])  # 0 = north is straight up the screen
        s = self.scale
        radius = 22 * s
        centre = QPointF(self.width() - 20 * s - radius, 20 * s + radius)
        painter.save()
        painter.translate(centre)
        painter.setPen(QPen(QColor("#2e4057"), 1.2 * s))
        painter.setBrush(PANEL_BG)
        painter.drawEllipse(QPointF(0, 0), radius, radius)
        painter.rotate(math.degrees(angle))
        tip = QPolygonF([QPointF(0, -radius * 0.8), QPointF(radius * 0.32, 0), QPointF(-radius * 0.32, 0)])
        tail = QPolygonF([QPointF(0, radius * 0.8), QPointF(radius * 0.32, 0), QPointF(-radius * 0.32, 0)])
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#ff5d73"))
        painter.drawPolygon(tip)
        painter.setBrush(QColor("#c9d3e2"))
        painter.drawPolygon(tail)
        painter.restore()
        painter.setFont(self._font(10, bold=True))
        painter.setPen(QColor("#f2f5fa"))
        box = QRectF(centre.x() - radius, centre.y() + radius, 2 * radius, 16 * s)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.north_text)

    def _paint_scale(self, painter: QPainter) -> None:
        assert self.focal is not None
        fx, fy, fz = self.focal
        rx, ry = self.right
        probe = 100.0
        pts = self.project(np.array([[fx, fy, fz], [fx + rx * probe, fy + ry * probe, fz]]))
        px = float(np.hypot(*(pts[1] - pts[0]))) if np.isfinite(pts).all() else 0.0
        if px < 1e-6:
            return
        s = self.scale
        metres = nice_length(probe / px, 150 * s)
        length = metres / probe * px
        if metres <= 0 or length < 10:
            return
        right, bottom = self.width() - 20 * s, self.height() - 18 * s
        left = right - length
        font = self._font(10)
        painter.setFont(font)
        text = format_distance(metres)
        metrics = QFontMetricsF(font)
        panel = QRectF(
            left - 8 * s, bottom - metrics.height() - 14 * s, length + 16 * s, metrics.height() + 22 * s
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(PANEL_BG)
        painter.drawRoundedRect(panel, 5 * s, 5 * s)
        pen = QPen(QColor("#f2f5fa"), 2.0 * s)
        painter.setPen(pen)
        painter.drawLine(QPointF(left, bottom), QPointF(right, bottom))
        for x in (left, right, (left + right) / 2):
            tick = 7 * s if x != (left + right) / 2 else 4 * s
            painter.drawLine(QPointF(x, bottom), QPointF(x, bottom - tick))
        painter.drawText(QRectF(left, bottom - metrics.height() - 8 * s, length, metrics.height()),
                         Qt.AlignmentFlag.AlignCenter, text)  # fmt: skip

    def _paint_legend(self, painter: QPainter) -> None:
        """Bottom-left, in as many columns as keep it under ``LEGEND_MAX_HEIGHT`` of the map."""
        s = self.scale
        font = self._font(10)
        title_font = self._font(10, bold=True)
        metrics = QFontMetricsF(font)
        row_h = max(metrics.height(), 14 * s) + 3 * s
        swatch = 12 * s
        title_h = row_h if self.legend_title else 0.0
        per_column = max(1, int((self.height() * LEGEND_MAX_HEIGHT - title_h - 12 * s) // row_h))
        columns = -(-len(self.legend) // per_column)
        per_column = -(-len(self.legend) // columns)
        col_w = max(metrics.horizontalAdvance(r.label) for r in self.legend) + swatch + 22 * s
        width = max(col_w * columns, QFontMetricsF(title_font).horizontalAdvance(self.legend_title) + 16 * s)
        height = title_h + row_h * per_column + 12 * s
        x0, y0 = 12 * s, self.height() - height - 12 * s
        painter.setPen(QPen(QColor("#2e4057"), 1.0))
        painter.setBrush(PANEL_BG)
        painter.drawRoundedRect(QRectF(x0, y0, width, height), 6 * s, 6 * s)
        painter.setPen(QColor("#f2f5fa"))
        if self.legend_title:
            painter.setFont(title_font)
            box = QRectF(x0 + 8 * s, y0 + 6 * s, width, row_h)
            painter.drawText(box, Qt.AlignmentFlag.AlignVCenter, self.legend_title)
        painter.setFont(font)
        for i, row in enumerate(self.legend):
            col, line = divmod(i, per_column)
            x = x0 + col * col_w
            y = y0 + 6 * s + title_h + line * row_h
            centre = QPointF(x + 8 * s + swatch / 2, y + row_h / 2)
            _draw_symbol(painter, row.shape, QColor(row.colour), centre, swatch)
            painter.setPen(QColor("#f2f5fa"))
            painter.drawText(
                QRectF(x + 14 * s + swatch, y, col_w, row_h), Qt.AlignmentFlag.AlignVCenter, row.label
            )

    def _paint_marker(self, painter: QPainter) -> None:
        assert self.marker is not None
        point, text = self.marker
        xy = self.project(np.array([point], np.float64))[0]
        if not np.isfinite(xy).all():
            return
        s = self.scale
        centre = QPointF(float(xy[0]), float(xy[1]))
        painter.setPen(QPen(QColor("#ffb000"), 3.0 * s))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(centre, 14 * s, 14 * s)
        if text:
            _halo_text(
                painter, self._font(12, bold=True), QColor("#ffb000"), centre + QPointF(0, -24 * s), text
            )

    def _paint_measure(self, painter: QPainter) -> None:
        xy = self.project(np.array(self.measure_points, np.float64))
        s = self.scale
        pts = [QPointF(float(x), float(y)) for x, y in xy if np.isfinite(x) and np.isfinite(y)]
        if not pts:
            return
        painter.setPen(QPen(QColor("#fff4d6"), 2.5 * s, Qt.PenStyle.DashLine))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPolyline(QPolygonF(pts))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#ffb000"))
        for p in pts:
            painter.drawEllipse(p, 4 * s, 4 * s)
        if self.measure_text:
            _halo_text(painter, self._font(13, bold=True), QColor("#fff4d6"), pts[-1] + QPointF(0, -20 * s),
                       self.measure_text)  # fmt: skip


def _halo_text(painter: QPainter, font: QFont, colour: QColor, centre: QPointF, text: str) -> None:
    """Text centred on a point with a dark halo, readable over any part of the city."""
    metrics = QFontMetricsF(font)
    path = QPainterPath()
    path.addText(
        QPointF(centre.x() - metrics.horizontalAdvance(text) / 2, centre.y() + metrics.ascent() / 2),
        font,
        text,
    )
    painter.setPen(QPen(HALO, 4.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(path)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawPath(path)


def _draw_symbol(painter: QPainter, shape: str, colour: QColor, c: QPointF, size: float) -> None:
    """The legend swatch drawn as the map draws that thing (a chevron, a diamond, a pin …)."""
    h = size / 2
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    shapes: dict[str, Any] = {
        "chevron": [(0, -h), (h * 0.8, h * 0.8), (0, h * 0.25), (-h * 0.8, h * 0.8)],
        "diamond": [(0, -h), (h * 0.7, 0), (0, h), (-h * 0.7, 0)],
        "pin": [(-h * 0.7, -h), (h * 0.7, -h), (h * 0.7, 0), (0, h), (-h * 0.7, 0)],
    }
    if shape in shapes:
        painter.drawPolygon(QPolygonF([QPointF(c.x() + x, c.y() + y) for x, y in shapes[shape]]))
    elif shape == "column":
        painter.drawRect(QRectF(c.x() - h * 0.35, c.y() - h, h * 0.7, 2 * h))
    else:
        painter.drawEllipse(c, h * 0.5, h * 0.5)
