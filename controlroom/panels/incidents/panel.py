"""The dispatch desk: incident queue, detail with timeline, one-click "dispatch nearest", units.

The queue is the live incident board (``live.incidents``: the feed and the gateway's records,
the same picture the map shows), enriched with what only the gateway knows (admin chain,
department, assigned units, timeline) from the dispatch client's state and events. Orders go
through the client's durable outbox; the strip at the bottom shows each one pending,
acknowledged or refused (with the gateway's reason). A refused order stays listed until the
operator retries it (sent again as a new order) or drops it; when the gateway does not answer
this desk, a line says why (gateway down, this desk's key refused …). Keys: A acknowledge, D dispatch nearest,
E en route, S on scene, R resolve, X close, C cameras around, Ctrl+F filter.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from controlroom.core.protocol import INCIDENT_TYPES
from controlroom.panels.incidents.bridge import DispatchBridge
from controlroom.panels.incidents.tables import IncidentQueue, UnitBoard, age_text
from controlroom.qt.action_buttons import ActionSpec, add_action_buttons

if TYPE_CHECKING:
    from controlroom.dispatch import wire
    from controlroom.dispatch.outbox import OrderEntry
    from controlroom.qt.live import LiveCity

BODY_POINT_SIZE = 15
#: An order's state in the strip (refused ones the operator retried or dropped included).
_MARKS = {"pending": "…", "acknowledged": "✓", "refused": "✗", "retried": "↻", "dropped": "–"}


class IncidentsPanel(QWidget):
    panel_id: ClassVar[str] = "incidents"

    def __init__(
        self, live: LiveCity, bridge: DispatchBridge | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Incidents and dispatch"))
        self.live = live
        self.bridge = bridge or DispatchBridge.for_live(live)
        self.client = self.bridge.client
        self.details: dict[str, dict[str, Any]] = {}  # gateway view per incident id
        self.units: dict[str, dict[str, Any]] = {}
        self.selected: str | None = None
        self.suggestions: list[dict[str, Any]] = []
        self._suggest_query: str | None = None
        self._detail_query: str | None = None
        self._dispatch_when_suggested = False
        font = QFont(self.font())
        font.setPointSize(BODY_POINT_SIZE)
        self.setFont(font)
        self._build()
        q = Qt.ConnectionType.QueuedConnection
        b = self.bridge
        b.sig_order_answered.connect(self._on_order_answered, q)
        # The bridge's GUI-thread signals, not the client's: the bridge usually read the gateway's
        # state before this panel existed (the app starts it first; panels open later), so the
        # panel starts from the bridge's rows and then follows what the bridge applies.
        b.sig_state_applied.connect(self._on_state_read)
        b.sig_event_applied.connect(self._on_event_received)
        b.sig_result_received.connect(self._on_result_received, q)
        b.sig_link.connect(self._on_link, q)
        live.sig_tick.connect(self._on_live_tick)
        live.sig_create_incident.connect(self._on_create_requested)
        live.sig_incident_selected.connect(self._on_incident_selected)
        self.details = dict(b.incident_rows)
        self.units = dict(b.unit_rows)
        if self.units:
            self.unit_board.show_units(list(self.units.values()))
        self.refresh_queue()
        self._show_refused()  # refused orders of an earlier session still wait for the operator
        self._on_link(self.client.link_problem)

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.sort = QComboBox()
        self.sort.addItem(self.tr("Most severe first"), "severity")
        self.sort.addItem(self.tr("Oldest first"), "age")
        self.district = QComboBox()
        self.district.addItem(self.tr("All districts"), "")
        self.type_filter = QComboBox()
        self.type_filter.addItem(self.tr("All types"), "")
        for t in INCIDENT_TYPES:
            self.type_filter.addItem(t.replace("_", " "), t)
        for combo in (self.sort, self.district, self.type_filter):
            combo.currentIndexChanged.connect(self.refresh_queue)
        filters = QHBoxLayout()
        for w in (self.sort, self.district, self.type_filter):
            filters.addWidget(w)
        self.queue = IncidentQueue(self)
        self.queue.itemSelectionChanged.connect(self._on_queue_selection)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addLayout(filters)
        lv.addWidget(self.queue)

        self.title = QLabel(self.tr("No incident selected"))
        tf = QFont(self.font())
        tf.setPointSize(BODY_POINT_SIZE + 5)
        tf.setBold(True)
        self.title.setFont(tf)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.alternatives = QListWidget()
        self.alternatives.itemActivated.connect(self._on_alternative_activated)
        self.timeline = QListWidget()
        row1, row2 = QHBoxLayout(), QHBoxLayout()
        actions: list[ActionSpec] = [
            ("dispatch", self.tr("Dispatch nearest (D)"), "D", self.dispatch_nearest, row1),
            ("acknowledge", self.tr("Acknowledge (A)"), "A", lambda: self._order("acknowledge"), row1),
            ("cameras", self.tr("Cameras around (C)"), "C", self.cameras_around, row1),
            ("en_route", self.tr("En route (E)"), "E", lambda: self._unit_status("en_route"), row2),
            ("on_scene", self.tr("On scene (S)"), "S", lambda: self._unit_status("on_scene"), row2),
            ("resolve", self.tr("Resolve (R)"), "R", lambda: self._order("resolve"), row2),
            ("close", self.tr("Close (X)"), "X", lambda: self._order("close"), row2),
        ]
        self.buttons: dict[str, QPushButton] = add_action_buttons(self, actions)
        self.comment = QLineEdit()
        self.comment.setPlaceholderText(self.tr("Comment (Enter to add; a reason is needed to cancel)"))
        self.comment.returnPressed.connect(lambda: self._order("comment", text=self.comment.text()))
        cancel = QPushButton(self.tr("Cancel incident"))
        cancel.clicked.connect(lambda: self._order("cancel", text=self.comment.text()))
        self.buttons["cancel"] = cancel
        crow = QHBoxLayout()
        crow.addWidget(self.comment, 1)
        crow.addWidget(cancel)
        find = QShortcut(QKeySequence("Ctrl+F"), self)
        find.activated.connect(self.district.setFocus)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.addWidget(self.title)
        rv.addWidget(self.detail)
        rv.addLayout(row1)
        rv.addWidget(QLabel(self.tr("Nearest suitable units (double-click to dispatch)")))
        rv.addWidget(self.alternatives, 1)
        rv.addLayout(row2)
        rv.addLayout(crow)
        rv.addWidget(QLabel(self.tr("Timeline")))
        rv.addWidget(self.timeline, 1)

        self.unit_board = UnitBoard(self)
        self.orders = QLabel("")
        self.orders.setWordWrap(True)
        self.link = QLabel("")
        self.link.setWordWrap(True)
        self.link.setStyleSheet("color: #ff6b6b; font-weight: bold;")
        self.link.hide()
        self.refused = QListWidget()
        self.refused.setMaximumHeight(110)
        self.refused.itemSelectionChanged.connect(self._update_refused_buttons)
        self.retry_button = QPushButton(self.tr("Retry order"))
        self.retry_button.clicked.connect(self.retry_refused)
        self.drop_button = QPushButton(self.tr("Drop order"))
        self.drop_button.clicked.connect(self.drop_refused)
        self.refused_title = QLabel(self.tr("Refused orders: select one, then retry or drop it"))
        refused_buttons = QVBoxLayout()
        refused_buttons.addWidget(self.retry_button)
        refused_buttons.addWidget(self.drop_button)
        refused_buttons.addStretch(1)
        refused_row = QHBoxLayout()
        refused_row.addWidget(self.refused, 1)
        refused_row.addLayout(refused_buttons)
        self.refused_box = QWidget()
        rb = QVBoxLayout(self.refused_box)
        rb.setContentsMargins(0, 0, 0, 0)
        rb.addWidget(self.refused_title)
        rb.addLayout(refused_row)
        self.refused_box.hide()
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(left)
        top.addWidget(right)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)
        outer = QSplitter(Qt.Orientation.Vertical)
        outer.addWidget(top)
        outer.addWidget(self.unit_board)
        outer.setStretchFactor(0, 3)
        outer.setStretchFactor(1, 1)
        lay = QVBoxLayout(self)
        lay.addWidget(outer, 1)
        lay.addWidget(self.link)
        lay.addWidget(self.orders)
        lay.addWidget(self.refused_box)
        self._update_buttons()
        self._update_refused_buttons()

    def title_text(self) -> str:
        return self.tr("Incidents and dispatch")

    # ------------------------------------------------------------------ queue
    @Slot()
    def refresh_queue(self) -> None:
        board = self.live.incidents
        items = board.open() if board is not None else []
        district, kind = self.district.currentData(), self.type_filter.currentData()
        if district:
            items = [i for i in items if self.details.get(i.id, {}).get("district") == district]
        if kind:
            items = [i for i in items if i.type == kind]
        if self.sort.currentData() == "age":
            items.sort(key=lambda i: i.raised_at)
        self.queue.show_incidents(items, self.details, self.live.clock(), self.selected)
        self._update_districts()

    def _update_districts(self) -> None:
        names = sorted({d.get("district") or "" for d in self.details.values()} - {""})
        have = {self.district.itemData(i) for i in range(self.district.count())}
        for n in names:
            if n not in have:
                self.district.addItem(n, n)

    @Slot(object)
    def _on_live_tick(self, change: Any) -> None:
        if change.incidents_updated or change.new_incidents:
            self.refresh_queue()

    @Slot()
    def _on_queue_selection(self) -> None:
        incident_id = self.queue.selected_id()
        if incident_id and incident_id != self.selected:
            self.select(incident_id, announce=True)

    @Slot(str)
    def _on_incident_selected(self, incident_id: str) -> None:
        if incident_id != self.selected:
            self.select(incident_id, announce=False)

    def select(self, incident_id: str, announce: bool = True) -> None:
        """Show an incident; ``announce``: tell the other panels (map flies there, highlights it)."""
        self.selected = incident_id
        self.suggestions = []
        self.alternatives.clear()
        board = self.live.incidents
        state = board.get(incident_id) if board is not None else None
        if announce:
            self.live.select_incident(incident_id)
            if state is not None:
                self.live.request_focus(state.x, state.y, 600.0, incident_id)
        self._detail_query = self.client.query("incident", id=incident_id)
        self._suggest_query = self.client.query("suggest", id=incident_id)
        self.queue.select_id(incident_id)
        self._show_detail()

    # ------------------------------------------------------------------ detail
    def _show_detail(self) -> None:
        inc_id = self.selected
        if inc_id is None:
            return
        board = self.live.incidents
        state = board.get(inc_id) if board is not None else None
        d = self.details.get(inc_id, {})
        kind = (d.get("type") or (state.type if state else "")).replace("_", " ")
        status = d.get("status") or (state.status if state else "")
        self.title.setText(f"{kind} — {status}   [{inc_id}]")
        chain = " › ".join(x for x in (d.get("city"), d.get("district"), d.get("street"), d.get("grid")) if x)
        on_it = [u for u in self.units.values() if u.get("incident_id") == inc_id]
        rows = [
            (self.tr("Severity"), str(d.get("severity") or (state.severity if state else ""))),
            (
                self.tr("Raised"),
                age_text(self.live.clock() - (d.get("raised_at") or (state.raised_at if state else 0))),
            ),
            (self.tr("Where"), chain or self.tr("(not routed yet)")),
            (self.tr("Department"), d.get("department") or "—"),
            (self.tr("Location"), f"{d['lon']:.5f}, {d['lat']:.5f}" if "lon" in d else "—"),
            (self.tr("Units"), ", ".join(f"{u['id']} ({u['status']})" for u in on_it) or "—"),
            (self.tr("Report"), d.get("text") or (state.text if state else "")),
        ]
        self.detail.setText(
            "<table>"
            + "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{v}</td></tr>" for k, v in rows)
            + "</table>"
        )
        self._update_buttons()

    def _show_timeline(self, timeline: list[dict[str, Any]]) -> None:
        self.timeline.clear()
        for t in timeline:
            stamp = time.strftime("%H:%M:%S", time.localtime(t["at"]))
            extra = t.get("detail") or {}
            what = t["kind"] + (f" {t['unit_id']}" if t.get("unit_id") else "")
            if extra.get("status"):
                what += f" → {extra['status']}"
            if extra.get("text"):
                what += f": {extra['text']}"
            self.timeline.addItem(f"{stamp}  {t['user']}@{t['desk']}  {what}")

    def _update_buttons(self) -> None:
        st = self.details.get(self.selected or "", {}).get("status")
        has = self.selected is not None
        self.buttons["dispatch"].setEnabled(
            has and st in (None, "new", "acknowledged", "dispatched", "on_scene")
        )
        self.buttons["acknowledge"].setEnabled(has and st in (None, "new"))
        self.buttons["resolve"].setEnabled(has and st in ("acknowledged", "dispatched", "on_scene"))
        self.buttons["close"].setEnabled(has and st == "resolved")
        for k in ("en_route", "on_scene"):
            self.buttons[k].setEnabled(has and st in ("dispatched", "on_scene"))
        self.buttons["cameras"].setEnabled(has)
        self.buttons["cancel"].setEnabled(
            has and st in (None, "new", "acknowledged", "dispatched", "on_scene")
        )

    # ------------------------------------------------------------------ actions
    def _order(self, kind: str, **fields: Any) -> OrderEntry | None:
        if self.selected is None:
            return None
        entry = self.client.order(kind, incident_id=self.selected, **fields)
        if kind == "comment":
            self.comment.clear()
        self._show_orders()
        return entry

    def _unit_status(self, status: str) -> None:
        on_it = sorted(u["id"] for u in self.units.values() if u.get("incident_id") == self.selected)
        if on_it:
            self._order("unit_status", unit_id=on_it[0], status=status)

    @Slot()
    def dispatch_nearest(self) -> None:
        """One click: the nearest available suitable unit (asks the gateway first if needed)."""
        if self.selected is None:
            return
        if self.suggestions:
            self._order("assign", unit_id=self.suggestions[0]["unit_id"])
        else:
            self._dispatch_when_suggested = True
            self._suggest_query = self.client.query("suggest", id=self.selected)

    @Slot(QListWidgetItem)
    def _on_alternative_activated(self, item: QListWidgetItem) -> None:
        self._order("assign", unit_id=item.data(Qt.ItemDataRole.UserRole))

    @Slot()
    def cameras_around(self) -> None:
        board = self.live.incidents
        state = board.get(self.selected) if board is not None and self.selected else None
        if state is not None:
            self.live.request_cameras_around(state.x, state.y, self.tr("Around {0}").format(state.id))

    @Slot(object)
    def _on_create_requested(self, fields: dict[str, Any]) -> None:
        """An alarm turned into an incident (``live.request_incident``): create it at the gateway."""
        from controlroom.dispatch.client import new_command_id

        if self.live.frame is None:
            return
        lon, lat = self.live.frame.to_wgs84([float(fields["x"])], [float(fields["y"])])
        self.client.order(
            "create",
            incident_id=str(fields.get("id") or f"ALM-{new_command_id()[:10]}"),
            type=str(fields.get("type", "")),
            severity=int(str(fields.get("severity", 2))),
            lon=float(lon[0]),
            lat=float(lat[0]),
            text=str(fields.get("text", "")),
            camera_ids=[str(c) for c in list(fields.get("camera_ids") or [])],
        )
        self._show_orders()

    # ------------------------------------------------------------------ gateway answers
    @Slot(object)
    def _on_order_answered(self, entry: OrderEntry) -> None:
        self._show_orders()
        if entry.state == "refused" and entry.kind == "assign" and entry.incident_id == self.selected:
            self._suggest_query = self.client.query("suggest", id=entry.incident_id)

    def _show_orders(self) -> None:
        if self.client.outbox.closed:
            return  # an answer still queued when the app shut the client down
        recent = self.client.outbox.entries(limit=4)
        counts = self.client.outbox.counts()
        parts = [self.tr("Orders: {0} pending").format(counts["pending"])]
        for e in recent:
            mark = _MARKS.get(e.state, "?")
            parts.append(
                f"{mark} {e.kind} {e.unit_id or e.incident_id}" + (f" — {e.reason}" if e.reason else "")
            )
        self.orders.setText("   ".join(parts))
        self._show_refused()

    def _show_refused(self) -> None:
        """Refused orders wait here for the operator: retry (a new order) or drop."""
        if self.client.outbox.closed:
            return
        keep = self._refused_selected()
        self.refused.clear()
        for e in self.client.outbox.entries(state="refused", limit=50):
            item = QListWidgetItem(f"✗ {e.kind} {e.unit_id or e.incident_id} — {e.reason}")
            item.setData(Qt.ItemDataRole.UserRole, e.command_id)
            self.refused.addItem(item)
            if e.command_id == keep:
                item.setSelected(True)
        self.refused_box.setVisible(self.refused.count() > 0)
        self._update_refused_buttons()

    def _refused_selected(self) -> str | None:
        items = self.refused.selectedItems()
        return str(items[0].data(Qt.ItemDataRole.UserRole)) if items else None

    @Slot()
    def _update_refused_buttons(self) -> None:
        has = self._refused_selected() is not None
        self.retry_button.setEnabled(has)
        self.drop_button.setEnabled(has)

    @Slot()
    def retry_refused(self) -> None:
        """Send the selected refused order again, as a new order at the end of the queue."""
        command_id = self._refused_selected()
        if command_id is not None:
            self._settle_refused(lambda: self.client.retry(command_id))

    @Slot()
    def drop_refused(self) -> None:
        command_id = self._refused_selected()
        if command_id is not None:
            self._settle_refused(lambda: self.client.drop(command_id))

    def _settle_refused(self, act: Any) -> None:
        try:
            act()
        except ValueError as exc:  # another window of this desk dealt with it first
            self.orders.setText(str(exc))
            self._show_refused()
            return
        self._show_orders()

    @Slot(str)
    def _on_link(self, problem: str) -> None:
        self.link.setText(self.tr("Gateway link: {0}").format(problem) if problem else "")
        self.link.setVisible(bool(problem))

    @Slot(object)
    def _on_state_read(self, state: dict[str, Any]) -> None:
        self.details = {i["id"]: i for i in state.get("incidents", [])}
        self.units = {u["id"]: u for u in state.get("units", [])}
        self.unit_board.show_units(list(self.units.values()))
        self.refresh_queue()
        self._show_detail()

    @Slot(object)
    def _on_event_received(self, event: wire.Event) -> None:
        if event.incident:
            self.details[event.incident["id"]] = event.incident
        for u in event.units:
            self.units[u["id"]] = u
        if event.units:
            self.unit_board.show_units(list(self.units.values()))
        if event.incident and event.incident["id"] == self.selected:
            self._show_detail()
            self._detail_query = self.client.query("incident", id=self.selected)
            self._suggest_query = self.client.query("suggest", id=self.selected)  # units moved on
        self.refresh_queue()

    @Slot(str, object)
    def _on_result_received(self, query_id: str, reply: wire.Reply) -> None:
        if query_id == self._detail_query and reply.ok:
            inc = reply.result["incident"]
            self.details[inc["id"]] = inc
            if inc["id"] == self.selected:
                self._show_timeline(reply.result.get("timeline", []))
                self._show_detail()
        elif query_id == self._suggest_query:
            self.suggestions = list(reply.result.get("units", [])) if reply.ok else []
            self.alternatives.clear()
            for c in self.suggestions:
                item = QListWidgetItem(f"{c['unit_id']}  {c['name']}  {c['kind']}  {c['distance_m']:.0f} m")
                item.setData(Qt.ItemDataRole.UserRole, c["unit_id"])
                self.alternatives.addItem(item)
            if self._dispatch_when_suggested:
                self._dispatch_when_suggested = False
                if self.suggestions:
                    self._order("assign", unit_id=self.suggestions[0]["unit_id"])

    def shutdown(self) -> None:
        """Stop the client thread and the gateway subscription (the app calls this at exit)."""
        self.bridge.shutdown()
