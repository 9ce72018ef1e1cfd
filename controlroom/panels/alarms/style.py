"""How an alarm reads on the wall: priority colours, translated labels, the forecast line."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication

if TYPE_CHECKING:
    from controlroom.core.alarms.lifecycle import Alarm

PRIORITY_COLOURS = {"critical": "#ff2d55", "high": "#ff8a1f", "medium": "#facc15", "low": "#60a5fa"}
PREDICTED_COLOUR = "#22d3ee"  # cool cyan: "not yet", distinct from every priority colour
MUTED = "#8596a8"
CTX = "AlarmsPanel"


def tr(text: str) -> str:
    return QCoreApplication.translate(CTX, text)


def priority_name(priority: str) -> str:
    names = {"critical": tr("Critical"), "high": tr("High"), "medium": tr("Medium"), "low": tr("Low")}
    return names.get(priority, priority)


def state_name(alarm: Alarm) -> str:
    if alarm.predicted and alarm.active:
        return tr("Forecast")
    names = {
        "new": tr("New"),
        "acknowledged": tr("Acknowledged"),
        "in_progress": tr("In progress"),
        "cleared": tr("Cleared"),
        "closed": tr("Closed"),
    }
    return names.get(alarm.state, alarm.state)


def priority_label(alarm: Alarm) -> str:
    """'CRITICAL' or 'FORECAST · HIGH': the banner's badge."""
    name = priority_name(alarm.priority).upper()
    return f"{tr('FORECAST')} · {name}" if alarm.predicted else name


def forecast_text(alarm: Alarm, now: float) -> str:
    """'forecast: crossing in 12 min ± 3' counted down from the forecast's time."""
    if not math.isfinite(alarm.eta_s):
        return tr("forecast: crossing expected")
    left_min = max(0.0, alarm.raised_at + alarm.eta_s - now) / 60.0
    spread = (
        (alarm.eta_hi_s - alarm.eta_lo_s) / 120.0
        if math.isfinite(alarm.eta_lo_s) and math.isfinite(alarm.eta_hi_s)
        else math.nan
    )
    if math.isfinite(spread):
        return tr("forecast: crossing in {0:.0f} min ± {1:.0f}").format(left_min, max(1.0, spread))
    return tr("forecast: crossing in {0:.0f} min").format(left_min)
