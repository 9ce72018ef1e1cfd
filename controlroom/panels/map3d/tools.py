"""The map toolbar's search box (Ctrl+F) and measure tool, wired to a ``MapPanel``.

Search: the index is filled from the city when it loads (buildings, roads, POIs), the site's
cameras, and asked the live stores at query time (units, incidents). Choosing a hit flies there
and selects it as a click would (a building's details, a unit, an incident, a camera's video).
Measure: while on, each click on the map adds a ground point; the decor draws the path and its
length in m/km; Escape or switching it off clears it.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QToolButton, QWidget

from controlroom.core.search_index import SearchEntry
from controlroom.core.search_sources import camera_entries, city_entries, incident_entries, unit_entries
from controlroom.qt.i18n import current_language
from controlroom.qt.search_box import SearchBox

if TYPE_CHECKING:
    from controlroom.core.city import CityModel
    from controlroom.panels.map3d.panel import MapPanel

log = logging.getLogger(__name__)
FLY_DISTANCE_M = {
    "building": 420.0,
    "road": 1100.0,
    "poi": 500.0,
    "camera": 450.0,
    "unit": 500.0,
    "incident": 650.0,
}


def path_length(points: list[tuple[float, float, float]]) -> float:
    """Length along the clicked points in metres (on the ground plane)."""
    if len(points) < 2:
        return 0.0
    xy = np.asarray(points, np.float64)[:, :2]
    return float(np.linalg.norm(np.diff(xy, axis=0), axis=1).sum())


class MapTools(QObject):
    """Search box and measure button for one map panel's toolbar."""

    def __init__(self, panel: MapPanel, bar: QWidget) -> None:
        super().__init__(panel)
        self.panel = panel
        self.search = SearchBox(bar, current_language())
        self.search.sig_chosen.connect(self.go_to)
        self.measure_button = QToolButton(bar)
        self.measure_button.setText(self.tr("Measure"))
        self.measure_button.setToolTip(self.tr("Measure a distance: click points on the map; Esc clears"))
        self.measure_button.setCheckable(True)
        self.measure_button.toggled.connect(self._on_measure_toggled)
        self.measure_points: list[tuple[float, float, float]] = []
        find = QShortcut(QKeySequence.StandardKey.Find, panel)
        find.setContext(Qt.ShortcutContext.WindowShortcut)
        find.activated.connect(self.focus_search)
        clear = QShortcut(QKeySequence(Qt.Key.Key_Escape), panel)
        clear.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        clear.activated.connect(self.clear_measure)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    # ------------------------------------------------------------------ search
    def index_city(self, model: CityModel) -> None:
        """Index the city, then the site's cameras and the live stores (if the panel follows a live city)."""
        index = self.search.index
        index.clear()
        index.add_lazy(lambda: city_entries(model))
        live = self.panel.live
        if live is None:
            return
        if live.frame is not None and live.site.cameras is not None:
            try:
                from controlroom.geo.cameras import site_cameras

                registry = site_cameras(live.site, live.frame)
                index.add_lazy(lambda: camera_entries(registry))
            except Exception as exc:  # a bad camera file: search the rest, the log says why
                log.warning("cameras not searchable: %s", exc)
        from controlroom.core.protocol import INCIDENT_TYPES
        from controlroom.qt import strings

        types = {t: strings.incident_type_label(t) for t in INCIDENT_TYPES}
        index.add_provider(lambda: unit_entries(live.entities))
        index.add_provider(lambda: incident_entries(live.incidents, types))

    def go_to(self, entry: SearchEntry) -> None:
        """Fly to a hit and select it as a click on it would."""
        panel = self.panel
        panel.focus_on(entry.x, entry.y, FLY_DISTANCE_M.get(entry.kind, 600.0))
        live = panel.live
        if entry.kind == "building" and entry.ref is not None:
            layer, index = entry.ref
            panel.select_object(layer, index)
            panel.sig_object_picked.emit(layer, index)
        elif entry.kind == "unit" and live is not None:
            live.select_entity(entry.id)
        elif entry.kind == "incident" and live is not None:
            live.select_incident(entry.id)
        elif entry.kind == "camera" and live is not None:
            live.request_cameras([entry.id], entry.title(current_language()))
        panel.decor.set_marker((entry.x, entry.y, 0.0), entry.title(current_language()))

    # ------------------------------------------------------------------ measure
    @property
    def measuring(self) -> bool:
        return self.measure_button.isChecked()

    def _on_measure_toggled(self, on: bool) -> None:
        if not on:
            self.clear_measure()

    def add_measure_point(self, point: tuple[float, float, float]) -> float:
        """Add a clicked ground point; returns the length so far (metres)."""
        self.measure_points.append(point)
        length = path_length(self.measure_points)
        self.panel.decor.set_measure(list(self.measure_points), length)
        return length

    def clear_measure(self) -> None:
        self.measure_points.clear()
        self.panel.decor.set_measure([], 0.0)


def ground_point(
    near: tuple[float, float, float], far: tuple[float, float, float]
) -> tuple[float, float, float] | None:
    """Where a view ray meets the ground (z = 0), or None when it runs above the horizon."""
    dz = far[2] - near[2]
    if abs(dz) < 1e-9 or (near[2] > 0) == (far[2] > 0):
        return None
    t = -near[2] / dz
    x = near[0] + t * (far[0] - near[0])
    y = near[1] + t * (far[1] - near[1])
    return (float(x), float(y), 0.0) if math.isfinite(x) and math.isfinite(y) else None
