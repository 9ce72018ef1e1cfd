"""The dispatch client of one app instance, wired to the live state's desk; its signals on the GUI thread.

The client calls its listener on its own thread; the desk's ``live.desk.DeskListener`` posts each
report through the live city's one hand-over (``qt.gui_thread.GuiHandover``), so the desk
(``live.state.desk``, Qt-free) takes the gateway's words on the GUI thread and announces them
through the state (``LiveCity`` turns those into signals). No code of this module runs per report:
the bridge owns the client's and the gateway feed's lifetimes, and its signals are the live
city's, forwarded (Qt connects signal to signal).

The bridge starts (and reads the gateway's state) before any panel exists and panels open and
close while the app runs; the rows are the desk's, so a panel seeds itself from them and then
follows the live city's desk signals. ``sig_order_answered`` and ``sig_event_applied`` are for the
alarm sync and the panel's order feedback.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from controlroom.dispatch.client import DispatchClient, open_desk_client
from controlroom.live.desk import DeskListener

if TYPE_CHECKING:
    from controlroom.feed.subscriber import FeedSubscriber
    from controlroom.qt.live import LiveCity

log = logging.getLogger(__name__)


class DispatchBridge(QObject):
    """Signals on the GUI thread, each after the desk took what it carries (the live city's)."""

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
        listener = DeskListener(self.desk, live.handover.post)
        self.client = client or open_desk_client(live.site, listener)
        self.client.listener = listener
        self.desk.attach(self.client)
        self._gateway_feed: FeedSubscriber | None = None
        live.sig_assignment.connect(self.sig_assignment)
        live.sig_order_answered.connect(self.sig_order_answered)
        live.sig_gateway_event.connect(self.sig_event_applied)
        live.sig_dispatch_link.connect(self.sig_link)
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
