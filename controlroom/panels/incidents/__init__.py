"""The dispatch desk panel (``incidents``): queue, detail, one-click dispatch, unit board."""

from controlroom.panels.incidents.bridge import DispatchBridge
from controlroom.panels.incidents.panel import IncidentsPanel

__all__ = ["DispatchBridge", "IncidentsPanel"]
