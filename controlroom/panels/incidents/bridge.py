"""The dispatch client's thread → the GUI thread: one QObject whose signals carry its callbacks.

The client calls its listener on its own thread; these signals are connected with
``Qt.QueuedConnection`` by the panel, so every slot runs on the GUI thread (the one documented
hop). The bridge also owns the client's and the gateway feed's lifetimes for one ``LiveCity``.

The bridge starts (and reads the gateway's state) before any panel exists, and panels open and
close while the app runs, so it keeps the gateway's latest row per incident and per unit: a
panel seeds itself from those and then follows ``sig_state_applied``/``sig_event_applied``
(emitted on the GUI thread *after* the rows are updated), so no panel misses the state read.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from controlroom.dispatch.client import DispatchClient, DispatchListener, open_desk_client

if TYPE_CHECKING:
    from controlroom.dispatch import wire
    from controlroom.dispatch.outbox import OrderEntry
    from controlroom.feed.subscriber import FeedSubscriber
    from controlroom.qt.live import LiveCity

log = logging.getLogger(__name__)


class _Forward(DispatchListener):
    def __init__(self, bridge: DispatchBridge) -> None:
        self.bridge = bridge

    def on_order(self, entry: OrderEntry) -> None:
        self.bridge.sig_order_answered.emit(entry)

    def on_state(self, state: dict[str, Any]) -> None:
        self.bridge.sig_state_read.emit(state)

    def on_event(self, event: wire.Event) -> None:
        self.bridge.sig_event_received.emit(event)

    def on_result(self, query_id: str, reply: wire.Reply) -> None:
        self.bridge.sig_result_received.emit(query_id, reply)

    def on_link(self, problem: str) -> None:
        self.bridge.sig_link.emit(problem)


class DispatchBridge(QObject):
    sig_order_answered = Signal(object)  # OrderEntry
    sig_state_read = Signal(object)  # dict: epoch, seq, incidents, units
    sig_event_received = Signal(object)  # wire.Event
    sig_result_received = Signal(str, object)  # query id, wire.Reply
    #: Why the gateway does not answer this desk ("" once it does again); client thread.
    sig_link = Signal(str)
    #: A unit's assignment changed (GUI thread): incident id ("" once released), unit id.
    sig_assignment = Signal(str, str)
    #: GUI thread, after ``incident_rows``/``unit_rows`` took a state read / an event.
    sig_state_applied = Signal(object)  # dict: epoch, seq, incidents, units
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
        self._endpoints = (publish_endpoint, snapshot_endpoint)
        self.client = client or open_desk_client(live.site, _Forward(self))
        self.client.listener = _Forward(self)
        self._gateway_feed: FeedSubscriber | None = None
        #: The gateway's latest row per unit (id, kind, status, incident_id, lon, lat …), kept on
        #: the GUI thread so the map can draw an assigned unit's route without a panel open.
        self.unit_rows: dict[str, dict[str, Any]] = {}
        #: The gateway's latest row per open incident (admin chain, department, status …).
        self.incident_rows: dict[str, dict[str, Any]] = {}
        q = Qt.ConnectionType.QueuedConnection
        self.sig_state_read.connect(self._on_state, q)
        self.sig_event_received.connect(self._on_event, q)
        live.sig_feed_started.connect(self._on_live_feed_started)

    @classmethod
    def for_live(cls, live: LiveCity) -> DispatchBridge:
        """The one started bridge of this app instance (every incidents panel on every screen
        shares its client, outbox and gateway subscription); it lives as long as ``live``."""
        bridge = live.findChild(DispatchBridge)
        if bridge is None:
            bridge = cls(live, parent=live).start()
            client = bridge.client  # not a QObject: still reachable when ``live`` is destroyed
            live.destroyed.connect(lambda *_: client.close())
        return bridge

    def units_on(self, incident_id: str) -> list[str]:
        """The units the gateway has assigned to this incident (dispatched, en route, on scene)."""
        return sorted(
            uid
            for uid, row in self.unit_rows.items()
            if incident_id and row.get("incident_id") == incident_id
        )

    @Slot(object)
    def _on_state(self, state: dict[str, Any]) -> None:
        self.incident_rows = {str(i["id"]): i for i in state.get("incidents", [])}
        self._take_unit_rows(state.get("units", []), replace=True)
        self.sig_state_applied.emit(state)

    @Slot(object)
    def _on_event(self, event: wire.Event) -> None:
        if event.incident:
            self.incident_rows[str(event.incident["id"])] = event.incident
        self._take_unit_rows(event.units, replace=False)
        self.sig_event_applied.emit(event)

    def _take_unit_rows(self, rows: list[dict[str, Any]], replace: bool) -> None:
        before = {uid: str(row.get("incident_id") or "") for uid, row in self.unit_rows.items()}
        if replace:
            self.unit_rows = {}
        for row in rows:
            self.unit_rows[str(row["id"])] = row
        for uid, row in self.unit_rows.items():
            now = str(row.get("incident_id") or "")
            if before.get(uid, "") != now:
                self.sig_assignment.emit(now, uid)

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
