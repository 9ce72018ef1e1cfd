"""The timeline bar: the instance's one clock on screen, and the frame that says REPLAY.

LIVE is a green badge; REPLAY an amber badge with the replayed date and time, and an amber
frame around every window of the instance (``ReplayFrame``), so nobody mistakes the past for
now. The bar: previous/next event, slower/faster (−64×…64×, backwards below 1×), play/pause,
a strip of the last hour with alarm and incident marks coloured by urgency (drag to scrub),
and "Live" — also the End key anywhere in the window (a text field keeps End for itself).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QKeySequence, QMouseEvent, QPainter, QPaintEvent, QPen, QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from controlroom.qt.replay_clock import SPAN_S, ReplayClock

LIVE_COLOUR = "#16a34a"
REPLAY_COLOUR = "#f59e0b"
#: Mark colours by urgency rank (0 critical … 3 low), as the alarm desk colours priorities.
RANK_COLOURS = ("#ef4444", "#f97316", "#eab308", "#60a5fa")
FRAME_PX = 6


class TimelineStrip(QWidget):
    """The last ``SPAN_S`` seconds with event marks and the clock's position; drag to scrub."""

    def __init__(self, clock: ReplayClock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clock = clock
        self.setMinimumSize(240, 28)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self._dragging = False

    def span(self) -> tuple[float, float]:
        now = self.clock.live.clock()
        return now - SPAN_S, now

    def x_of(self, t: float) -> float:
        t0, t1 = self.span()
        return (t - t0) / (t1 - t0) * max(1, self.width() - 1)

    def t_of(self, x: float) -> float:
        t0, t1 = self.span()
        return t0 + max(0.0, min(1.0, x / max(1, self.width() - 1))) * (t1 - t0)

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#111827"))
        h = self.height()
        for tick in self.clock.ticks():
            pen = QPen(QColor(RANK_COLOURS[max(0, min(3, tick.rank))]))
            pen.setWidth(3 if tick.rank == 0 else 2)
            p.setPen(pen)
            x = self.x_of(tick.t)
            p.drawLine(QPointF(x, h * 0.25), QPointF(x, h - 2))
        colour = QColor(REPLAY_COLOUR if self.clock.replaying else LIVE_COLOUR)
        x = self.x_of(self.clock.time)
        p.fillRect(QRectF(x - 2, 0, 4, h), colour)
        p.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._dragging = True
        self.clock.pause()
        self.clock.seek(self.t_of(event.position().x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._dragging:
            self.clock.seek(self.t_of(event.position().x()))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._dragging:
            self._dragging = False
            if self.clock.replaying:
                self.clock.pause()  # settled: trails rebuilt for the instant shown


class TimelineBar(QWidget):
    """Badge, transport buttons, speed, the strip and "Live"; End goes live from anywhere in the window."""

    def __init__(self, clock: ReplayClock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clock = clock
        self.setObjectName("timelineBar")
        self.badge = QLabel()
        self.badge.setObjectName("timelineBadge")
        self.badge.setMinimumWidth(260)
        self.badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.prev_button = QPushButton(self.tr("◀| Event"))
        self.prev_button.setToolTip(self.tr("Previous alarm or incident"))
        self.slower_button = QPushButton("◀◀")
        self.slower_button.setToolTip(self.tr("Slower, then backwards (−64× … 64×)"))
        self.play_button = QPushButton()
        self.faster_button = QPushButton("▶▶")
        self.faster_button.setToolTip(self.tr("Faster (up to 64×)"))
        self.next_button = QPushButton(self.tr("Event |▶"))
        self.next_button.setToolTip(self.tr("Next alarm or incident"))
        self.speed_label = QLabel()
        self.strip = TimelineStrip(clock)
        self.live_button = QPushButton(self.tr("Live (End)"))
        self.message = QLabel()
        self.message.setStyleSheet("color: #f59e0b;")
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        for w in (self.badge, self.prev_button, self.slower_button, self.play_button, self.faster_button,
                  self.next_button, self.speed_label):  # fmt: skip
            row.addWidget(w)
        row.addWidget(self.strip, 1)
        row.addWidget(self.message)
        row.addWidget(self.live_button)
        self.prev_button.clicked.connect(lambda: clock.jump_event(False))
        self.next_button.clicked.connect(lambda: clock.jump_event(True))
        self.slower_button.clicked.connect(lambda: clock.faster(-1))
        self.faster_button.clicked.connect(lambda: clock.faster(+1))
        self.play_button.clicked.connect(self._play)
        self.live_button.clicked.connect(clock.go_live)
        self.live_key = QShortcut(QKeySequence("End"), self)
        self.live_key.setContext(Qt.ShortcutContext.WindowShortcut)
        self.live_key.activated.connect(clock.go_live)
        clock.sig_changed.connect(self.refresh)
        clock.live.sig_feed_status.connect(lambda _s: self.strip.update())  # the span moves with now
        self.refresh()

    def _play(self) -> None:
        if not self.clock.replaying:  # from LIVE, play means: a minute ago, at 1×
            self.clock.enter(self.clock.live.clock() - 60.0, play=True)
            return
        self.clock.toggle_play()

    def badge_text(self) -> str:
        if not self.clock.replaying:
            return self.tr("LIVE")
        tz = ZoneInfo(self.clock.live.site.site.timezone)
        when = datetime.fromtimestamp(self.clock.time, tz).strftime("%Y-%m-%d %H:%M:%S")
        return self.tr("REPLAY {0}").format(when)

    def refresh(self) -> None:
        replay = self.clock.replaying
        colour = REPLAY_COLOUR if replay else LIVE_COLOUR
        self.badge.setText(self.badge_text())
        self.badge.setStyleSheet(
            f"#timelineBadge {{ background: {colour}; color: #0b0f14; font-weight: bold; padding: 3px 8px; }}"
        )
        self.play_button.setText(self.tr("Pause") if self.clock.playing else self.tr("Play"))
        self.speed_label.setText(f"{self.clock.speed:+d}×" if replay else "")
        self.live_button.setEnabled(replay)
        self.message.setText(self.clock.error)
        self.strip.update()


class ReplayFrame:
    """An amber frame around a window while the clock is in the past (its contents margins,
    painted in the window's background colour), so every screen says REPLAY."""

    def __init__(self, window: QWidget, clock: ReplayClock) -> None:
        self.window = window
        self.clock = clock
        self._margins = window.contentsMargins()
        window.setAutoFillBackground(True)
        self._palette = window.palette()
        clock.sig_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        if self.clock.replaying:
            m = FRAME_PX
            self.window.setContentsMargins(m, m, m, m)
            pal = self.window.palette()
            pal.setColor(self.window.backgroundRole(), QColor(REPLAY_COLOUR))
            self.window.setPalette(pal)
        else:
            self.window.setContentsMargins(self._margins)
            self.window.setPalette(self._palette)


class ReplayMarker(QObject):
    """The same on a window whose panels are placed by hand (a wall screen): an amber frame of
    four edges and the replay time at the top, child widgets kept on top and fitted on resize."""

    def __init__(self, window: QWidget, clock: ReplayClock) -> None:
        super().__init__(window)
        self.window = window
        self.clock = clock
        self.edges = [QFrame(window) for _ in range(4)]
        for edge in self.edges:
            edge.setStyleSheet(f"background: {REPLAY_COLOUR};")
            edge.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.label = QLabel(window)
        self.label.setObjectName("replayTime")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        style = f"background: {REPLAY_COLOUR}; color: #0b0f14; font-weight: bold; padding: 4px 16px;"
        self.label.setStyleSheet(f"#replayTime {{ {style} }}")
        window.installEventFilter(self)
        clock.sig_changed.connect(self.refresh)
        self.refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Resize:
            self.refresh()
        return False

    def refresh(self) -> None:
        replay = self.clock.replaying
        widgets = [*self.edges, self.label]
        for widget in widgets:
            widget.setVisible(replay)
        if not replay:
            return
        tz = ZoneInfo(self.clock.live.site.site.timezone)
        when = datetime.fromtimestamp(self.clock.time, tz).strftime("%Y-%m-%d %H:%M:%S")
        self.label.setText(QCoreApplication.translate("TimelineBar", "REPLAY {0}").format(when))
        self.label.adjustSize()
        width, height, m = self.window.width(), self.window.height(), FRAME_PX
        rects = ((0, 0, width, m), (0, height - m, width, m), (0, 0, m, height), (width - m, 0, m, height))
        for edge, (x, y, w, h) in zip(self.edges, rects, strict=True):
            edge.setGeometry(x, y, w, h)
        self.label.move((width - self.label.width()) // 2, m)
        for widget in widgets:
            widget.raise_()
