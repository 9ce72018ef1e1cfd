"""The desk model against a real gateway: one typed row per incident merged from the feed record,
the state read and the events; "Dispatch nearest" asks first, then assigns the nearest unit."""

from __future__ import annotations

import contextlib
import queue
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from controlroom.core.incidents import IncidentBoard, IncidentState
from controlroom.dispatch import wire
from controlroom.dispatch.client import DispatchClient, DispatchListener
from controlroom.dispatch.outbox import OrderEntry, Outbox
from controlroom.live import LiveState
from controlroom.live.events import AssignmentChanged, DeskChanged, SuggestionsRead

PLACE = {"type": "illegal_parking", "severity": 3, "lon": 113.3345, "lat": 23.0903}


class _Queued(DispatchListener):
    """The client thread's callbacks, queued for the test thread (the GUI thread's role)."""

    def __init__(self) -> None:
        self.calls: queue.Queue[Callable[[], None]] = queue.Queue()
        self.desk: Any = None

    def on_order(self, entry: OrderEntry) -> None:
        self.calls.put(lambda: self.desk.take_order_answer(entry))

    def on_state(self, state: dict[str, Any]) -> None:
        self.calls.put(lambda: self.desk.take_state(state))

    def on_event(self, event: wire.Event) -> None:
        self.calls.put(lambda: self.desk.take_event(event))

    def on_result(self, query_id: str, reply: wire.Reply) -> None:
        self.calls.put(lambda: self.desk.take_result(query_id, reply))

    def until(self, cond: Callable[[], bool], timeout_s: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if cond():
                return True
            with contextlib.suppress(queue.Empty):
                self.calls.get(timeout=0.05)()
        return cond()


def test_dispatch_nearest_asks_then_assigns_and_rows_follow(
    sample_site: Path, tmp_path: Path, gateway_factory
) -> None:  # type: ignore[no-untyped-def]
    g = gateway_factory(sample_site, tmp_path / "gw.sqlite")
    state = LiveState()
    desk = state.desk
    events: list[object] = []
    for kind in (DeskChanged, AssignmentChanged, SuggestionsRead):
        state.subscribe(kind, events.append)
    listener = _Queued()
    listener.desk = desk
    client = DispatchClient(
        g.endpoint, Outbox(tmp_path / "o.sqlite"), publish_endpoint=g.publish_endpoint,
        listener=listener, user="demo-supervisor", desk="d1", retry_s=0.3,
    ).start()  # fmt: skip
    desk.attach(client)
    board = IncidentBoard()  # the feed's picture: the record arrives before the gateway's row
    board.apply(
        [IncidentState("D-1", "illegal_parking", 3, 10.0, 20.0, (), "fire lane", "new", 100.0, 100.0)]
    )
    try:
        row = desk.incident("D-1", board)
        assert row is not None and row.dispatch_status is None and row.status == "new"
        assert {"dispatch", "acknowledge", "cancel"} <= row.actions and "close" not in row.actions
        client.order("create", incident_id="D-1", text="fire lane", **PLACE)
        assert listener.until(lambda: "D-1" in desk.details)
        row = desk.incident("D-1", board)
        assert row is not None and row.department == "Traffic Police" and row.x == 10.0
        assert desk.dispatch_nearest("D-1") is None  # nothing suggested yet: it asks first
        assert listener.until(lambda: len(desk.units_on("D-1")) == 1)
        assert any(isinstance(e, SuggestionsRead) and e.incident_id == "D-1" for e in events)
        nearest = desk.suggestions["D-1"][0]["unit_id"]
        assert desk.units_on("D-1") == [nearest]
        assert AssignmentChanged("D-1", nearest) in events
        row = desk.incident("D-1", board)
        assert row is not None and row.dispatch_status == "dispatched"
        assert [u.id for u in row.units] == [nearest] and {"en_route", "resolve"} <= row.actions
        assert [r.id for r in desk.incident_rows(board, district=row.district)] == ["D-1"]
        assert desk.incident_rows(board, district="nowhere") == []
    finally:
        client.close()
