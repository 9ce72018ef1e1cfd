"""Panel action buttons that also answer a one-key shortcut, so an operator can act without the mouse."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QBoxLayout, QPushButton, QWidget

#: (key, translated button text, shortcut key, slot, row layout the button goes in)
ActionSpec = tuple[str, str, str, Callable[[], object], QBoxLayout]


def add_action_buttons(owner: QWidget, actions: Sequence[ActionSpec]) -> dict[str, QPushButton]:
    """One button per action in its row, its shortcut live while focus is anywhere in ``owner``."""
    buttons: dict[str, QPushButton] = {}
    for key, text, shortcut, slot, row in actions:
        btn = QPushButton(text)
        btn.clicked.connect(slot)
        row.addWidget(btn)
        buttons[key] = btn
        sc = QShortcut(QKeySequence(shortcut), owner)
        sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        sc.activated.connect(slot)
    return buttons
