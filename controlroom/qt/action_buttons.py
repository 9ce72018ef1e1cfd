"""Panel action buttons that also answer a one-key shortcut, so an operator can act without the mouse."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QLayout, QPushButton, QWidget

from controlroom.live import Mode

if TYPE_CHECKING:
    from controlroom.qt.live import LiveCity

#: (key, translated button text, shortcut key, slot, row layout the button goes in)
ActionSpec = tuple[str, str, str, Callable[[], object], QLayout]


class WorldButton(QPushButton):
    """A button whose action changes the world (dispatch, acknowledge …): off, with the reason as
    its tooltip, while the instance's clock shows the past; the panel's own enabling still applies."""

    def __init__(self, text: str, live: LiveCity) -> None:
        super().__init__(text)
        self._live = live
        self._wanted = True
        live.sig_mode_changed.connect(self._apply)
        self._apply()

    @property
    def replaying(self) -> bool:
        return self._live.state.mode is Mode.REPLAY

    def setEnabled(self, enabled: bool) -> None:  # Qt's name: the panels' own calls land here
        self._wanted = bool(enabled)
        self._apply()

    def _apply(self, *_mode: object) -> None:
        from controlroom.qt.replay_clock import replay_reason

        replay = self.replaying
        super().setEnabled(self._wanted and not replay)
        self.setToolTip(replay_reason() if replay else "")


def add_action_buttons(
    owner: QWidget, actions: Sequence[ActionSpec], *, live: LiveCity | None = None, world: Iterable[str] = ()
) -> dict[str, QPushButton]:
    """One button per action in its row, its shortcut live while focus is anywhere in ``owner``.

    Actions named in ``world`` change the world: with ``live`` they are off (button and
    shortcut) while the clock is in the past."""
    buttons: dict[str, QPushButton] = {}
    world = set(world)
    for key, text, shortcut, slot, row in actions:
        btn: QPushButton
        if live is not None and key in world:
            btn = WorldButton(text, live)
            slot = _unless_replaying(btn, slot)
        else:
            btn = QPushButton(text)
        btn.clicked.connect(slot)
        row.addWidget(btn)
        buttons[key] = btn
        sc = QShortcut(QKeySequence(shortcut), owner)
        sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        sc.activated.connect(slot)
    return buttons


def _unless_replaying(button: WorldButton, slot: Callable[[], object]) -> Callable[[], object]:
    """The shortcut too does nothing in the past (the button's tooltip says why)."""

    def run() -> object:
        return None if button.replaying else slot()

    return run
