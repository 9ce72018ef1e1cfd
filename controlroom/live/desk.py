"""The dispatch desk's one model: typed incident and unit rows merged from every channel.

Three channels say something about an incident: the gateway's state read (the reply), its
dispatch events, and the feed record the map draws (``IncidentBoard``). The desk keeps the
gateway's latest row per incident and per unit, and ``incident_rows(board)`` merges them with the
board into ``DeskIncident`` rows a panel only has to render. The allowed actions come from
``core.dispatch_model.allowed_actions`` (the open/closed rules live there, once), and the desk
owns the suggest-then-assign sequence of "Dispatch nearest": ask the gateway for the nearest
suitable units, assign the first when the answer comes (or at once when it is already known).

Qt-free and single-threaded: ``DeskListener`` hands the client thread's reports to the desk's
thread (the GUI's, through the one hand-over) and calls ``take_*`` there; the desk announces what
it took and what changed through the live state's ``emit``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from controlroom.core.dispatch_model import allowed_actions, is_open_status
from controlroom.dispatch.client import DispatchListener
from controlroom.live.events import (
    AssignmentChanged,
    DeskChanged,
    DetailRead,
    GatewayEventTaken,
    LinkChanged,
    OrderAnswered,
    SuggestionsRead,
)

if TYPE_CHECKING:
    from controlroom.core.incidents import IncidentBoard, IncidentState
    from controlroom.dispatch import wire
    from controlroom.dispatch.outbox import OrderEntry


class Orders(Protocol):
    """What the desk needs of the dispatch client (``dispatch.client.DispatchClient``)."""

    def order(self, kind: str, **fields: Any) -> OrderEntry: ...

    def query(self, name: str, **args: Any) -> str: ...


class _Reply(Protocol):
    ok: bool
    result: dict[str, Any]


class _Event(Protocol):
    incident: dict[str, Any] | None
    units: list[dict[str, Any]]


@dataclass(frozen=True)
class DeskUnit:
    """A dispatchable unit as the gateway last reported it."""

    id: str
    name: str
    kind: str
    status: str
    incident_id: str
    lon: float | None
    lat: float | None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> DeskUnit:
        lon, lat = row.get("lon"), row.get("lat")
        return cls(
            str(row["id"]),
            str(row.get("name") or ""),
            str(row.get("kind") or ""),
            str(row.get("status") or ""),
            str(row.get("incident_id") or ""),
            float(lon) if isinstance(lon, int | float) else None,
            float(lat) if isinstance(lat, int | float) else None,
        )


@dataclass(frozen=True)
class DeskIncident:
    """One incident as the desk shows it: the feed's record and the gateway's row merged.

    ``dispatch_status`` is the gateway's (None until it has said something); ``status`` is what
    to show (the gateway's, else the feed's).
    """

    id: str
    type: str
    severity: int
    status: str
    dispatch_status: str | None
    raised_at: float
    text: str
    x: float | None = None
    y: float | None = None
    lon: float | None = None
    lat: float | None = None
    stale: bool = False
    city: str = ""
    district: str = ""
    street: str = ""
    grid: str = ""
    department: str = ""
    units: tuple[DeskUnit, ...] = ()
    #: The row the gateway sent, as sent (fields the desk does not type yet).
    gateway: Mapping[str, Any] = field(default_factory=dict)

    @property
    def actions(self) -> frozenset[str]:
        return allowed_actions(self.dispatch_status)

    @property
    def is_open(self) -> bool:
        return is_open_status(self.status)

    @property
    def place(self) -> tuple[str, ...]:
        """The admin chain, coarse to fine, without the parts the gateway did not fill."""
        return tuple(p for p in (self.city, self.district, self.street, self.grid) if p)


def merge(state: IncidentState | None, row: Mapping[str, Any], units: Sequence[DeskUnit]) -> DeskIncident:
    """One desk row from the feed's record (may be None) and the gateway's row (may be empty)."""

    def text(key: str) -> str:
        return str(row.get(key) or "")

    lon, lat = row.get("lon"), row.get("lat")
    dispatch_status = row.get("status") or None
    return DeskIncident(
        id=str(row.get("id") or (state.id if state else "")),
        type=text("type") or (state.type if state else ""),
        severity=int(row.get("severity") or (state.severity if state else 0)),
        status=str(dispatch_status or (state.status if state else "")),
        dispatch_status=str(dispatch_status) if dispatch_status else None,
        raised_at=float(row.get("raised_at") or (state.raised_at if state else 0.0)),
        text=text("text") or (state.text if state else ""),
        x=state.x if state else None,
        y=state.y if state else None,
        lon=float(lon) if isinstance(lon, int | float) else None,
        lat=float(lat) if isinstance(lat, int | float) else None,
        stale=state.stale if state else False,
        city=text("city"),
        district=text("district"),
        street=text("street"),
        grid=text("grid"),
        department=text("department"),
        units=tuple(units),
        gateway=dict(row),
    )


class DispatchDesk:
    """The gateway's rows, merged views of them, and the suggest-then-assign sequence."""

    def __init__(self, emit: Callable[[object], None]) -> None:
        """``emit``: how the desk announces what changed (``LiveState.emit``)."""
        self.emit = emit
        self.client: Orders | None = None
        #: The gateway's latest row per incident (admin chain, department, status …).
        self.details: dict[str, dict[str, Any]] = {}
        #: The gateway's latest row per unit (id, kind, status, incident_id, lon, lat …).
        self.unit_rows: dict[str, dict[str, Any]] = {}
        #: Nearest suitable units per incident, as the gateway last suggested them.
        self.suggestions: dict[str, list[dict[str, Any]]] = {}
        self.timelines: dict[str, tuple[dict[str, Any], ...]] = {}
        #: The incident the desk follows (the operator's selection): its detail and suggestions
        #: are asked again when the gateway says it changed.
        self.selected: str | None = None
        self._queries: dict[str, tuple[str, str]] = {}  # query id → (what, incident id)
        self._dispatch_when_suggested: set[str] = set()

    def attach(self, client: Orders) -> None:
        self.client = client

    # ------------------------------------------------------------------ reading
    def units(self) -> list[DeskUnit]:
        return [DeskUnit.of(row) for row in self.unit_rows.values()]

    def units_on(self, incident_id: str) -> list[str]:
        """The units the gateway has assigned to this incident (dispatched, en route, on scene)."""
        return sorted(
            uid
            for uid, row in self.unit_rows.items()
            if incident_id and row.get("incident_id") == incident_id
        )

    def incident(self, incident_id: str, board: IncidentBoard | None) -> DeskIncident | None:
        """The merged row of one incident (None when neither the feed nor the gateway knows it)."""
        state = board.get(incident_id) if board is not None else None
        row = self.details.get(incident_id, {})
        if state is None and not row:
            return None
        on_it = [DeskUnit.of(u) for u in self.unit_rows.values() if u.get("incident_id") == incident_id]
        return merge(state, row or {"id": incident_id}, on_it)

    def incident_rows(self, board: IncidentBoard, district: str = "", kind: str = "") -> list[DeskIncident]:
        """The open incidents of the board (the map's picture), merged, optionally filtered."""
        rows = [merge(s, self.details.get(s.id, {"id": s.id}), ()) for s in board.open()]
        if district:
            rows = [r for r in rows if r.district == district]
        if kind:
            rows = [r for r in rows if r.type == kind]
        return rows

    def districts(self) -> list[str]:
        return sorted({str(d.get("district") or "") for d in self.details.values()} - {""})

    # ------------------------------------------------------------------ the gateway's words
    def take_state(self, state: Mapping[str, Any]) -> None:
        """A whole state read: every row replaced."""
        self.details = {str(i["id"]): i for i in state.get("incidents", [])}
        self._take_units(state.get("units", []), replace=True)
        self.emit(DeskChanged(frozenset(self.details), units_changed=True, full=True))

    def take_event(self, event: _Event) -> None:
        touched: set[str] = set()
        if event.incident:
            incident_id = str(event.incident["id"])
            self.details[incident_id] = event.incident
            touched.add(incident_id)
        self._take_units(event.units, replace=False)
        self.emit(DeskChanged(frozenset(touched), units_changed=bool(event.units)))
        if self.selected in touched:
            self._follow_selected()  # units moved on: ask again
        self.emit(GatewayEventTaken(event))

    def take_result(self, query_id: str, reply: _Reply) -> None:
        what, incident_id = self._queries.pop(query_id, ("", ""))
        if what == "detail" and reply.ok:
            inc = reply.result["incident"]
            self.details[str(inc["id"])] = inc
            self.timelines[str(inc["id"])] = tuple(reply.result.get("timeline", []))
            self.emit(DetailRead(str(inc["id"]), self.timelines[str(inc["id"])]))
        elif what == "suggest":
            self.suggestions[incident_id] = list(reply.result.get("units", [])) if reply.ok else []
            self.emit(SuggestionsRead(incident_id))
            if incident_id in self._dispatch_when_suggested:
                self._dispatch_when_suggested.discard(incident_id)
                nearest = self.suggestions[incident_id]
                if nearest:
                    self.order("assign", incident_id, unit_id=nearest[0]["unit_id"])

    def take_order_answer(self, entry: OrderEntry) -> None:
        """An answered order; a refused assignment means the suggestions were out of date: ask again."""
        if entry.state == "refused" and entry.kind == "assign" and entry.incident_id == self.selected:
            self.ask_suggestions(entry.incident_id)
        self.emit(OrderAnswered(entry))

    def take_link(self, problem: str) -> None:
        self.emit(LinkChanged(problem))

    def _take_units(self, rows: Sequence[Mapping[str, Any]], replace: bool) -> None:
        before = {uid: str(row.get("incident_id") or "") for uid, row in self.unit_rows.items()}
        if replace:
            self.unit_rows = {}
        for row in rows:
            self.unit_rows[str(row["id"])] = dict(row)
        for uid, row in self.unit_rows.items():
            now = str(row.get("incident_id") or "")
            if before.get(uid, "") != now:
                self.emit(AssignmentChanged(now, uid))

    # ------------------------------------------------------------------ orders and questions
    def select(self, incident_id: str) -> None:
        """Follow this incident: forget its old suggestions, ask for its detail and nearest units."""
        self.selected = incident_id
        self.suggestions.pop(incident_id, None)
        self._follow_selected()

    def _follow_selected(self) -> None:
        if self.selected is None or self.client is None:
            return
        self.ask_detail(self.selected)
        self.ask_suggestions(self.selected)

    def ask_detail(self, incident_id: str) -> None:
        if self.client is not None:
            self._queries[self.client.query("incident", id=incident_id)] = ("detail", incident_id)

    def ask_suggestions(self, incident_id: str) -> None:
        if self.client is not None:
            self._queries[self.client.query("suggest", id=incident_id)] = ("suggest", incident_id)

    def dispatch_nearest(self, incident_id: str) -> OrderEntry | None:
        """One click: assign the nearest suitable unit, asking the gateway first if needed."""
        nearest = self.suggestions.get(incident_id)
        if nearest:
            return self.order("assign", incident_id, unit_id=nearest[0]["unit_id"])
        self._dispatch_when_suggested.add(incident_id)
        self.ask_suggestions(incident_id)
        return None

    def report_unit(self, incident_id: str, status: str) -> OrderEntry | None:
        """En route / on scene for the first unit on the incident."""
        on_it = self.units_on(incident_id)
        return self.order("unit_status", incident_id, unit_id=on_it[0], status=status) if on_it else None

    def order(self, kind: str, incident_id: str, **fields: Any) -> OrderEntry | None:
        if self.client is None:
            return None
        return self.client.order(kind, incident_id=incident_id, **fields)


class DeskListener(DispatchListener):
    """The dispatch client's reports (on its thread), each handed to the desk's thread by
    ``post(fn, *args)`` (``qt.gui_thread.GuiHandover.post`` in the app): one hop per report."""

    def __init__(self, desk: DispatchDesk, post: Callable[..., None]) -> None:
        self.desk = desk
        self.post = post

    def on_order(self, entry: OrderEntry) -> None:
        self.post(self.desk.take_order_answer, entry)

    def on_state(self, state: dict[str, Any]) -> None:
        self.post(self.desk.take_state, state)

    def on_event(self, event: wire.Event) -> None:
        self.post(self.desk.take_event, event)

    def on_result(self, query_id: str, reply: wire.Reply) -> None:
        self.post(self.desk.take_result, query_id, reply)

    def on_link(self, problem: str) -> None:
        self.post(self.desk.take_link, problem)
