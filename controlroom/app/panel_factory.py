"""Panel id → widget, for the single-window app and for wall layouts alike.

Every panel is built against the instance's one ``LiveCity`` (shared state and operator
intents), so a panel on the wall and one on the desk show the same picture. A panel this build
does not have yet raises ``KeyError`` and the wall shows a labelled placeholder instead.
Each issue's panels register here; keep one small maker function per panel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from controlroom.qt.live import LiveCity

PanelMaker = Callable[["LiveCity"], "QWidget"]


def _map3d(live: LiveCity) -> QWidget:
    from controlroom.panels.map3d import MapPanel

    panel = MapPanel()
    panel.attach_live(live)
    return panel


def _object_info(live: LiveCity) -> QWidget:
    from controlroom.panels.object_info import ObjectInfoPanel

    return ObjectInfoPanel()


MAKERS: dict[str, PanelMaker] = {
    "map3d": _map3d,
    "object_info": _object_info,
}


def make_panel(panel_id: str, live: LiveCity) -> QWidget:
    """Build one panel; ``KeyError`` when this build has no such panel."""
    maker = MAKERS[panel_id]
    return maker(live)


def panel_factory(live: LiveCity) -> Callable[[str], QWidget]:
    """The ``WallManager`` factory bound to one live city."""
    return lambda panel_id: make_panel(panel_id, live)
