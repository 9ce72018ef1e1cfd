"""Make widgets fit the space a layout gives them: tables drop columns, labels elide with a tooltip.

A panel may be shown full screen, in a quarter-monitor wall cell or on a 1366×768 laptop; rather
than clip, a table hides its least needed columns first and a one-line label ends in "…" with the
full text in its tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QApplication,
    QDockWidget,
    QFrame,
    QGridLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLayoutItem,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QTabBar,
    QTableWidget,
    QWidget,
)

ELASTIC_MIN_PX = 160


class _FitOnLayout(QObject):
    """Fits its widgets once, on the event-loop turn after any resize or show of what it watches
    (``installEventFilter(self)``) or a ``fit_soon`` call: a layout settles in several passes, and
    fitting in each would crawl. The queued call is dropped if this object goes first."""

    _queued = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # shown too: a widget behind a tab was sized while hidden, without a resize event
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self.fit_soon()
        return False

    def fit_soon(self, *_args: object) -> None:
        if not self._queued:
            self._queued = True
            QTimer.singleShot(0, self, self._fit_queued)

    def _fit_queued(self) -> None:
        self._queued = False
        self.fit()

    def fit(self) -> None:
        raise NotImplementedError


class ColumnFitter(_FitOnLayout):
    """Hides a table's columns, least needed first (``drop_order``), while they do not fit its width."""

    def __init__(self, table: QTableWidget, drop_order: Sequence[int], elastic: int | None = None) -> None:
        super().__init__(table)
        self.table = table
        self.drop_order = list(drop_order)
        self.elastic = elastic  # a stretching column (a message): it needs only ELASTIC_MIN_PX
        self._fitting = False
        self._title_px: dict[int, int] = {}
        # columns fit, so no horizontal scroll bar: one that came and went would re-fit forever
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.viewport().installEventFilter(self)
        table.model().rowsInserted.connect(self.fit_soon)
        table.model().dataChanged.connect(self.fit_soon)

    def needed(self, column: int) -> int:
        header = self.table.horizontalHeader()
        # Qt sizes a hidden section's title as 0: use the width its title had when last shown,
        # or a hidden column would look narrow, be shown again and be hidden again on every update
        if not header.isSectionHidden(column):
            self._title_px[column] = header.sectionSizeHint(column)
        need = max(self.table.sizeHintForColumn(column), self._title_px.get(column, 0))
        return min(need, ELASTIC_MIN_PX) if column == self.elastic else need

    def fit(self, *_args: object) -> None:
        """Show every column that fits, dropping in ``drop_order`` until the rest do."""
        if self._fitting:
            return
        self._fitting = True
        try:
            self._fit()
        finally:
            self._fitting = False

    def _fit(self) -> None:
        t = self.table
        available = t.viewport().width()
        shown = set(range(t.columnCount()))
        for column in [None, *self.drop_order]:
            if column is not None:
                shown.discard(column)
            if sum(self.needed(c) for c in shown) <= available:
                break
        header = t.horizontalHeader()
        for c in range(t.columnCount()):
            t.setColumnHidden(c, c not in shown)
            interactive = header.sectionResizeMode(c) == QHeaderView.ResizeMode.Interactive
            if c in shown and interactive and c != self.elastic:
                t.setColumnWidth(c, self.needed(c))  # shown columns at their width: none pushed out


def fit_columns(table: QTableWidget, drop_order: Sequence[int], elastic: int | None = None) -> ColumnFitter:
    """Keep ``table``'s columns fitting its width, hiding those in ``drop_order`` first as it narrows."""
    return ColumnFitter(table, drop_order, elastic)


