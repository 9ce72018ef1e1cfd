"""The alarm banner: the newest unacknowledged alarm of the highest priority, across the panel top.

It is the one line a room reads from the back wall, so it is large, coloured by priority and
flashing (background on/off twice a second) while a critical alarm waits for someone; a
predicted alarm shows in its own cool colour with the forecast crossing time. Empty and dim when
nothing waits.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontInfo, QFontMetrics, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QFrame, QHBoxLayout, QLabel, QSizePolicy, QWidget

from controlroom.panels.alarms.style import PREDICTED_COLOUR, PRIORITY_COLOURS, forecast_text, priority_label
from controlroom.qt.fit import ElidedLabel

if TYPE_CHECKING:
    from controlroom.core.alarms.lifecycle import Alarm

BANNER_POINT_SIZE = 24
NARROW_MESSAGE_PX = 160  # beside the badge, the message gets at least this much or goes below
MIN_BANNER_PX = 12  # the smallest the badge shrinks to in a narrow dock
BORDER_PX = 3
FLASH_MS = 500
IDLE_STYLE = "#alarmBanner { background: #101822; border: 2px solid #243142; border-radius: 8px; }"


class AlarmBanner(QFrame):
    """Shows one alarm (``show_alarm``); flashes while it is critical and unacknowledged."""

    sig_clicked = Signal(str)  # alarm id

    def __init__(self, clock: Callable[[], float], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alarmBanner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.clock = clock
        #: A district as the app's language names it (the panel sets the site's ``place_name``).
        self.place: Callable[[str], str] = str
        self.alarm: Alarm | None = None
        self.flash_on = False
        box = QHBoxLayout(self)
        box.setContentsMargins(16, 8, 16, 8)
        self.badge = QLabel(self)  # always whole: the priority is what the room must read
        self.text = ElidedLabel("", self)  # the message takes the rest, ending in "…" (whole in its tooltip)
        self.badge.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        self._natural_px = 0  # the badge's font size before fitting it to a narrow banner
        for label, bold in ((self.badge, True), (self.text, False)):
            font = QFont(label.font())
            font.setPointSize(BANNER_POINT_SIZE)
            font.setBold(bold)
            label.setFont(font)
        box.addWidget(self.badge)
        box.addWidget(self.text, 1)
        self._flash = QTimer(self)
        self._flash.setInterval(FLASH_MS)
        self._flash.timeout.connect(self._on_flash)
        self.show_alarm(None)

    @property
    def flashing(self) -> bool:
        return self._flash.isActive()

    def show_alarm(self, alarm: Alarm | None) -> None:
        self.alarm = alarm
        if alarm is None:
            self._flash.stop()
            self.flash_on = False
            self.badge.setText(self.tr("No alarm waiting"))
            self.text.setText("")
            self._fit_badge()
            self.setStyleSheet(IDLE_STYLE + " #alarmBanner QLabel { color: #8596a8; }")
            return
        self.badge.setText(priority_label(alarm))
        self._fit_badge()
        text = alarm.message
        if alarm.predicted:
            text = f"{forecast_text(alarm, self.clock())} · {text}"
        if alarm.district:
            text += f" · {self.place(alarm.district)}"
        self.text.setText(text)
        critical = alarm.priority == "critical" and not alarm.predicted
        if critical and not self._flash.isActive():
            self.flash_on = True
            self._flash.start()
        elif not critical:
            self._flash.stop()
            self.flash_on = True
        self._paint()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_badge()

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), 120), hint.height())  # the badge shrinks to fit (_fit_badge)

    def _fit_badge(self) -> None:
        """Shrink the badge's (and message's) font when the banner is narrower than the badge, so
        "FORECAST · HIGH" stays whole in a narrow dock; back to full size when there is room."""
        if not self._natural_px:
            self._natural_px = QFontInfo(self.badge.font()).pixelSize()
        box = self.layout()
        if box is None:
            return
        margins = box.contentsMargins()
        room = self.width() - margins.left() - margins.right() - 2 * BORDER_PX
        room -= box.spacing() + self.text.minimumWidth()  # the message keeps a sliver
        font = QFont(self.badge.font())
        font.setPixelSize(self._natural_px)
        need = QFontMetrics(font).horizontalAdvance(self.badge.text())
        px = self._natural_px if need <= room else max(MIN_BANNER_PX, self._natural_px * room // max(need, 1))
        style = "" if px == self._natural_px else f"font-size: {px}px;"
        # the message under the badge when beside it would leave it only a few letters
        beside = room - need >= NARROW_MESSAGE_PX
        if isinstance(box, QBoxLayout):
            box.setDirection(QBoxLayout.Direction.LeftToRight if beside else QBoxLayout.Direction.TopToBottom)
        if self.badge.styleSheet() != style:
            self.badge.setStyleSheet(style)
            self.text.setStyleSheet(style)

    def _on_flash(self) -> None:
        self.flash_on = not self.flash_on
        self._paint()

    def _paint(self) -> None:
        a = self.alarm
        if a is None:
            return
        colour = PREDICTED_COLOUR if a.predicted else PRIORITY_COLOURS[a.priority]
        if self.flash_on:
            bg, fg = colour, "#05080f"
        else:
            bg, fg = "#101822", colour
        self.setStyleSheet(
            f"#alarmBanner {{ background: {bg}; border: 3px solid {colour}; border-radius: 8px; }}"
            f" #alarmBanner QLabel {{ color: {fg}; }}"
        )

    def refresh(self) -> None:
        """Re-render the forecast countdown (called once a second by the panel)."""
        if self.alarm is not None and self.alarm.predicted and math.isfinite(self.alarm.eta_s):
            self.show_alarm(self.alarm)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.alarm is not None:
            self.sig_clicked.emit(self.alarm.id)
        super().mousePressEvent(event)

    def stop(self) -> None:
        self._flash.stop()
