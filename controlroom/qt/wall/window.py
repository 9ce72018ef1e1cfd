"""One frameless wall window and the widgets the wall itself draws: placeholders and the banner.

A :class:`WallWindow` shows the panels of one :class:`~controlroom.layouts.placement.WindowPlan`
at the planned pixel rectangles (scaled if the window system gives it a different size), and
a warning banner on top when the wall runs degraded. The window manager owns the panels; the
window only positions them.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLineF, QRectF, Qt
from PySide6.QtGui import QColor, QFontInfo, QPainter, QPaintEvent, QPen, QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from controlroom.layouts.geometry import BezelCompensation, Rect
from controlroom.layouts.placement import WindowPlan
from controlroom.layouts.spec import PANEL_IDS
from controlroom.qt.wall.theme import BORDER

GUIDE_SPACING_PX = 240  # canvas pixels between the placeholder's alignment guides


def panel_title(panel_id: str) -> str:
    """The translated human title of a panel id (the id itself when unknown)."""
    title = PANEL_IDS.get(panel_id)
    return QCoreApplication.translate("PanelIds", title) if title else panel_id


class PlaceholderPanel(QFrame):
    """Stands in for a panel this build does not provide, and says which one, so nobody guesses.

    On a spanning window it also draws alignment guides through the bezel-compensated canvas: they
    continue straight across the bezels, which lets an installer check compensation by eye.
    """

    def __init__(self, panel_id: str, region: str, reason: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PlaceholderPanel")
        self.panel_id = panel_id
        self.region = region
        self._bezel: BezelCompensation | None = None
        title = QLabel(panel_title(panel_id), self)
        title.setObjectName("PlaceholderTitle")
        detail = QLabel(
            reason or self.tr("Panel '{0}' is not available in this build.").format(panel_id), self
        )
        detail.setObjectName("PlaceholderDetail")
        detail.setWordWrap(True)
        ident = QLabel(self.tr("panel id: {0} · region: {1}").format(panel_id, region), self)
        ident.setObjectName("PlaceholderId")
        box = QVBoxLayout(self)
        box.addStretch(1)
        for label in (title, detail, ident):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            box.addWidget(label)
        box.addStretch(1)

    def set_bezel_compensation(self, bezel: BezelCompensation | None) -> None:
        """The protocol panels implement to learn the bezel gaps of a spanning window."""
        self._bezel = bezel
        self._fit_text()
        self.update()

    def _fit_text(self) -> None:
        """Keep the text off the bezels: centre it on the first monitor of a span."""
        layout = self.layout()
        if layout is None:
            return
        if self._bezel is not None and self._bezel.tiles:
            x, y, w, h = self._bezel.tiles[0].window_rect.px()
            layout.setContentsMargins(x, y, max(0, self.width() - x - w), max(0, self.height() - y - h))
        else:
            layout.setContentsMargins(9, 9, 9, 9)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_text()

    @property
    def bezel(self) -> BezelCompensation | None:
        return self._bezel

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._bezel is None:
            return
        painter = QPainter(self)
        painter.setPen(QPen(QColor(BORDER), 1))
        tiles = [(t.window_rect, t.canvas_rect) for t in self._bezel.tiles]
        for window_rect, canvas_rect in tiles:
            painter.save()
            painter.setClipRect(QRectF(window_rect.x, window_rect.y, window_rect.w, window_rect.h))
            # canvas → window: the tile shows canvas_rect at window_rect
            dx, dy = window_rect.x - canvas_rect.x, window_rect.y - canvas_rect.y
            first_x = int(canvas_rect.x // GUIDE_SPACING_PX) * GUIDE_SPACING_PX
            first_y = int(canvas_rect.y // GUIDE_SPACING_PX) * GUIDE_SPACING_PX
            x = first_x
            while x <= canvas_rect.right:
                painter.drawLine(QLineF(x + dx, window_rect.y, x + dx, window_rect.bottom))
                x += GUIDE_SPACING_PX
            y = first_y
            while y <= canvas_rect.bottom:
                painter.drawLine(QLineF(window_rect.x, y + dy, window_rect.right, y + dy))
                y += GUIDE_SPACING_PX
            painter.restore()
        painter.end()


BANNER_MAX_SHARE = 4  # the banner takes at most a quarter of its monitor's height
BANNER_MIN_PX = 10


class WallBanner(QFrame):
    """A warning strip over the top of a wall window (monitors missing, panels moved)."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("WallBanner")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        hide = QPushButton(self.tr("Hide"), self)
        hide.clicked.connect(self._hide_and_give_back)
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 8, 16, 8)
        row.addWidget(self.label, 1)
        row.addWidget(hide, 0)
        self.hide()

    def set_message(self, text: str) -> None:
        self.label.setText(text)
        self.setVisible(bool(text))
        parent = self.parentWidget()
        if isinstance(parent, WallWindow):
            parent.place_panels()  # the panels under the banner move down (or back up)
        else:
            self.fit()

    def _hide_and_give_back(self) -> None:
        self.hide()
        parent = self.parentWidget()
        if isinstance(parent, WallWindow):
            parent.place_panels()

    def band(self) -> tuple[int, int, int, int] | None:
        """The banner's rectangle (x, y, w, h) while it shows, else None."""
        parent = self.parentWidget()
        if not isinstance(parent, WallWindow) or self.isHidden():
            return None
        x, y, width, area_h = parent.banner_area().px()
        return x, y, width, self._height_within(width, max(area_h // BANNER_MAX_SHARE, 1))

    def _height_within(self, width: int, cap: int) -> int:
        """The banner's height at ``width``; its text shrinks (to 10 px) rather than grow past ``cap``."""
        self.label.setStyleSheet("")  # the wall's text size first
        while True:
            self.label.ensurePolished()
            height = self.heightForWidth(width) if self.hasHeightForWidth() else self.sizeHint().height()
            px = QFontInfo(self.label.font()).pixelSize()
            if height <= cap or px <= BANNER_MIN_PX:
                return min(height, cap)
            # the label's own style sheet wins over the wall's
            self.label.setStyleSheet(f"font-size: {max(BANNER_MIN_PX, int(px * 0.85))}px;")

    def fit(self) -> None:
        band = self.band()
        if band is None:
            return
        self.setGeometry(*band)
        self.raise_()


def _squeezed_below(y: int, h: int, band: tuple[int, int, int, int], height: int) -> tuple[int, int]:
    """A panel's vertical span with the column under the banner squeezed below it: all stay visible."""
    top = band[1] + band[3]
    if height <= top:
        return y, h
    scale = (height - top) / height
    y0, y1 = top + round(y * scale), top + round((y + h) * scale)
    return y0, y1 - y0


class WallWindow(QWidget):
    """A frameless window covering one monitor, or a region spanning several."""

    def __init__(self, plan: WindowPlan, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window | Qt.WindowType.FramelessWindowHint)
        self.setObjectName("WallWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.plan = plan
        self.setWindowTitle(self.tr("Wall: {0}").format(" + ".join(plan.monitors)))
        self._panels: dict[str, QWidget] = {}
        self.banner = WallBanner(self)

    def set_panels(self, panels: dict[str, QWidget]) -> None:
        """Show these region → widget panels (already created by the manager) at their planned rects."""
        self._panels = dict(panels)
        for widget in self._panels.values():
            widget.setParent(self)
            widget.show()
        self._place()

    def banner_area(self) -> Rect:
        """Where the banner goes: the first monitor of a span, so no bezel cuts through its text."""
        sx = self.width() / self.plan.rect.w if self.plan.rect.w else 1.0
        if self.plan.bezel is not None and self.plan.bezel.tiles:
            r = self.plan.bezel.tiles[0].window_rect
            return Rect(r.x * sx, r.y, r.w * sx, r.h)
        return Rect(0, 0, self.width(), self.height())

    def panels(self) -> dict[str, QWidget]:
        return dict(self._panels)

    def place_panels(self) -> None:
        self._place()

    def _place(self) -> None:
        """Panels at their planned rects; those under a showing banner start below it (never covered)."""
        sx = self.width() / self.plan.rect.w if self.plan.rect.w else 1.0
        sy = self.height() / self.plan.rect.h if self.plan.rect.h else 1.0
        band = self.banner.band()
        for slot in self.plan.slots:
            widget = self._panels.get(slot.region)
            if widget is not None:
                x, y, w, h = Rect(slot.rect.x * sx, slot.rect.y * sy, slot.rect.w * sx, slot.rect.h * sy).px()
                if band is not None and x < band[0] + band[2] and x + w > band[0]:
                    y, h = _squeezed_below(y, h, band, self.height())
                widget.setGeometry(x, y, w, h)
        self.banner.fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place()