class ElidedLabel(QLabel):
    """A one-line label that ends in "…" when narrower than its text; the full text is its tooltip."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setMinimumWidth(24)
        self.setText(text)

    def setText(self, text: str) -> None:
        self._full = text
        self._elide()

    def text(self) -> str:
        """The full text (what is shown may end in "…": ``shown_text``)."""
        return self._full

    def shown_text(self) -> str:
        return QLabel.text(self)

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        hint.setWidth(self.minimumWidth())
        return hint

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        hint.setWidth(self.fontMetrics().horizontalAdvance(self._full) + 2 * self.margin() + 4)
        return hint

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        width = self.contentsRect().width()
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, max(width, 0))
        QLabel.setText(self, shown)
        self.setToolTip(self._full if shown != self._full else "")


class FlowLayout(QLayout):
    """A row of widgets (buttons, filters) that wraps onto more lines when narrower than the row,
    instead of pushing its parent wider or cutting the last ones off. Each item keeps its preferred
    width (so a button's whole text shows) unless that alone is wider than the line."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._width = 0  # the width the row was last given
        self.setContentsMargins(0, 0, 0, 0)
        self.setSpacing(spacing)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        width_changed = rect.width() != self._width
        self._width = rect.width()
        super().setGeometry(rect)
        self._place(rect, move=True)
        if width_changed:
            self.invalidate()  # the minimum height follows the width it now has (fewer lines when wider)

    def sizeHint(self) -> QSize:
        shown = [i for i in self._items if not i.isEmpty()]
        m = self.contentsMargins()
        width = sum(i.sizeHint().width() for i in shown) + self.spacing() * max(0, len(shown) - 1)
        height = max((i.sizeHint().height() for i in shown), default=0)
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:
        """As narrow as the widest item; as high as the lines need at the width the row has now
        (at its narrowest before it has one), so a wide row does not reserve a narrow one's lines."""
        m = self.contentsMargins()
        width = max((i.minimumSize().width() for i in self._items if not i.isEmpty()), default=0)
        lines_at = max(width + m.left() + m.right(), self._width)
        return QSize(width + m.left() + m.right(), self.heightForWidth(lines_at) if width else 0)

    def _place(self, rect: QRect, *, move: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, line_h = area.x(), area.y(), 0
        gap = self.spacing()
        for item in self._items:
            if item.isEmpty():
                continue
            hint = item.sizeHint()
            w = min(max(hint.width(), item.minimumSize().width()), max(area.width(), 1))
            if x > area.x() and x + w > area.x() + area.width():
                x, y, line_h = area.x(), y + line_h + gap, 0
            if move:
                item.setGeometry(QRect(x, y, w, hint.height()))
            x += w + gap
            line_h = max(line_h, hint.height())
        return y + line_h - rect.y() + m.bottom()


def flow_row(widgets: Sequence[QWidget] = (), spacing: int = 6) -> FlowLayout:
    """A ``FlowLayout`` holding ``widgets``: a QHBoxLayout row that wraps when narrow."""
    row = FlowLayout(spacing=spacing)
    for w in widgets:
        row.addWidget(w)
    return row


class ResponsiveSplitter(QSplitter):
    """Two panes side by side while they fit (each at least its ``min_px`` and its minimum size),
    one above the other when they do not: a narrow dock or wall cell stacks them rather than
    squeezing or cutting either."""

    def __init__(self, min_px: Sequence[int], parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.min_px = list(min_px)
        self._queued = False

    def side_by_side_px(self) -> int:
        """The width both panes need side by side."""
        return self.handleWidth() * max(0, self.count() - 1) + sum(self._want(i) for i in range(self.count()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if not self._queued:
            self._queued = True
            QTimer.singleShot(0, self, self._choose)

    def _choose(self) -> None:
        self._queued = False
        wanted = (
            Qt.Orientation.Horizontal if self.width() >= self.side_by_side_px() else Qt.Orientation.Vertical
        )
        if wanted != self.orientation():
            self.setOrientation(wanted)
        if wanted == Qt.Orientation.Horizontal:  # each pane at least its min_px, the rest shared
            sizes = self.sizes()
            wants = [self._want(i) for i in range(self.count())]
            if any(size < want for size, want in zip(sizes, wants, strict=True)):
                spare = max(0, sum(sizes) - sum(wants)) // max(1, self.count())
                self.setSizes([want + spare for want in wants])

    def _want(self, i: int) -> int:
        pane = self.widget(i)
        return max(
            self.min_px[i] if i < len(self.min_px) else 0, pane.minimumSizeHint().width() if pane else 0
        )


def room_height(widget: QWidget) -> int:
    """The height ``widget`` may fill without scrolling: the nearest scroll area's view (a dock
    scrolls a panel taller than itself), else the widget's own height."""
    p = widget.parentWidget()
    while p is not None:
        area = p.parentWidget()
        if isinstance(area, QAbstractScrollArea) and area.viewport() is p:
            return p.height()
        p = p.parentWidget()
    return widget.height()


class SidewaysFitScroller(QScrollArea):
    """A scroll area that scrolls its widget up and down only: the widget is always as wide as
    the view, so a panel fits its width (wrapping, eliding, stacking) instead of hiding its right
    part behind a scroll bar."""

    def __init__(self, widget: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(widget)
        self.viewport().installEventFilter(self)
        self._fit_width()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_width()
        return super().eventFilter(watched, event)

    def _fit_width(self) -> None:
        widget = self.widget()
        if widget is None:
            return
        if widget.maximumWidth() != self.viewport().width():
            widget.setMaximumWidth(max(1, self.viewport().width()))
            widget.resize(self.viewport().width(), widget.height())
        # a panel taller than the view keeps its size: tell it the view changed (room_height)
        QApplication.postEvent(widget, QResizeEvent(widget.size(), widget.size()))


class GridReflow(QObject):
    """Places cells in ``grid`` in as many columns (up to ``max_columns``) as the widest cell allows
    at the owner's width: four numbers across on a wall, two or one in a laptop's dock, none cut.
    A cell is one widget or a (caption, value) pair stacked in one column."""

    def __init__(
        self,
        owner: QWidget,
        grid: QGridLayout,
        cells: Sequence[QWidget | tuple[QWidget, ...]],
        max_columns: int,
        min_px: int = 0,
    ) -> None:
        super().__init__(owner)
        self.owner, self.grid, self.max_columns, self.min_px = owner, grid, max_columns, min_px
        self.cells: list[tuple[QWidget, ...]] = [c if isinstance(c, tuple) else (c,) for c in cells]
        self.columns = 0
        owner.installEventFilter(self)
        self._place(max_columns)

    def add(self, cell: QWidget | tuple[QWidget, ...]) -> None:
        self.cells.append(cell if isinstance(cell, tuple) else (cell,))
        self._place(self.columns or self.max_columns, force=True)
        self.reflow()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # resized, or a cell's text changed (a number grew a digit): the columns may change
        owner = getattr(self, "owner", None)  # None while Python tears this object down
        if (
            owner is not None
            and watched is owner
            and event.type() in (QEvent.Type.Resize, QEvent.Type.LayoutRequest)
        ):
            self.reflow()
        return False

    def reflow(self) -> None:
        width = self.owner.width()
        for layout in (self.owner.layout(), self.grid):
            if layout is not None:
                m = layout.contentsMargins()
                width -= m.left() + m.right()
        cell = max([self.min_px] + [w.sizeHint().width() for c in self.cells for w in c])
        gap = max(0, self.grid.horizontalSpacing())
        fit = max(1, (width + gap) // (cell + gap))
        self._place(max(1, min(self.max_columns, fit, len(self.cells) or 1)))

    def _place(self, columns: int, force: bool = False) -> None:
        if columns == self.columns and not force:
            return
        self.columns = columns
        for c in self.cells:
            for w in c:
                self.grid.removeWidget(w)
        for col in range(self.grid.columnCount()):
            self.grid.setColumnStretch(col, 0)
        for i, c in enumerate(self.cells):
            for k, w in enumerate(c):
                self.grid.addWidget(w, (i // columns) * len(c) + k, i % columns)
        for col in range(columns):
            self.grid.setColumnStretch(col, 1)


class DockTabTitles(_FitOnLayout):
    """Tabbed docks show whole titles: a tab bar too narrow for its docks' whole titles gives them
    their short ones ("Selection" for "Selection details"), each tab's tooltip the whole title.

    Qt elides a dock's tab ("Selection d…") and its tooltip is only that same title. The tab text
    is the dock's window title (Qt resets any other), so the titles themselves switch, after each
    resize of the window and each move of a dock.
    """

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.titles: dict[QDockWidget, tuple[str, str]] = {}  # dock → (whole, short)
        self._bars: set[QTabBar] = set()
        window.installEventFilter(self)

    def add(self, dock: QDockWidget, whole: str, short: str) -> None:
        self.titles[dock] = (whole, short)
        dock.dockLocationChanged.connect(self.fit_soon)
        dock.topLevelChanged.connect(self.fit_soon)
        dock.visibilityChanged.connect(self.fit_soon)

    def fit(self) -> None:
        for bar in self.window.findChildren(QTabBar):
            if bar.parentWidget() is not self.window:
                continue  # only the dock areas' tab bars
            if bar not in self._bars:
                self._bars.add(bar)
                bar.installEventFilter(self)
            if not bar.isVisible() or bar.visibleRegion().isEmpty():
                continue  # a bar Qt keeps from an earlier arrangement, out of sight
            by_title = {dock.windowTitle(): dock for dock in self.titles}  # titles change per bar
            found = [by_title.get(bar.tabText(i)) for i in range(bar.count())]
            docks = [d for d in found if d is not None]
            if len(docks) != len(found):
                continue
            self._show(docks, 0)  # whole titles while no tab is narrower than its title
            if any(bar.tabRect(i).width() < bar.tabSizeHint(i).width() for i in range(bar.count())):
                self._show(docks, 1)
            for i, dock in enumerate(docks):
                bar.setTabToolTip(i, self.titles[dock][0])

    def _show(self, docks: list[QDockWidget], which: int) -> None:
        for dock in docks:
            if dock.windowTitle() != self.titles[dock][which]:
                dock.setWindowTitle(self.titles[dock][which])  # Qt sets the tab's text (and tooltip)
                dock.toggleViewAction().setText(self.titles[dock][0])  # the Panels menu: whole
