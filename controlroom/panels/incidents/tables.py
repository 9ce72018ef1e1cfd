"""The dispatch desk's two tables: the incident queue and the unit status board.

Plain ``QTableWidget`` subclasses rebuilt from the desk's typed rows (``live.desk``) on change
(tens to a few hundred rows: rebuilding is cheaper than keeping an item model in sync, and keeps
the selection by id). They only render: every code shown goes through ``qt.strings``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from controlroom.core.ages import age_text
from controlroom.qt.fit import fit_columns
from controlroom.qt.strings import (
    dispatch_status_label,
    entity_kind_label,
    entity_status_label,
    incident_type_label,
)

if TYPE_CHECKING:
    from controlroom.live.desk import DeskIncident, DeskUnit

SEVERITY_COLOURS = {1: "#3d8bd9", 2: "#e0b400", 3: "#ff7a1a", 4: "#e5333a"}
UNIT_STATUS_COLOURS = {
    "available": "#2fa84f",
    "dispatched": "#e0b400",
    "en_route": "#ff7a1a",
    "on_scene": "#e5333a",
    "out_of_service": "#777777",
}


# Text colour of an incident whose source went silent (as faded entities are on the map).
STALE_COLOUR = "#8a94a6"


def _tr(text: str) -> str:
    return QCoreApplication.translate("IncidentTables", text)


def _table(widget: QTableWidget, headers: list[str]) -> None:
    widget.setColumnCount(len(headers))
    widget.setHorizontalHeaderLabels(headers)
    widget.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    widget.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    widget.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    widget.verticalHeader().setVisible(False)
    # Interactive + one resizeColumnsToContents() per fill: ResizeToContents would re-measure every
    # row on every setItem (seconds for a few hundred units).
    widget.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    widget.horizontalHeader().setStretchLastSection(True)


class _Filling:
    """Fill a table without a repaint or a re-measure per cell."""

    def __init__(self, table: QTableWidget) -> None:
        self.table = table

    def __enter__(self) -> None:
        self.table.setUpdatesEnabled(False)
        self.table.blockSignals(True)

    def __exit__(self, *exc: object) -> None:
        self.table.blockSignals(False)
        self.table.resizeColumnsToContents()
        self.table.setUpdatesEnabled(True)


class IncidentQueue(QTableWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        _table(self, [_tr("Sev"), _tr("Age"), _tr("Type"), _tr("District"), _tr("Status"), _tr("Id")])
        self._ids: list[str] = []
        #: A district as the app's language names it (the panel sets the site's ``place_name``).
        self.place: Callable[[str], str] = str
        fit_columns(self, drop_order=(5, 1, 3))  # narrow: id, then age, then district make way

    def show_incidents(self, items: Sequence[DeskIncident], now: float, selected: str | None) -> None:
        with _Filling(self):
            self.setRowCount(len(items))
            self._ids = [i.id for i in items]
            for row, inc in enumerate(items):
                status = dispatch_status_label(inc.status)
                if inc.stale:  # its source went silent: this may no longer be how it is
                    status = QCoreApplication.translate("IncidentTables", "{0} (source silent)").format(
                        status
                    )
                cells = [str(inc.severity), age_text(now - inc.raised_at), incident_type_label(inc.type),
                         self.place(inc.district), status, inc.id]  # fmt: skip
                for col, text in enumerate(cells):
                    item = QTableWidgetItem(text)
                    if inc.stale and col:
                        item.setForeground(QBrush(QColor(STALE_COLOUR)))
                    if col == 0:
                        item.setBackground(QBrush(QColor(SEVERITY_COLOURS.get(inc.severity, "#888888"))))
                        item.setForeground(QBrush(QColor("#ffffff")))
                        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    self.setItem(row, col, item)
            if selected in self._ids:
                self.selectRow(self._ids.index(selected))

    def selected_id(self) -> str | None:
        rows = self.selectionModel().selectedRows()
        if not rows:
            return None
        r = rows[0].row()
        return self._ids[r] if 0 <= r < len(self._ids) else None

    def select_id(self, incident_id: str) -> None:
        if incident_id in self._ids and self.selected_id() != incident_id:
            self.blockSignals(True)
            self.selectRow(self._ids.index(incident_id))
            self.blockSignals(False)

    @property
    def ids(self) -> list[str]:
        return list(self._ids)


class UnitBoard(QTableWidget):
    """Every dispatchable unit with its dispatch status; busy ones first."""

    ORDER: ClassVar[dict[str, int]] = {
        "on_scene": 0,
        "en_route": 1,
        "dispatched": 2,
        "available": 3,
        "out_of_service": 4,
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        _table(self, [_tr("Unit"), _tr("Name"), _tr("Kind"), _tr("Status"), _tr("Incident")])
        fit_columns(self, drop_order=(4, 1))

    def show_units(self, units: Sequence[DeskUnit]) -> None:
        units = sorted(units, key=lambda u: (self.ORDER.get(u.status, 9), u.id))
        with _Filling(self):
            self._fill(units)

    def _fill(self, units: Sequence[DeskUnit]) -> None:
        self.setRowCount(len(units))
        for row, u in enumerate(units):
            cells = [u.id, u.name, entity_kind_label(u.kind), entity_status_label(u.status), u.incident_id]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 3:
                    item.setData(Qt.ItemDataRole.UserRole, u.status)
                    item.setForeground(QBrush(QColor(UNIT_STATUS_COLOURS.get(u.status, "#888888"))))
                self.setItem(row, col, item)

    def status_of(self, unit_id: str) -> str | None:
        """The unit's status code as the board shows it (None when the unit is not listed)."""
        for row in range(self.rowCount()):
            item = self.item(row, 0)
            if item is not None and item.text() == unit_id:
                status = self.item(row, 3)
                return str(status.data(Qt.ItemDataRole.UserRole)) if status is not None else None
        return None
