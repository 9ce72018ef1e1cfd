"""Open alarms on the map: they flash at their place; a click selects the alarm everywhere."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from controlroom.qt.alarm_service import AlarmService
    from controlroom.render.overlays.registry import DrawContext, Drawn


def alarm_layer(service: AlarmService, ctx: DrawContext) -> Drawn:
    from PySide6.QtCore import QCoreApplication

    from controlroom.render.overlays.alarms import AlarmOverlay
    from controlroom.render.overlays.registry import Drawn

    title = QCoreApplication.translate("AlarmLayer", "Alarms")
    return Drawn(AlarmOverlay(service.open_alarms, ctx.clock, title=title), service.select)
