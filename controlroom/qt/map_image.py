"""The live map's names, legend, north arrow and scale bar, painted over an off-screen picture.

``controlroom snapshot`` and the leader's brief render the city off-screen (``render.snapshot``,
``render.incident_map``); those pictures had no names, because the live map paints them with
QPainter over the VTK view (``qt.map_decor``). This paints the same ``MapDecor`` over the PNG,
placed through the picture's own camera (``render.map_projection``), in the chosen language.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QPoint, QPointF
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QRegion
from PySide6.QtWidgets import QWidget

from controlroom.core.city import CityModel
from controlroom.core.site import Site
from controlroom.qt.map_decor import LegendRow, MapDecor, _halo_text
from controlroom.render.city_visual import LegendWords
from controlroom.render.map_labels import MapLabel
from controlroom.render.map_projection import MapProjection


class MapImageDecor:
    """A ``decorate`` hook for the off-screen renders (``render.snapshot.Decorate``): names in
    ``language``, the legend, a north arrow, a scale bar and an optional title, sized for
    ``body_px`` text (None: the desk's). Needs a QApplication (fonts). ``placed`` lists the names
    the last picture shows."""

    def __init__(
        self,
        labels: Sequence[MapLabel],
        language: str,
        *,
        title: str = "",
        legend_title: str = "",
        legend: Sequence[LegendRow] = (),
        north_text: str | None = None,
        body_px: float | None = None,
    ) -> None:
        self.labels, self.language, self.title = list(labels), language, title
        self.legend_title, self.legend = legend_title, list(legend)
        # the live map's own word (MapPanel's tr), so both read the same
        self.north_text = north_text or QCoreApplication.translate("MapPanel", "N", "north arrow")
        self.body_px = body_px
        self.placed: list[MapLabel] = []

    def __call__(self, path: Path, projection: MapProjection) -> None:
        image = QImage(str(path))
        if image.isNull():
            raise RuntimeError(f"{path}: not a picture Qt can read")
        image = image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
        decor = MapDecor(None, projection.project)
        try:
            decor.resize(image.width(), image.height())
            decor.north_text = self.north_text
            decor.set_density(self.body_px)
            decor.set_labels(self.labels, self.language)
            decor.set_camera(projection.focal, projection.right)
            decor.set_legend(self.legend_title, self.legend)
            painter = QPainter(image)
            try:
                decor.render(painter, QPoint(0, 0), QRegion(), QWidget.RenderFlag(0))  # no background
                if self.title:
                    self._paint_title(painter, decor.font(), image.height())
            finally:
                painter.end()
            self.placed = [decor.labels[i] for i in decor.placed]
            if not image.save(str(path)):
                raise RuntimeError(f"{path}: could not write the decorated picture")
        finally:
            decor.deleteLater()

    def _paint_title(self, painter: QPainter, base: QFont, height: int) -> None:
        font = QFont(base)
        font.setPixelSize(max(14, round(height / 36)))
        font.setBold(True)
        width = QFontMetricsF(font).horizontalAdvance(self.title)
        centre = QPointF(16.0 + width / 2, 16.0 + font.pixelSize() * 0.6)
        _halo_text(painter, font, QColor("#f2f5fa"), centre, self.title)


#: Text size of the brief's map: the printed page shrinks a 1600 px picture to ~17 cm.
BRIEF_BODY_PX = 20.0


def brief_map_decor(model: CityModel, language: str) -> MapImageDecor:
    """The brief's map: the city's names, and a legend of the incident pins by severity."""
    from controlroom.qt.strings import severity_label
    from controlroom.render.map_labels import collect_labels
    from controlroom.render.overlays.incidents import SEVERITY_COLOURS

    legend = [LegendRow(severity_label(n), colour, "pin") for n, colour in enumerate(SEVERITY_COLOURS, 1)]
    title = QCoreApplication.translate("MapPanel", "On the map")
    return MapImageDecor(
        collect_labels(model), language, legend_title=title, legend=legend, body_px=BRIEF_BODY_PX
    )


def legend_words(language: str, site: Site | None = None) -> LegendWords:
    """The colour legend's words for an off-screen picture, as the live map names them."""
    from controlroom.qt.cjk_font import find_source
    from controlroom.qt.site_words import attribute_value
    from controlroom.qt.strings import code_label

    font = find_source("Regular") if language == "zh_CN" else None
    return LegendWords(
        title=lambda name: code_label("building_attribute", name),
        no_value=QCoreApplication.translate("MapPanel", "(no value)"),
        value=lambda value: attribute_value(site, value),
        font_file=str(font) if font else None,
    )
