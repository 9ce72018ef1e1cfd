"""The dispatch desk: incident queue, detail with timeline, one-click "dispatch nearest", units.

The queue is the live incident board (``live.incidents``: the feed and the gateway's records,
the same picture the map shows) merged with what only the gateway knows (admin chain,
department, assigned units, timeline) into the desk's typed rows (``live.desk``, Qt-free: it
also decides which actions are allowed and runs "dispatch nearest"); this panel renders them,
translating every code and escaping every text that came from outside. Orders go
through the client's durable outbox; the strip at the bottom shows each one pending,
acknowledged or refused (with the gateway's reason). A refused order stays listed until the
operator retries it (sent again as a new order) or drops it; when the gateway does not answer
this desk, a line says why (gateway down, this desk's key refused …). Keys: A acknowledge, D dispatch nearest,
E en route, S on scene, R resolve, X close, C cameras around, Ctrl+F filter.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any, ClassVar

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QFont, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from controlroom.core.dispatch_model import allowed_actions
from controlroom.core.protocol import INCIDENT_TYPES
from controlroom.live import Mode
from controlroom.live.events import DeskChanged
from controlroom.panels.incidents.tables import IncidentQueue, UnitBoard, age_text
from controlroom.qt.action_buttons import ActionSpec, add_action_buttons
from controlroom.qt.dispatch_bridge import DispatchBridge
from controlroom.qt.fit import ElidedLabel, ResponsiveSplitter, SidewaysFitScroller, flow_row, room_height
from controlroom.qt.i18n import current_language
from controlroom.qt.panel_contract import LivePanel
from controlroom.qt.site_words import place_name, site_clock
from controlroom.qt.strings import (
    code_label,
    dispatch_status_label,
    entity_status_label,
    incident_type_label,
    link_problem_label,
    order_kind_label,
    refusal_label,
)

if TYPE_CHECKING:
    from controlroom.dispatch.outbox import OrderEntry
    from controlroom.live.desk import DispatchDesk
    from controlroom.qt.live import LiveCity

BODY_POINT_SIZE = 15
#: Shorter than this (a 1366×768 laptop's bottom dock is about 260 px), the actions and the title
#: take a smaller font so the queue, the title and every action fit without scrolling.
COMPACT_BELOW_PX = 420
COMPACT_POINT_SIZE = 12
#: An order's state in the strip (refused ones the operator retried or dropped included).
_MARKS = {"pending": "…", "acknowledged": "✓", "refused": "✗", "retried": "↻", "dropped": "–"}


class IncidentsPanel(LivePanel, QWidget):
    panel_id: ClassVar[str] = "incidents"

    def __init__(
        self, live: LiveCity, bridge: DispatchBridge | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Incidents and dispatch"))
        self.live = live
        self.bridge = bridge or DispatchBridge.for_live(live)
        self.client = self.bridge.client
        self.selected: str | None = None
        self.compact = False
        self._names_of: tuple[object, dict[str, dict[str, str]]] = (None, {})  # the model's place names
        font = QFont(self.font())
        font.setPointSize(BODY_POINT_SIZE)
        self.setFont(font)
        self._build()
        b = self.bridge
        # All on the GUI thread: the bridge hands the client's reports over before the desk takes
        # them. The desk usually read the gateway's state before this panel existed (the app
        # starts the bridge first; panels open later), so the panel starts from the desk's rows.
        b.sig_order_answered.connect(self._on_order_answered)
        b.sig_link.connect(self._on_link)
        live.sig_desk_changed.connect(self._on_desk_changed)
        live.sig_detail_read.connect(self._on_detail_read)
        live.sig_suggestions_read.connect(self._on_suggestions_read)
        live.sig_tick.connect(self._on_live_tick)
        live.sig_create_incident.connect(self._on_create_requested)
        live.sig_incident_selected.connect(self._on_incident_selected)
        live.sig_mode_changed.connect(self._on_mode_changed)
        if self.desk.unit_rows:
            self.unit_board.show_units(self.desk.units())
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
            self.type_filter.addItem(incident_type_label(t), t)
        for combo in (self.sort, self.district, self.type_filter):
            combo.currentIndexChanged.connect(self.refresh_queue)
        filters = flow_row((self.sort, self.district, self.type_filter))  # wraps when narrow
        self.queue = IncidentQueue(self)
        self.queue.place = self._place
        self.queue.itemSelectionChanged.connect(self._on_queue_selection)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addLayout(filters)
        lv.addWidget(self.queue)

        self.title = ElidedLabel(self.tr("No incident selected"))  # a long type and id: "…", tooltip whole
        tf = QFont(self.font())
        tf.setPointSize(BODY_POINT_SIZE + 3)
        tf.setBold(True)
        self.title.setFont(tf)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.alternatives = QListWidget()
        self.alternatives.itemActivated.connect(self._on_alternative_activated)
        self.timeline = QListWidget()
        row1 = row2 = flow_row()  # one row of actions under the title, wrapping rather than clipping
        actions: list[ActionSpec] = [
            ("dispatch", self.tr("Dispatch nearest (D)"), "D", self.dispatch_nearest, row1),
            ("acknowledge", self.tr("Acknowledge (A)"), "A", lambda: self._order("acknowledge"), row1),
            ("cameras", self.tr("Cameras around (C)"), "C", self.cameras_around, row1),
            ("en_route", self.tr("En route (E)"), "E", lambda: self._unit_status("en_route"), row2),
            ("on_scene", self.tr("On scene (S)"), "S", lambda: self._unit_status("on_scene"), row2),
            ("resolve", self.tr("Resolve (R)"), "R", lambda: self._order("resolve"), row2),
            ("close", self.tr("Close (X)"), "X", lambda: self._order("close"), row2),
        ]
        world = ("dispatch", "acknowledge", "en_route", "on_scene", "resolve", "close")  # off while replaying
        self.buttons: dict[str, QPushButton] = add_action_buttons(self, actions, live=self.live, world=world)
        self.comment = QLineEdit()
        self.comment.setPlaceholderText(self.tr("Comment (Enter to add; a reason is needed to cancel)"))
        self.comment.setToolTip(self.comment.placeholderText())  # a narrow field cuts the hint
        self.comment.returnPressed.connect(lambda: self._order("comment", text=self.comment.text()))
        cancel = QPushButton(self.tr("Cancel incident"))
        cancel.clicked.connect(lambda: self._order("cancel", text=self.comment.text()))
        self.buttons["cancel"] = cancel
        crow = QHBoxLayout()
        crow.addWidget(self.comment, 1)
        crow.addWidget(cancel)
        find = QShortcut(QKeySequence("Ctrl+F"), self)
        find.activated.connect(self.district.setFocus)
        # The title and the actions first, always in view (a laptop's short dock included); the
        # facts, the nearest units and the timeline share the rest as tabs, each scrolling itself.
        facts = QWidget()
        fv = self._facts = QVBoxLayout(facts)
        fv.setContentsMargins(0, 0, 0, 0)
        fv.addWidget(self.detail)
        fv.addLayout(crow)
        fv.addStretch(1)
        nearest = QWidget()
        nv = QVBoxLayout(nearest)
        nv.setContentsMargins(0, 0, 0, 0)
        hint = QLabel(self.tr("Nearest suitable units (double-click to dispatch)"))
        hint.setWordWrap(True)
        nv.addWidget(hint)
        nv.addWidget(self.alternatives, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(SidewaysFitScroller(facts), self.tr("Details"))
        self.tabs.addTab(nearest, self.tr("Nearest"))  # short: four tabs fit a laptop's dock
        self.tabs.addTab(self.timeline, self.tr("Timeline"))
        # narrow: every tab in view, a long title ends in "…" with the whole one as its tooltip
        self.tabs.tabBar().setUsesScrollButtons(False)
        self.tabs.tabBar().setElideMode(Qt.TextElideMode.ElideRight)
        self._tab_tooltips()
        right = QWidget()
        rv = self._right = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.title)
        rv.addLayout(row1)
        rv.addWidget(self.tabs, 1)

        self.unit_board = UnitBoard(self)
        self.orders = ElidedLabel("")  # one line under the desk ("…", the whole strip as tooltip)
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
        top = ResponsiveSplitter((380, 300))  # the queue above the detail when too narrow for both
        top.addWidget(left)
        top.addWidget(right)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)
        outer = self._outer = QSplitter(Qt.Orientation.Vertical)
        outer.addWidget(top)
        outer.addWidget(self.unit_board)
        outer.setStretchFactor(0, 3)
        outer.setStretchFactor(1, 1)
        lay = self._lay = QVBoxLayout(self)
        lay.addWidget(outer, 1)
        lay.addWidget(self.link)
        lay.addWidget(self.orders)
        lay.addWidget(self.refused_box)
        self._update_buttons()
        self._update_refused_buttons()

    def title_text(self) -> str:
        return self.tr("Incidents and dispatch")

    def _tab_tooltips(self) -> None:
        for i in range(self.tabs.count()):
            self.tabs.setTabToolTip(i, self.tabs.tabText(i))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._set_compact(room_height(self) < COMPACT_BELOW_PX)

    def _set_compact(self, compact: bool) -> None:
        """In a short dock: smaller action buttons and title (their texts stay whole: they wrap),
        the unit board a tab beside the timeline instead of a strip under the queue, and the tabs
        as short as a few lines (each scrolls itself)."""
        if compact == self.compact:
            return
        self.compact = compact
        if compact:
            self.tabs.addTab(self.unit_board, self.tr("Units", "tab: every unit and its status"))
            self._tab_tooltips()
            lines = self.tabs.fontMetrics().lineSpacing() * 2
            self.tabs.setMinimumHeight(self.tabs.tabBar().sizeHint().height() + lines)
            self._facts.insertWidget(0, self.title)  # the queue marks the selected row; details name it
            self._lay.setContentsMargins(4, 4, 4, 4)
        else:
            self.tabs.removeTab(self.tabs.indexOf(self.unit_board))
            self._outer.addWidget(self.unit_board)
            self.unit_board.show()
            self.tabs.setMinimumHeight(0)
            self._right.insertWidget(0, self.title)
            self._lay.setContentsMargins(9, 9, 9, 9)
        for button in (*self.buttons.values(), self.tabs):  # the tabs and their pages: compact too
            font = QFont(button.font())
            font.setPointSize(COMPACT_POINT_SIZE if compact else BODY_POINT_SIZE)
            button.setFont(font)
        font = QFont(self.title.font())
        font.setPointSize(BODY_POINT_SIZE if compact else BODY_POINT_SIZE + 3)
        self.title.setFont(font)

    # ------------------------------------------------------------------ queue
    # ------------------------------------------------------------------ the desk's rows
    @property
    def desk(self) -> DispatchDesk:
        """The live desk, or in replay the desk as it stood at the replay instant."""
        return self.live.state.shown_desk

    @property
    def details(self) -> dict[str, dict[str, Any]]:
        """The gateway's row per incident id (the desk's)."""
        return self.desk.details

    @property
    def units(self) -> dict[str, dict[str, Any]]:
        return self.desk.unit_rows

    @property
    def suggestions(self) -> list[dict[str, Any]]:
        """The nearest suitable units for the selected incident, as the gateway suggested them."""
        return self.desk.suggestions.get(self.selected or "", [])

    @Slot()
    def refresh_queue(self) -> None:
        district, kind = self.district.currentData() or "", self.type_filter.currentData() or ""
        items = self.desk.incident_rows(self.live.incidents, district, kind)
        if self.sort.currentData() == "age":
            items.sort(key=lambda i: i.raised_at)
        self.queue.show_incidents(items, self.live.state.now(), self.selected)
        self._update_districts()

    def _update_districts(self) -> None:
        names = self.desk.districts()
        have = {self.district.itemData(i) for i in range(self.district.count())}
        for n in names:
            if n not in have:
                self.district.addItem(self._place(n), n)

    def _place(self, name: str) -> str:
        """A district, street, grid or department as the site names it in the app's language
        (``[names]``), else as the boundary data name it (``name_en`` / ``name_pinyin``)."""
        if name in self.live.site.names:
            return place_name(self.live.site, name)
        model = self.live.model
        if model is not None and model is not self._names_of[0]:
            from controlroom.render.map_labels import boundary_names

            self._names_of = (model, boundary_names(model))
        names = self._names_of[1].get(name)
        return (names.get(current_language()) or name) if names else name

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
        self.alternatives.clear()
        state = self.live.incidents.get(incident_id)
        if announce:
            self.live.select_incident(incident_id)
            if state is not None:
                self.live.request_focus(state.x, state.y, 600.0, incident_id)
        self.desk.select(incident_id)
        self.queue.select_id(incident_id)
        self._show_detail()

    # ------------------------------------------------------------------ detail
    def _show_detail(self) -> None:
        inc_id = self.selected
        if inc_id is None:
            return
        row = self.desk.incident(inc_id, self.live.incidents)
        kind = incident_type_label(row.type) if row else ""
        status = dispatch_status_label(row.status) if row and row.status else ""
        self.title.setText(f"{kind} — {status}   [{inc_id}]")
        esc = html.escape
        units = ", ".join(f"{u.id} ({entity_status_label(u.status)})" for u in row.units) if row else ""
        where = " › ".join(self._place(p) for p in row.place) if row else ""
        located = row is not None and row.lon is not None and row.lat is not None
        cells = [
            (self.tr("Severity"), str(row.severity) if row and row.severity else ""),
            (self.tr("Raised"), age_text(self.live.state.now() - (row.raised_at if row else 0.0))),
            (self.tr("Where"), where or self.tr("(not routed yet)")),
            (self.tr("Department"), self._place(row.department) if row and row.department else "—"),
            (self.tr("Location"), f"{row.lon:.5f}, {row.lat:.5f}" if located and row else "—"),
            (self.tr("Units"), units or "—"),
            (self.tr("Report"), (row.text if row else "") or "—"),
        ]
        self.detail.setText(
            "<table>"
            + "".join(f"<tr><td><b>{esc(k)}</b>&nbsp;&nbsp;</td><td>{esc(v)}</td></tr>" for k, v in cells)
            + "</table>"
        )
        self._update_buttons()

    def _show_timeline(self, timeline: tuple[dict[str, Any], ...]) -> None:
        self.timeline.clear()
        for t in timeline:
            stamp = site_clock(t["at"], self.live.site.site.timezone)  # the site's clocks, not this PC's
            extra = t.get("detail") or {}
            what = order_kind_label(t["kind"]) + (f" {t['unit_id']}" if t.get("unit_id") else "")
            if extra.get("status"):  # a unit's new status when the entry names a unit, else the incident's
                code = str(extra["status"])
                what += f" → {entity_status_label(code) if t.get('unit_id') else dispatch_status_label(code)}"
            if extra.get("text"):
                what += f": {extra['text']}"
            self.timeline.addItem(f"{stamp}  {t['user']}@{t['desk']}  {what}")

    def _update_buttons(self) -> None:
        """Enabled as ``core.dispatch_model.allowed_actions`` says for the gateway's status."""
        has = self.selected is not None
        row = self.desk.incident(self.selected, self.live.incidents) if self.selected else None
        allowed = row.actions if row is not None else allowed_actions(None)
        for key, button in self.buttons.items():
            button.setEnabled(has and key in allowed)

    # ------------------------------------------------------------------ actions
    def _replaying(self) -> bool:
        """The clock shows the past: no orders (assign from the list, comments) reach the gateway."""
        return self.live.state.mode is Mode.REPLAY

    def _order(self, kind: str, **fields: Any) -> OrderEntry | None:
        if self.selected is None or self._replaying():
            return None
        entry = self.desk.order(kind, self.selected, **fields)
        if kind == "comment":
            self.comment.clear()
        self._show_orders()
        return entry

    def _unit_status(self, status: str) -> None:
        if (
            self.selected is not None
            and not self._replaying()
            and self.desk.report_unit(self.selected, status) is not None
        ):
            self._show_orders()

    @Slot()
    def dispatch_nearest(self) -> None:
        """One click: the nearest available suitable unit (the desk asks the gateway first if needed)."""
        if self.selected is None or self._replaying():
            return
        if self.desk.dispatch_nearest(self.selected) is not None:
            self._show_orders()

    @Slot(QListWidgetItem)
    def _on_alternative_activated(self, item: QListWidgetItem) -> None:
        self._order("assign", unit_id=item.data(Qt.ItemDataRole.UserRole))

    @Slot()
    def cameras_around(self) -> None:
        state = self.live.incidents.get(self.selected) if self.selected else None
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
    def _on_order_answered(self, _entry: OrderEntry) -> None:
        self._show_orders()  # a refused assignment: the desk asks for fresh suggestions itself

    def _show_orders(self) -> None:
        if self.client.outbox.closed:
            return  # an answer still queued when the app shut the client down
        recent = self.client.outbox.entries(limit=4)
        counts = self.client.outbox.counts()
        parts = [self.tr("Orders: {0} pending").format(counts["pending"])]
        for e in recent:
            mark = _MARKS.get(e.state, "?")
            parts.append(
                f"{mark} {code_label('order', e.kind)} {e.unit_id or e.incident_id}".rstrip()
                + (f" — {refusal_label(e.reason)}" if e.reason else "")
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
            item = QListWidgetItem(
                f"✗ {code_label('order', e.kind)} {e.unit_id or e.incident_id} — {refusal_label(e.reason)}"
            )
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
        self.link.setText(self.tr("Gateway link: {0}").format(link_problem_label(problem)) if problem else "")
        self.link.setVisible(bool(problem))

    @Slot(object)
    def _on_desk_changed(self, change: DeskChanged) -> None:
        if change.units_changed:
            self.unit_board.show_units(self.desk.units())
        if change.full or self.selected in change.incidents:
            self._show_detail()
            if self._replaying() and self.selected is not None:  # the timeline as it stood
                self._show_timeline(self.desk.timelines.get(self.selected, ()))
        self.refresh_queue()

    @Slot(object)
    def _on_mode_changed(self, _mode: object) -> None:
        """Into or out of replay: every row, the detail and its timeline from the shown desk."""
        self._on_desk_changed(DeskChanged(frozenset(), units_changed=True, full=True))
        if not self._replaying() and self.selected is not None:
            self.desk.select(self.selected)  # the live timeline is asked of the gateway again

    @Slot(str)
    def _on_detail_read(self, incident_id: str) -> None:
        if incident_id == self.selected:
            self._show_timeline(self.desk.timelines.get(incident_id, ()))
            self._show_detail()

    @Slot(str)
    def _on_suggestions_read(self, incident_id: str) -> None:
        if incident_id != self.selected:
            return
        self.alternatives.clear()
        for c in self.suggestions:
            # the kind code stays as the gateway sends it here (tests/panels/test_incidents.py reads it)
            item = QListWidgetItem(f"{c['unit_id']}  {c['name']}  {c['kind']}  {c['distance_m']:.0f} m")
            item.setData(Qt.ItemDataRole.UserRole, c["unit_id"])
            self.alternatives.addItem(item)

    def shutdown(self) -> None:
        """Stop the client thread and the gateway subscription (the app calls this at exit)."""
        self.bridge.shutdown()
