"""The one clock in the GUI: in replay the map shows an entity where it was and the alarm list as
it stood (world-changing actions off, saying why); one key back to live shows the current picture."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow, QSplitter, QWidget

from controlroom.core.protocol import Position
from controlroom.history.rows import position_rows
from controlroom.history.schema import EVENTS, POSITIONS
from controlroom.history.writer import HistoryWriter
from controlroom.render.overlays.base import rgb255
from controlroom.render.overlays.entities import KIND_COLOURS
from tests.panels.live_city import Clock, live_city
from tests.panels.map_pixels import SPOT, grab_map, lonlat, map_pixel, publish_until

pytestmark = pytest.mark.gui
SHOTS = Path("/work/notes/shots/history2")
LIVE_SPOT = (SPOT[0] + 150.0, SPOT[1])  # where the bus is now; SPOT is where it was


def _history(root: Path, t_past: float) -> None:
    """BUS-7 parked at SPOT for a minute around ``t_past``; an alarm raised before, acknowledged after."""
    w = HistoryWriter(root)
    u8 = np.zeros(1, np.uint8)
    for s in range(-30, 30):
        t_ms = round((t_past + s) * 1000)
        w.append(POSITIONS, position_rows(["BUS-7"], t_ms, u8, u8, np.array([SPOT[0]]), np.array([SPOT[1]]),
                                          np.zeros(1), np.zeros(1), kf=s % 5 == 0))  # fmt: skip
    alarm = {"subject": "flood|RIVER01", "kind": "alarm", "desk": "d1", "accepted": True,
             "detail": json.dumps({"alarm_id": "flood|RIVER01@1"})}  # fmt: skip
    place = json.dumps({"alarm_id": "flood|RIVER01@1", "x": SPOT[0], "y": SPOT[1], "district": "Tianhe"})
    rows = [dict(alarm, t_ms=round((t_past - 20) * 1000), action="raised", who="system", detail=place),
            dict(alarm, t_ms=round((t_past + 20) * 1000), action="acknowledge", who="ana")]  # fmt: skip
    w.append(EVENTS, {k: [r[k] for r in rows] for k in ("subject", "t_ms", "kind", "action", "who", "desk",
                                                         "accepted", "detail")})  # fmt: skip
    w.close()


@pytest.fixture
def room(qtbot, tmp_path: Path) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    from controlroom.panels.alarms.panel import AlarmsPanel
    from controlroom.panels.map3d import MapPanel
    from controlroom.qt.replay_clock import ReplayClock
    from controlroom.qt.timeline import ReplayFrame, TimelineBar

    clock = Clock()
    t_past = clock.t - 600.0
    _history(tmp_path / "history", t_past)
    with live_city(tmp_path, clock) as (live, pub):
        window = QMainWindow()
        split = QSplitter()
        panel = MapPanel(split)
        alarms = AlarmsPanel(live)
        split.addWidget(panel)
        split.addWidget(alarms)
        window.setCentralWidget(split)
        replay = ReplayClock(live, tmp_path / "history")
        bar = TimelineBar(replay)
        window.setMenuWidget(bar)
        frame = ReplayFrame(window, replay)
        window.resize(1400, 760)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        panel.attach_live(live)
        panel.focus_on(SPOT[0], SPOT[1], 900.0)
        yield {"live": live, "pub": pub, "panel": panel, "alarms": alarms, "clock": replay, "bar": bar,
               "frame": frame, "window": window, "t_past": t_past}  # fmt: skip
        replay.close()
        panel.close()
        window.close()


def _bus_at(room: dict[str, Any], qtbot, spot: tuple[float, float]) -> bool:  # type: ignore[no-untyped-def]
    image = grab_map(room["panel"], qtbot)
    colour = map_pixel(room["panel"], image, (spot[0], spot[1], 2.0))
    return bool(np.abs(colour - np.array(rgb255(KIND_COLOURS["bus"]))).sum() < 60)


def test_replay_shows_the_past_and_one_key_brings_back_live(room, qtbot) -> None:  # type: ignore[no-untyped-def]
    from controlroom.qt.timeline import ReplayMarker

    live, pub, replay, bar, alarms = room["live"], room["pub"], room["clock"], room["bar"], room["alarms"]

    def send() -> None:
        lon, lat = lonlat(live, *LIVE_SPOT)
        pub.positions([Position("BUS-7", "bus", lon, lat, 90.0, 0.0, "normal")])

    publish_until(qtbot, live, send, lambda: "BUS-7" in live.entities)
    room["panel"].refresh_overlays()
    assert _bus_at(room, qtbot, LIVE_SPOT) and not _bus_at(room, qtbot, SPOT)
    assert alarms.visible_alarms() == []
    assert bar.badge.text() == "LIVE"

    assert replay.enter(room["t_past"])  # built on the replay thread, shown when ready
    qtbot.waitUntil(lambda: replay.replaying and not replay.busy(), timeout=10_000)
    qtbot.waitUntil(lambda: room["panel"].overlay("entities").item_ids == ["BUS-7"], timeout=3000)
    qtbot.waitUntil(lambda: _bus_at(room, qtbot, SPOT), timeout=3000)  # where it was ten minutes ago
    assert not _bus_at(room, qtbot, LIVE_SPOT)
    shown = alarms.visible_alarms()
    assert [(a.key, a.state, a.acknowledged_by, a.district) for a in shown] == [
        ("flood|RIVER01", "new", "", "Tianhe")
    ]  # ack came later; where the desk that raised it located it
    assert bar.badge.text().startswith("REPLAY ") and room["window"].contentsMargins().left() > 0
    ack = alarms.buttons["acknowledge"]
    assert not ack.isEnabled() and "actions that change the world are off" in ack.toolTip()
    SHOTS.mkdir(parents=True, exist_ok=True)
    room["window"].grab().save(str(SHOTS / "replay.png"))
    wall = QWidget()  # a wall screen (panels placed by hand) shows it too
    wall.resize(800, 450)
    marker = ReplayMarker(wall, replay)
    wall.show()
    qtbot.addWidget(wall)
    assert marker.label.isVisible() and marker.label.text() == bar.badge.text()
    assert marker.edges[1].geometry().bottom() == 449

    replay.seek(room["t_past"] + 25)  # after the acknowledgement
    qtbot.waitUntil(
        lambda: [(a.state, a.acknowledged_by) for a in alarms.visible_alarms()] == [("acknowledged", "ana")],
        timeout=10_000,
    )

    live.pump_now()  # the live feed goes on unseen while replaying
    room["window"].activateWindow()
    qtbot.waitUntil(room["window"].isActiveWindow, timeout=3000)
    qtbot.keyClick(room["panel"], Qt.Key.Key_End)  # one key, wherever the focus is: back to live
    qtbot.waitUntil(lambda: bar.badge.text() == "LIVE", timeout=3000)
    qtbot.waitUntil(lambda: _bus_at(room, qtbot, LIVE_SPOT), timeout=3000)
    assert not _bus_at(room, qtbot, SPOT)
    assert alarms.visible_alarms() == [] and room["window"].contentsMargins().left() == 0
    assert not marker.label.isVisible()
    room["window"].grab().save(str(SHOTS / "live.png"))


def _desk_history(root: Path, t_past: float) -> None:
    """INC-1 reported 20 s before ``t_past`` and dispatched (UNIT-3) 10 s before; closed 200 s after.
    Rows as the recorder writes them: the board's incident rows and the gateway's events."""
    from controlroom.core.incidents import IncidentState
    from controlroom.dispatch import wire
    from controlroom.history.events import columns, dispatch_event_rows
    from controlroom.history.rows import incident_rows
    from controlroom.history.schema import INCIDENTS

    w = HistoryWriter(root)
    for s in range(-20, 30):
        status = "closed" if s >= 200 else ("dispatched" if s >= -10 else "new")
        state = IncidentState(
            "INC-1", "fire", 4, SPOT[0], SPOT[1], (), "smoke", status, t_past - 20, t_past + s
        )
        w.append(INCIDENTS, incident_rows([state], round((t_past + s) * 1000), kf=s % 5 == 0))
    row = {"id": "INC-1", "type": "fire", "severity": 4, "text": "smoke", "raised_at": t_past - 20,
           "district": "Tianhe", "department": "fire"}  # fmt: skip
    steps = [
        (-20, "new", "create", "", []),
        (
            -10,
            "dispatched",
            "assign",
            "UNIT-3",
            [{"id": "UNIT-3", "status": "dispatched", "incident_id": "INC-1"}],
        ),
        (200, "closed", "close", "", [{"id": "UNIT-3", "status": "available", "incident_id": ""}]),
    ]
    rows = []
    for seq, (s, status, kind, unit, units) in enumerate(steps, 1):
        at = t_past + s
        audit = {"seq": seq, "at": at, "user": "ana", "role": "dispatcher", "desk": "desk-1", "kind": kind,
                 "incident_id": "INC-1", "unit_id": unit, "accepted": True, "detail": {}}  # fmt: skip
        rows += dispatch_event_rows(wire.Event(seq, at, 1.0, dict(row, status=status), units, audit))
    alarm = {"subject": "flood|RIVER01", "kind": "alarm", "desk": "d1", "accepted": True, "who": "system",
             "detail": json.dumps({"alarm_id": "flood|RIVER01@1"}), "action": "raised",
             "t_ms": round((t_past - 20) * 1000)}  # fmt: skip
    w.append(EVENTS, columns([*rows, alarm]))
    w.close()


def test_replay_shows_the_incident_desk_and_alarm_ages_as_they_stood(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from controlroom.dispatch.client import DispatchClient
    from controlroom.dispatch.outbox import Outbox
    from controlroom.panels.alarms.panel import AlarmsPanel
    from controlroom.panels.incidents import DispatchBridge, IncidentsPanel
    from controlroom.qt.replay_clock import ReplayClock
    from controlroom.qt.strings import dispatch_status_label

    clock = Clock()
    t_past = clock.t - 600.0  # ten minutes ago: the incident was dispatched, not yet closed
    _desk_history(tmp_path / "history", t_past)
    with live_city(tmp_path, clock) as (live, _pub):
        client = DispatchClient("tcp://127.0.0.1:1", Outbox(tmp_path / "outbox.sqlite"), user="demo-operator")
        incidents = IncidentsPanel(live, DispatchBridge(live, client))
        alarms = AlarmsPanel(live)
        replay = ReplayClock(live, tmp_path / "history")
        for w in (incidents, alarms):
            qtbot.addWidget(w)
            w.show()
        try:
            # now: the gateway's state read says INC-1 is closed and UNIT-3 free again
            live.state.desk.take_state({
                "incidents": [{"id": "INC-1", "type": "fire", "severity": 4, "status": "closed",
                               "raised_at": t_past - 20}],
                "units": [{"id": "UNIT-3", "status": "available", "incident_id": ""}],
            })  # fmt: skip
            incidents.select("INC-1", announce=False)
            closed = dispatch_status_label("closed")
            assert closed in incidents.title.text() and incidents.queue.rowCount() == 0

            assert replay.enter(t_past)
            qtbot.waitUntil(lambda: replay.replaying and not replay.busy(), timeout=10_000)
            dispatched = dispatch_status_label("dispatched")
            qtbot.waitUntil(lambda: dispatched in incidents.title.text(), timeout=5000)  # as it stood then
            assert (
                "UNIT-3" in incidents.detail.text() and "20 s" in incidents.detail.text()
            )  # raised 20 s before
            assert incidents.queue.rowCount() == 1  # still open then
            lines = [incidents.timeline.item(i).text() for i in range(incidents.timeline.count())]
            assert len(lines) == 2 and "UNIT-3" in lines[1]  # created, assigned; the close came later
            assert not incidents.buttons["dispatch"].isEnabled()  # no orders into the past

            alarms.select_alarm(alarms.visible_alarms()[0].id)
            assert (
                alarms.tr("raised {0} ago").format("20 s") in alarms.detail.text()
            )  # the replay clock's age

            replay.go_live()
            qtbot.waitUntil(lambda: closed in incidents.title.text(), timeout=5000)
            assert incidents.queue.rowCount() == 0
        finally:
            replay.close()
            incidents.shutdown()
            incidents.close()
            alarms.close()
