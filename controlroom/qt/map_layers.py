"""The Qt half of the 3D map's live layers: their clock, the hover label, the feed's layers.

``render.overlays.OverlayStack`` holds the overlays and knows nothing of Qt; this object gives
them what a widget needs: a refresh on feed ticks that never runs faster than ``MAX_REFRESH_HZ``
(the feed is applied at 20 Hz; copying 50,000 entities into VTK for a frame software GL cannot
draw yet is wasted), a slow clock (4 Hz) so fades and pulses move between feed ticks, a
throttled hover query (the mouse can send hundreds of moves a second; one pick per 60 ms is
plenty for a label) and the floating label itself. It asks for a render through
``sig_render_needed`` and never renders by itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QWidget

from controlroom.qt import strings
from controlroom.qt.i18n import current_language
from controlroom.render import hover_words
from controlroom.render.hover_words import CodeKind, HoverWords
from controlroom.render.overlays.stack import OverlayStack

if TYPE_CHECKING:
    from controlroom.qt.live import LiveCity

HOVER_POINT_SIZE = 15
HOVER_THROTTLE_MS = 60
CLOCK_HZ = 4.0
MAX_REFRESH_HZ = 10.0
DisplayPoint = Callable[[float, float], tuple[float, float]]


_CODE_LABELS: dict[CodeKind, Callable[[str], str]] = {
    "entity_kind": strings.entity_kind_label,
    "entity_status": strings.entity_status_label,
    "incident_type": strings.incident_type_label,
    "incident_status": strings.incident_status_label,
    "sensor_status": strings.sensor_status_label,
    "alarm_priority": strings.alarm_priority_label,
    "alarm_state": strings.alarm_state_label,
}


class QtHoverWords(HoverWords):
    """Hover labels in the app's language: phrases from the "MapHover" context, codes from qt.strings."""

    def phrase_text(self, phrase: str) -> str:
        return QCoreApplication.translate(hover_words.CONTEXT, phrase)

    def code(self, kind: CodeKind, value: str | int) -> str:
        if kind == "severity":
            return strings.severity_label(int(value))
        return _CODE_LABELS[kind](str(value))

    def language(self) -> str:
        return current_language()


class MapLayers(QObject):
    """Overlays of one map view plus their clock and hover label (``label`` floats over ``view``)."""

    sig_render_needed = Signal()

    def __init__(self, view: QWidget, display_point: DisplayPoint, text_colour: str = "#e6edf7") -> None:
        super().__init__(view)
        self.stack = OverlayStack()
        self.stack.words = QtHoverWords()
        self.view = view
        self.display_point = display_point
        self.clock: Callable[[], float] = time.time
        self.label = QLabel(view.parentWidget() or view)
        self.label.setObjectName("mapHoverLabel")
        self.label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.label.setStyleSheet(
            "#mapHoverLabel { background: rgba(5, 8, 15, 230); border: 1px solid #2ea8ff;"
            f" border-radius: 6px; padding: 6px 10px; color: {text_colour}; }}"
        )
        font = QFont(self.label.font())
        font.setPointSize(HOVER_POINT_SIZE)
        self.label.setFont(font)
        self.label.hide()
        self._hover_pos: QPoint | None = None
        self._hover_timer = QTimer(self)
        self._hover_timer.setSingleShot(True)
        self._hover_timer.setInterval(HOVER_THROTTLE_MS)
        self._hover_timer.timeout.connect(self._on_hover_timer)
        self._last_refresh = -1.0
        self._tick_timer = QTimer(self)
        self._tick_timer.setSingleShot(True)
        self._tick_timer.timeout.connect(self._refresh_for_tick)
        self._clock_timer = QTimer(self)
        self._clock_timer.setInterval(int(1000 / CLOCK_HZ))
        self._clock_timer.timeout.connect(self._on_clock)

    # ------------------------------------------------------------------ refresh
    def refresh(self, now: float | None = None) -> bool:
        self._last_refresh = time.monotonic()
        changed = self.stack.refresh(self.clock() if now is None else now)
        if changed:
            self.sig_render_needed.emit()
        return changed

    def on_feed_tick(self, _change: object = None) -> None:
        """Refresh for a feed tick now, or once the last refresh is a period old (never both).

        Connected to ``LiveCity.sig_tick`` by the map (its ``ChangeSet`` is not needed: every
        overlay reads its whole model)."""
        if self._tick_timer.isActive():
            return  # a refresh is already due; it will see this tick's changes too
        wait = self._last_refresh + 1.0 / MAX_REFRESH_HZ - time.monotonic()
        if wait <= 0:
            self.refresh()
        else:
            self._tick_timer.start(max(1, round(wait * 1000)))

    def _refresh_for_tick(self) -> None:
        self.refresh()

    def start_clock(self) -> None:
        self._clock_timer.start()

    def stop(self) -> None:
        self._clock_timer.stop()
        self._tick_timer.stop()
        self._hover_timer.stop()
        self.label.hide()

    def _on_clock(self) -> None:
        if self.view.isVisible():
            self.refresh()

    # ------------------------------------------------------------------ hover
    def hover_text(self, pos: QPoint) -> str | None:
        """The label of the item under a view point (logical pixels, top-left origin), or None."""
        x, y = self.display_point(pos.x(), pos.y())
        hit = self.stack.pick(x, y)
        return None if hit is None else self.stack.describe(*hit)

    def hover(self, pos: QPoint | None) -> None:
        """The mouse moved (None: it left); the label follows at most every 60 ms."""
        self._hover_pos = pos
        if pos is None:
            self.label.hide()
        elif not self._hover_timer.isActive():
            self._hover_timer.start()

    def _on_hover_timer(self) -> None:
        pos = self._hover_pos
        text = self.hover_text(pos) if pos is not None else None
        if pos is None or not text:
            self.label.hide()
            return
        self.label.setText(text)
        self.label.adjustSize()
        area = self.view.geometry()
        x = min(area.x() + pos.x() + 18, area.right() - self.label.width() - 4)
        y = min(area.y() + pos.y() + 18, area.bottom() - self.label.height() - 4)
        self.label.move(max(area.x(), x), max(area.y(), y))
        self.label.show()
        self.label.raise_()

    # ------------------------------------------------------------------ feed layers
    def add_feed_layers(self, live: LiveCity, titles: dict[str, str]) -> list[str]:
        """The live state's feed models as the overlay registry draws them (once); their keys.

        Each overlay reads the shown model through ``state.source_of``, so a replay's models are
        drawn by the same overlays."""
        if live.model is None or "entities" in self.stack:
            return []
        from controlroom.core.entities import EntityStore
        from controlroom.core.incidents import IncidentBoard
        from controlroom.core.sensors import SensorStore
        from controlroom.render.overlays.registry import MAP_OVERLAYS, DrawContext

        self.clock = live.clock
        x0, x1, y0, y1 = live.model.bounds()[:4]
        state = live.state
        models = [
            (EntityStore, state.source_of(EntityStore)),
            (SensorStore, state.source_of(SensorStore)),
            (IncidentBoard, state.source_of(IncidentBoard)),
        ]
        ctx = DrawContext(live.clock, (float(x0), float(x1), float(y0), float(y1)), titles, live=live)
        overlays = [d.overlay for d in MAP_OVERLAYS.draw(models, ctx)]
        for overlay in overlays:
            self.stack.add(overlay)
        self.start_clock()
        return [o.key for o in overlays]
