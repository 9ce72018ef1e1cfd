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
    from controlroom.app.map_overlays import draw_instance_layers
    from controlroom.panels.map3d import MapPanel

    panel = MapPanel()
    panel.attach_live(live)  # the feed's layers come from the overlay registry once the feed runs
    draw_instance_layers(panel, live)  # cameras, alarms, dispatch route, flood (app.map_overlays)
    return panel


def _object_info(live: LiveCity) -> QWidget:
    from controlroom.panels.object_info import ObjectInfoPanel

    panel = ObjectInfoPanel()
    live.sig_object_selected.connect(panel.show_object)
    return panel


def _video_grid(live: LiveCity) -> QWidget:
    from controlroom.app.camera_wiring import make_video_grid

    return make_video_grid(live)


def _kpi(live: LiveCity) -> QWidget:
    from controlroom.panels.kpi import KpiPanel

    panel = KpiPanel(live.site.metrics, live.clock)
    panel.attach_live(live)
    return panel


def _feed_status(live: LiveCity) -> QWidget:
    from controlroom.panels.feed_status import FeedStatusPanel

    panel = FeedStatusPanel()
    panel.attach_live(live)
    return panel


def _briefing(live: LiveCity) -> QWidget:
    from controlroom.panels.briefing import BriefingPanel

    return BriefingPanel(live)


def _status(live: LiveCity) -> QWidget:
    from controlroom.panels.status_strip import StatusStrip

    return StatusStrip(live)


def _incidents(live: LiveCity) -> QWidget:
    from controlroom.panels.incidents import IncidentsPanel

    return IncidentsPanel(live)  # the instance's dispatch client stops with ``live.stop()``


def _alarms(live: LiveCity) -> QWidget:
    from controlroom.panels.alarms import AlarmsPanel

    return AlarmsPanel(live)


def _flood(live: LiveCity) -> QWidget:
    from controlroom.app.flood_wiring import make_flood_panel

    return make_flood_panel(live)


MAKERS: dict[str, PanelMaker] = {
    "status": _status,
    "map3d": _map3d,
    "object_info": _object_info,
    "video_grid": _video_grid,
    "briefing": _briefing,
    "kpi": _kpi,
    "feed_status": _feed_status,
    "incidents": _incidents,
    "alarms": _alarms,
    "flood": _flood,
}


def make_panel(panel_id: str, live: LiveCity) -> QWidget:
    """Build one panel (``qt.panel_contract``: its id checked, released when ``live`` stops);
    ``KeyError`` when this build has no such panel."""
    from controlroom.qt.panel_contract import bind_panel

    maker = MAKERS[panel_id]
    return bind_panel(maker(live), panel_id, live)


def panel_factory(live: LiveCity) -> Callable[[str], QWidget]:
    """The ``WallManager`` factory bound to one live city."""
    return lambda panel_id: make_panel(panel_id, live)
