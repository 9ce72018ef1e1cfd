"""The dispatch desk panel (``incidents``): queue, detail, one-click dispatch, unit board."""

from controlroom.panels.incidents.panel import IncidentsPanel
from controlroom.qt.dispatch_bridge import DispatchBridge

__all__ = ["DispatchBridge", "IncidentsPanel"]
