"""The alarms panel (issue 9): banner, sortable alarm list, procedure and one-key actions."""

from controlroom.panels.alarms.panel import AlarmsPanel

__all__ = ["AlarmsPanel"]
