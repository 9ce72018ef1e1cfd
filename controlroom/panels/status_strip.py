"""The status strip across the top of a wall or screen: site title, clock, feed connection.

An operator glancing at the wall must see at once whose city this is, what time it is there, and
whether the picture is live: the connection light turns amber when no source's data has been
*accepted* for a few seconds (a publisher whose frames are refused is not live) and red when it
has never been heard or stopped. A feed thread that died and was restarted is said here too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget

from controlroom.qt.live import LiveCity
from controlroom.qt.panel_contract import LivePanel
from controlroom.qt.site_words import site_title

SILENT_AFTER_S = 5.0  # no message for this long: amber (a 1–2 Hz feed has then missed several)
LIVE, SILENT, DOWN = "#2ecc71", "#f2a900", "#e74c3c"


def feed_state(status: dict[str, Any] | None, silent_after_s: float = SILENT_AFTER_S) -> str:
    """'live' | 'silent' | 'down' from a ``FeedStats.snapshot`` (None: no feed at all)."""
    if not status or not status.get("sources") or status.get("link") == "down":
        return "down"
    newest = min(s["last_heard_s_ago"] for s in status["sources"].values())
    return "live" if newest <= silent_after_s else "silent"


class StatusStrip(LivePanel, QFrame):
    """Title left, feed light and rate in the middle, the site's local clock right."""

    panel_id: ClassVar[str] = "status"

    def __init__(self, live: LiveCity, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StatusStrip")
        self.live = live
        self.state = "down"
        self._tz = ZoneInfo(live.site.site.timezone)  # validated with the site file
        self.title = QLabel(site_title(live.site), self)
        self.title.setObjectName("StatusTitle")
        self.feed = QLabel(self)
        self.feed.setObjectName("StatusFeed")
        self.clock = QLabel(self)
        self.clock.setObjectName("StatusClock")
        self.clock.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 4, 16, 4)
        row.addWidget(self.title, 2)
        row.addWidget(self.feed, 1)
        row.addWidget(self.clock, 1)
        self.setStyleSheet(
            "QFrame#StatusStrip { background: #0d141c; border-bottom: 1px solid #243142; }"
            "QLabel#StatusTitle { font-weight: 600; color: #d8e1ea; }"
            "QLabel#StatusClock { color: #d8e1ea; }"
        )
        live.sig_feed_status.connect(self.show_status)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)
        self._timer.start(1000)
        self._tick()
        self.show_status(None)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Text fills the strip's height, whatever screen and viewing distance gave it that height."""
        super().resizeEvent(event)
        px = max(12, min(int(self.height() * 0.42), 96))
        for label, scale in ((self.title, 1.0), (self.clock, 1.0), (self.feed, 0.75)):
            font = label.font()
            font.setPixelSize(max(10, int(px * scale)))
            label.setFont(font)

    @Slot()
    def _tick(self) -> None:
        now = dt.datetime.fromtimestamp(self.live.clock(), self._tz)
        self.clock.setText(now.strftime("%Y-%m-%d  %H:%M:%S"))

    @Slot(object)
    def show_status(self, status: dict[str, Any] | None) -> None:
        self.state = feed_state(status)
        colour, text = {
            "live": (LIVE, self.tr("Live · {0} msgs/s")),
            "silent": (SILENT, self.tr("Feed silent · {0} msgs/s")),
            "down": (
                DOWN,
                self.tr("Feed broker down")
                if status and status.get("link") == "down"
                else self.tr("No feed"),
            ),
        }[self.state]
        rate = f"{float(status.get('msgs_per_s', 0.0)):,.0f}" if status else "0"
        words = text.format(rate)
        restarted = int(status.get("thread_restarts", 0)) if status else 0
        if restarted:
            words += " · " + self.tr("feed thread restarted {0}×").format(restarted)
        self.feed.setText(f"<span style='color:{colour}'>●</span> " + words)
