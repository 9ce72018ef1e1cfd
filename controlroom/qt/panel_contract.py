"""What a panel is, for the app and the wall: an id, a title, and a release of what it holds.

Panels are built by ``app.panel_factory`` with the instance's ``LiveCity`` (the live state's Qt
face) and are handed back through ``bind_panel``, which checks the id the layout asked for and
releases the panel when the instance stops (its timers, players and threads), so the factory has
no per-panel shutdown wiring. Panels inherit ``LivePanel`` and override what they need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from controlroom.qt.strings import panel_title

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from controlroom.qt.live import LiveCity


class LivePanel:
    """Mixin every panel widget inherits (before ``QWidget``): id, title, release."""

    #: The panel id layouts name (``layouts.spec.PANEL_IDS``).
    panel_id: ClassVar[str] = ""

    def panel_title(self) -> str:
        """The panel's title in the operator's language (the wall's frame and the desk's dock)."""
        return panel_title(self.panel_id)

    def release(self) -> None:
        """Stop what the panel holds (timers, players, threads); called once when the instance stops."""


class PanelContractError(TypeError):
    pass


def bind_panel(panel: QWidget, panel_id: str, live: LiveCity) -> QWidget:
    """Check a freshly built panel against the contract and release it when ``live`` stops."""
    if not isinstance(panel, LivePanel):
        raise PanelContractError(f"panel '{panel_id}': {type(panel).__name__} does not inherit LivePanel")
    if panel.panel_id != panel_id:
        raise PanelContractError(
            f"panel '{panel_id}': {type(panel).__name__} declares panel_id '{panel.panel_id}'"
        )
    live.sig_stopped.connect(panel.release)
    return panel
