"""The dispatch client's thread → the GUI thread → the live state's desk, for one app instance.

The client calls its listener on its own thread; ``_Forward`` posts each call through the live
city's one hand-over (``qt.gui_thread.GuiHandover``), so the desk (``live.state.desk``, Qt-free)
takes the gateway's words on the GUI thread and announces them on the state's hub (``LiveCity``
turns those into signals). The bridge owns the client's and the gateway feed's lifetimes.

The bridge starts (and reads the gateway's state) before any panel exists and panels open and
close while the app runs; the rows are the desk's, so a panel seeds itself from them and then
follows the live city's desk signals. State reads and query answers go straight to the desk;
order answers and events also leave a bridge signal (``sig_order_answered``, ``sig_event_applied``)
for the alarm sync and the panel's order feedback.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from controlroom.dispatch.client import DispatchClient, DispatchListener, open_desk_client

if TYPE_CHECKING:
    from controlroom.dispatch import wire
    from controlroom.dispatch.outbox import OrderEntry
    from controlroom.feed.subscriber import FeedSubscriber
    from controlroom.qt.live import LiveCity

log = logging.getLogger(__name__)


class _Forward(DispatchListener):
    """Every callback of the client thread, posted to the GUI thread."""

    def __init__(self, bridge: DispatchBridge) -> None:
        self.bridge = bridge
        self.post = bridge.live.handover.post

    def on_order(self, entry: OrderEntry) -> None:
        self.post(self.bridge._on_order, entry)

    def on_state(self, state: dict[str, Any]) -> None:
        self.post(self.bridge.desk.take_state, state)

    def on_event(self, event: wire.Event) -> None:
        self.post(self.bridge._on_event, event)

    def on_result(self, query_id: str, reply: wire.Reply) -> None:
        self.post(self.bridge.desk.take_result, query_id, reply)

    def on_link(self, problem: str) -> None:
        self.post(self.bridge._on_link, problem)


class DispatchBridge(QObject):
    """Signals on the GUI thread, each after the desk took what it carries."""

    sig_order_answered = Signal(object)  # OrderEntry
    #: Why the gateway does not answer this desk ("" once it does again).
    sig_link = Signal(str)
    #: A unit's assignment changed: incident id ("" once released), unit id.
    sig_assignment = Signal(str, str)
    sig_event_applied = Signal(object)  # wire.Event

    def __init__(
        self,
        live: LiveCity,
        client: DispatchClient | None = None,
        parent: QObject | None = None,
        *,
        publish_endpoint: str | None = None,
        snapshot_endpoint: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.live = live
        self.desk = live.state.desk
        self._endpoints = (publish_endpoint, snapshot_endpoint)
        self.client = client or open_desk_client(live.site, _Forward(self))
        self.client.listener = _Forward(self)
        self.desk.attach(self.client)
        self._gateway_feed: FeedSubscriber | None = None
        live.sig_assignment.connect(self.sig_assignment)
        live.sig_feed_started.connect(self._on_live_feed_started)

    @classmethod
    def for_live(cls, live: LiveCity) -> DispatchBridge:
        """The one started bridge of this app instance (every incidents panel on every screen
        shares its client, outbox and gateway subscription); it lives as long as ``live``."""
        bridge = live.dispatch_bridge
        if bridge is None:
            bridge = cls(live, parent=live).start()
            live.dispatch_bridge = bridge
            client = bridge.client  # not a QObject: still reachable when ``live`` is destroyed
            live.destroyed.connect(lambda *_: client.close())
        return bridge

    @property
    def unit_rows(self) -> dict[str, dict[str, Any]]:
        """The gateway's latest row per unit (the desk's)."""
        return self.desk.unit_rows

    @property
    def incident_rows(self) -> dict[str, dict[str, Any]]:
        return self.desk.details

    def units_on(self, incident_id: str) -> list[str]:
        return self.desk.units_on(incident_id)

    # ------------------------------------------------------------------ GUI thread
    def _on_order(self, entry: OrderEntry) -> None:
        self.desk.take_order_answer(entry)
        self.sig_order_answered.emit(entry)

    def _on_event(self, event: wire.Event) -> None:
        self.desk.take_event(event)
        self.sig_event_applied.emit(event)

    def _on_link(self, problem: str) -> None:
        self.sig_link.emit(problem)

    # ------------------------------------------------------------------ lifetime
    def start(self) -> DispatchBridge:
        self.client.start()
        if self.live.feed is not None:
            self._on_live_feed_started()
        return self

    def _on_live_feed_started(self) -> None:
        """Feed the gateway's incident records into this instance's live picture (map, board)."""
        from controlroom.dispatch.board_feed import attach_gateway_feed

        if self._gateway_feed is not None:
            self._gateway_feed.stop()
            self._gateway_feed = None
        if self.live.feed is None:
            return
        try:
            pub, snap = self._endpoints
            self._gateway_feed = attach_gateway_feed(
                self.live.feed, self.live.site, endpoint=pub, snapshot_endpoint=snap
            )
        except Exception as exc:  # a key problem must not take the panel down; say why
            log.error("dispatch: gateway records not subscribed: %s", exc)

    def shutdown(self) -> None:
        """Stop the gateway subscription and the client thread (safe to call twice)."""
        if self._gateway_feed is not None:
            self._gateway_feed.stop()
            self._gateway_feed = None
        self.client.close()
