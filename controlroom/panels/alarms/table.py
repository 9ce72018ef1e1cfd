"""The alarm list: one row per open alarm, sortable by any column, predicted rows set apart.

Rows are keyed by alarm id and rebuilt from the book on each change (a room has tens of open
alarms, not thousands), keeping the selection. Sorting uses a key per cell (priority rank,
time as a number) rather than the displayed text, so "Critical" sorts before "High".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from controlroom.core.alarms.rules import PRIORITIES
from controlroom.panels.alarms.style import (
    PREDICTED_COLOUR,
    PRIORITY_COLOURS,
    forecast_text,
    priority_name,
    state_name,
    tr,
)
from controlroom.qt.fit import fit_columns
from controlroom.qt.site_words import place_name, site_clock
from controlroom.qt.strings import alarm_category_label

if TYPE_CHECKING:
    from controlroom.core.alarms.lifecycle import Alarm
    from controlroom.core.site import Site

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2
COLUMNS = ("priority", "state", "category", "district", "time", "message")
_STATE_RANK = {"new": 0, "acknowledged": 1, "in_progress": 2, "cleared": 3, "closed": 4}


class _SortItem(QTableWidgetItem):
    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(SORT_ROLE), other.data(SORT_ROLE)
        if mine is None or theirs is None:
            return super().__lt__(other)
        return bool(mine < theirs)


class AlarmTable(QTableWidget):
    """Open alarms as rows; ``ids[row]`` is the alarm id shown in that row (after sorting)."""

    def __init__(self, point_size: int, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(
            [tr("Priority"), tr("State"), tr("Category"), tr("District"), tr("Time"), tr("Message")]
        )
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        self.setSortingEnabled(True)
        self.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        header = self.horizontalHeader()
        for c in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        font = QFont(self.font())
        font.setPointSize(point_size)
        self.setFont(font)
        self.verticalHeader().setDefaultSectionSize(int(point_size * 2.4))
        self.zone: str | None = None  # the site's time zone: times read as the site's clocks
        self.site: Site | None = None  # for district names in the app's language
        fit_columns(self, drop_order=(1, 2, 4, 3), elastic=len(COLUMNS) - 1)

    @property
    def ids(self) -> list[str]:
        out = []
        for r in range(self.rowCount()):
            item = self.item(r, 0)
            out.append(str(item.data(ID_ROLE)) if item is not None else "")
        return out

    def selected_id(self) -> str | None:
        rows = self.selectionModel().selectedRows() if self.selectionModel() else []
        if not rows:
            return None
        item = self.item(rows[0].row(), 0)
        return str(item.data(ID_ROLE)) if item is not None else None

    def select_id(self, alarm_id: str) -> bool:
        ids = self.ids
        if alarm_id not in ids:
            return False
        self.selectRow(ids.index(alarm_id))
        return True

    def show_alarms(self, alarms: list[Alarm], now: float) -> None:
        keep = self.selected_id()
        self.setSortingEnabled(False)
        self.blockSignals(True)
        self.setRowCount(len(alarms))
        for r, a in enumerate(alarms):
            self._fill_row(r, a, now)
        self.blockSignals(False)
        self.setSortingEnabled(True)
        if keep is not None:
            self.select_id(keep)

    def _fill_row(self, r: int, a: Alarm, now: float) -> None:
        rank = PRIORITIES.index(a.priority)
        message = f"{forecast_text(a, now)} · {a.message}" if a.predicted else a.message
        clock = site_clock(a.raised_at, self.zone)
        cells: list[tuple[str, object]] = [
            (priority_name(a.priority), rank * 1e11 + a.predicted * 1e10 + (4e9 - a.raised_at)),
            (state_name(a), float(a.predicted) * 10 + _STATE_RANK.get(a.state, 9)),
            (alarm_category_label(a.category), a.category),
            (place_name(self.site, a.district) if a.district else "—", a.district),
            (clock, a.raised_at),
            (message, message),
        ]
        colour = QColor(PREDICTED_COLOUR if a.predicted else PRIORITY_COLOURS[a.priority])
        muted = a.state in ("cleared", "acknowledged", "in_progress")
        for c, (text, key) in enumerate(cells):
            item = _SortItem(text)
            item.setData(SORT_ROLE, key)
            item.setData(ID_ROLE, a.id)
            if c == 0 or a.predicted:
                item.setForeground(colour)
            elif muted:
                item.setForeground(QColor("#8596a8"))
            font = QFont(self.font())
            font.setItalic(a.predicted)
            font.setBold(c == 0 and a.state == "new" and not a.predicted)
            item.setFont(font)
            if a.procedure:
                item.setToolTip(a.procedure)
            self.setItem(r, c, item)
