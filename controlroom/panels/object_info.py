"""The selection panel: everything known about the object clicked on the map, readable on a wall.

It takes a plain record (``CityObjects.record(i)``), so it works for any layer and never
imports the map panel: the app connects ``MapPanel.sig_object_picked`` to a slot that looks
the record up and calls ``show_object``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from controlroom.qt.panel_contract import LivePanel

TITLE_POINT_SIZE = 24
BODY_POINT_SIZE = 16


def format_height(value: Any) -> str:
    """'123.4 m' for a finite number, '' otherwise (unknown heights are not 'nan m')."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return ""
    return f"{float(value):.1f} m"


def format_value(value: Any) -> str:
    """Attribute values as a reader expects: no trailing '.0' noise, lists joined, None blank."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else f"{value:.6g}"
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {format_value(v)}" for k, v in value.items())
    return str(value)


class ObjectInfoPanel(LivePanel, QWidget):
    """Shows one city object's id, name, type, height, LoD, parent and all its attributes."""

    panel_id: ClassVar[str] = "object_info"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.title())
        self._record: dict[str, Any] | None = None
        body = QFont(self.font())
        body.setPointSize(BODY_POINT_SIZE)
        self.setFont(body)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(10)

        self.title_label = QLabel(self)
        title_font = QFont(body)
        title_font.setPointSize(TITLE_POINT_SIZE)
        title_font.setBold(True)
        self.title_label.setFont(title_font)
        self.title_label.setWordWrap(True)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title_label)

        self.hint = QLabel(self.tr("Click a building on the 3D map to see its details."), self)
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        self.details = QWidget(self)  # hidden while nothing is selected: the empty panel stays small
        details = QVBoxLayout(self.details)
        details.setContentsMargins(0, 0, 0, 0)
        details.setSpacing(10)
        form = QFormLayout()
        form.setHorizontalSpacing(18)
        form.setVerticalSpacing(6)
        self.field_labels: dict[str, QLabel] = {}
        for key, caption in (
            ("id", self.tr("ID")),
            ("name", self.tr("Name")),
            ("type", self.tr("Type")),
            ("height", self.tr("Height")),
            ("lod", self.tr("LoD")),
            ("parent", self.tr("Part of")),
        ):
            value = QLabel(self)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            caption_label = QLabel(caption, self)
            caption_font = QFont(body)
            caption_font.setBold(True)
            caption_label.setFont(caption_font)
            form.addRow(caption_label, value)
            self.field_labels[key] = value
        details.addLayout(form)

        self.attributes_table = QTableWidget(0, 2, self)
        self.attributes_table.setHorizontalHeaderLabels([self.tr("Attribute"), self.tr("Value")])
        self.attributes_table.verticalHeader().setVisible(False)
        self.attributes_table.horizontalHeader().setSectionResizeMode(
            0, QHeaderView.ResizeMode.ResizeToContents
        )
        self.attributes_table.horizontalHeader().setStretchLastSection(True)
        self.attributes_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.attributes_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.attributes_table.setAlternatingRowColors(True)
        self.attributes_table.setWordWrap(True)
        details.addWidget(self.attributes_table, 1)
        layout.addWidget(self.details, 1)
        self.show_object(None)

    def title(self) -> str:
        return self.tr("Selection")

    @property
    def record(self) -> dict[str, Any] | None:
        return self._record

    def show_object(self, record: Mapping[str, Any] | None) -> None:
        """Show a ``CityObjects.record`` (plus optional 'layer'); None shows the empty hint."""
        self._record = dict(record) if record is not None else None
        if record is None:
            self.title_label.setText(self.tr("Nothing selected"))
            for label in self.field_labels.values():
                label.setText("")
            self.attributes_table.setRowCount(0)
            self.attributes_table.setToolTip(self.tr("Click a building on the 3D map to see its details."))
            self.details.hide()
            self.hint.show()
            return
        self.details.show()
        self.hint.hide()
        name = record.get("name")
        obj_id = format_value(record.get("id"))
        self.title_label.setText(str(name) if name else obj_id or self.tr("(unnamed object)"))
        for key, label in self.field_labels.items():
            value = record.get(key)
            label.setText(format_height(value) if key == "height" else format_value(value))
        if not format_height(record.get("height")):
            self.field_labels["height"].setText(self.tr("unknown"))
        attributes = record.get("attributes") or {}
        self.attributes_table.setToolTip("")
        self.attributes_table.setRowCount(len(attributes))
        for row, (key, value) in enumerate(attributes.items()):
            self.attributes_table.setItem(row, 0, QTableWidgetItem(str(key)))
            self.attributes_table.setItem(row, 1, QTableWidgetItem(format_value(value)))
        self.attributes_table.resizeRowsToContents()

    def attribute_rows(self) -> list[tuple[str, str]]:
        """The table's (attribute, value) rows as shown, for tests and copy-out."""
        rows = []
        for row in range(self.attributes_table.rowCount()):
            key_item = self.attributes_table.item(row, 0)
            value_item = self.attributes_table.item(row, 1)
            rows.append((key_item.text() if key_item else "", value_item.text() if value_item else ""))
        return rows
