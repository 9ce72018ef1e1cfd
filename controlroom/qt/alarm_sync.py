"""Qt glue between an ``AlarmService`` and the app's dispatch client (``dispatch.alarm_desk``).

The client reports on its own thread; its bridge (``qt.dispatch_bridge``) has already handed
each report to the GUI thread (``qt.gui_thread``), so the link's slots, and every book change,
run on the GUI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Slot

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from controlroom.dispatch.alarm_desk import AlarmDesk
    from controlroom.dispatch.client import DispatchClient
    from controlroom.qt.alarm_service import AlarmService


class AlarmGatewayLink(QObject):
    """Sends the service's operator actions through the gateway and applies what it publishes."""

    def __init__(self, service: AlarmService, client: DispatchClient) -> None:
        super().__init__(service)
        self.service = service
        self.client = client
        self.desk: AlarmDesk | None = None
        service.sig_ready.connect(self._on_service_ready)
        self._on_service_ready()

    @Slot()
    def _on_service_ready(self) -> None:
        from controlroom.dispatch.alarm_desk import AlarmDesk

        if self.desk is None and self.service.book is not None:
            self.desk = AlarmDesk(self.service.book, self.client)

    @Slot(object)
    def on_event(self, event: Any) -> None:
        if event.alarm is not None and self.desk is not None:
            self.desk.apply(event.alarm)

    @Slot(object)
    def on_order(self, entry: Any) -> None:
        refused = self.desk.refused(entry) if self.desk is not None else None
        if refused:
            self.service.sig_action_refused.emit(*refused)


def link_alarms_to_gateway(
    service: AlarmService, client: DispatchClient, events: SignalInstance, orders: SignalInstance
) -> AlarmGatewayLink:
    """Route ``service``'s alarm actions through ``client``; ``events``/``orders`` are the client
    bridge's ``sig_event_applied``/``sig_order_answered`` (emitted on the GUI thread)."""
    link = AlarmGatewayLink(service, client)
    events.connect(link.on_event)
    orders.connect(link.on_order)
    service.gateway = link
    return link
