"""Make widgets fit the space a layout gives them: tables drop columns, labels elide with a tooltip.

A panel may be shown full screen, in a quarter-monitor wall cell or on a 1366×768 laptop; rather
than clip, a table hides its least needed columns first and a one-line label ends in "…" with the
full text in its tooltip.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QWidget

ELASTIC_MIN_PX = 160


class ColumnFitter(QObject):
    """Hides a table's columns, least needed first (``drop_order``), while they do not fit its width."""

    def __init__(self, table: QTableWidget, drop_order: Sequence[int], elastic: int | None = None) -> None:
        super().__init__(table)
        self.table = table
        self.drop_order = list(drop_order)
        self.elastic = elastic  # a stretching column (a message): it needs only ELASTIC_MIN_PX
        self._fitting = False
        # columns fit, so no horizontal scroll bar: one that came and went would re-fit forever
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._queued = False
        table.viewport().installEventFilter(self)
        table.model().rowsInserted.connect(self.fit_soon)
        table.model().dataChanged.connect(self.fit_soon)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.fit_soon()
        return False

    def fit_soon(self, *_args: object) -> None:
        """One fit once the current fill is done: per cell, a table of hundreds of rows crawls."""
        if not self._queued:
            self._queued = True
            QTimer.singleShot(0, self._fit_queued)

    def _fit_queued(self) -> None:
        self._queued = False
        self.fit()

    def needed(self, column: int) -> int:
        header = self.table.horizontalHeader()
        need = max(self.table.sizeHintForColumn(column), header.sectionSizeHint(column))
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
