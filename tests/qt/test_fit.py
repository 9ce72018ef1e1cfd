"""Tables that fit their width: columns drop least-needed first, and a fit queued for a table that is
closed before it runs does nothing (a panel closed while its rows were filling must not raise)."""

from __future__ import annotations

import shiboken6
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem
from pytestqt.qtbot import QtBot

from controlroom.qt.fit import fit_columns


def _table(qtbot: QtBot, width: int, *, closed_by_test: bool = False) -> QTableWidget:
    table = QTableWidget(3, 4)
    if not closed_by_test:
        qtbot.addWidget(table)
    table.setHorizontalHeaderLabels(["Priority", "Message", "District", "Time"])
    for r in range(3):
        for c in range(4):
            table.setItem(r, c, QTableWidgetItem(f"a fairly long value {r}{c}"))
    table.resize(width, 200)
    table.show()
    qtbot.waitExposed(table)
    return table


def test_a_narrow_table_drops_its_least_needed_columns_first(qtbot: QtBot) -> None:
    table = _table(qtbot, 260)
    fit_columns(table, drop_order=[2, 3]).fit()
    assert table.isColumnHidden(2) and table.isColumnHidden(3)
    assert not table.isColumnHidden(0) and not table.isColumnHidden(1)
    table.resize(1400, 200)
    qtbot.waitUntil(lambda: not table.isColumnHidden(2) and not table.isColumnHidden(3))


def test_a_fit_queued_for_a_table_deleted_before_it_runs_does_nothing(qtbot: QtBot) -> None:
    table = _table(qtbot, 400, closed_by_test=True)
    fitter = fit_columns(table, drop_order=[2, 3])
    fitter.fit_soon()  # queued for the next turn of the event loop, as a filling table does
    shiboken6.delete(table)  # the panel closes first
    qtbot.wait(50)  # an exception raised in the queued call would fail this test (pytest-qt)
