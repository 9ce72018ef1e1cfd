"""Push-to-wall between two app instances: a desk and a wall, each a ``WallManager`` with real
windows, talking over a real ZeroMQ control channel on loopback. The desk pushes from a
background thread (``WallPusher``), exactly as the app does, so the one GUI thread both send and
apply in this test without blocking each other.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from controlroom.core.shipped import shipped_layouts
from controlroom.feed.control import (
    Command,
    ControlClient,
    ControlServer,
    PushCamera,
    PushIncident,
    Reply,
    SwitchPreset,
)
from controlroom.layouts.files import load_layout
from controlroom.qt.wall.control import WallControl, WallPusher, view_command
from controlroom.qt.wall.manager import WallManager
from tests.net import free_port

pytestmark = pytest.mark.gui

Vec3 = tuple[float, float, float]


class RecordingMap(QLabel):
    """Stands for the 3D map panel: reports a camera on the desk, records what the wall is told."""

    def __init__(self, camera: tuple[Vec3, Vec3, Vec3]) -> None:
        super().__init__("map")
        self.setObjectName("map3d")
        self.camera = camera
        self.focused: list[tuple[float, float, str]] = []

    def camera_view(self) -> tuple[Vec3, Vec3, Vec3]:
        return self.camera

    def focal_lonlat(self) -> tuple[float, float]:
        return (4.4777, 51.9244)

    def apply_camera(self, position: Vec3, focal_point: Vec3, up: Vec3) -> None:
        self.camera = (position, focal_point, up)

    def focus_location(self, lon: float, lat: float, label: str) -> None:
        self.focused.append((lon, lat, label))


DESK_CAMERA = ((812.5, -1440.0, 620.0), (35.0, 12.5, 0.0), (0.0, 0.0, 1.0))
WALL_CAMERA = ((0.0, 0.0, 3000.0), (0.0, 0.0, 0.0), (0.0, 1.0, 0.0))


class Room:
    """One desk and one wall, both on the single layout, and the channel between them."""

    def __init__(self, qtbot: QtBot) -> None:
        spec = load_layout(shipped_layouts() / "single.toml")
        self.qtbot = qtbot
        self.desk = WallManager(
            spec, lambda pid: RecordingMap(DESK_CAMERA) if pid == "map3d" else None, restore=False
        )
        self.wall = WallManager(
            spec, lambda pid: RecordingMap(WALL_CAMERA) if pid == "map3d" else None, restore=False
        )
        for manager in (self.desk, self.wall):
            manager.show()
            for window in manager.windows:
                qtbot.waitExposed(window)
        server = ControlServer(
            "tcp://127.0.0.1:*", regions=(), presets=(), wall_name="main-wall", site="rotterdam"
        )
        self.control = WallControl(self.wall, server)
        self.control.start()
        assert server.bound_endpoint
        self.pusher = WallPusher(ControlClient(server.bound_endpoint), timeout_s=3)

    def push(self, command: Command) -> Reply:
        with self.qtbot.waitSignal(self.pusher.sig_reply_received, timeout=5000) as blocker:
            self.pusher.push(command)
        sent, reply = blocker.args
        assert sent is command
        assert isinstance(reply, Reply)
        return reply

    def close(self) -> None:
        self.pusher.wait()
        self.control.stop()
        for manager in (self.desk, self.wall):
            manager.close()


@pytest.fixture
def room(qapp: QApplication, qtbot: QtBot) -> Iterator[Room]:
    r = Room(qtbot)
    yield r
    r.close()
    qtbot.waitUntil(lambda: not [w for w in QApplication.topLevelWidgets() if w.objectName() == "WallWindow"])


def test_desk_switches_the_walls_preset(room: Room, qtbot: QtBot) -> None:
    assert room.wall.preset == "normal"
    handled: list[tuple[Command, Reply]] = []
    room.control.sig_command_handled.connect(lambda c, r: handled.append((c, r)))
    command = SwitchPreset(name="alarms", sender="desk-3")
    reply = room.push(command)
    assert str(reply) == "applied" and reply.wall == "main-wall"
    assert room.wall.preset == "alarms"
    assert room.desk.preset == "normal"  # only the wall changed
    assert handled == [(command, reply)]


def test_desk_pushes_its_3d_view_onto_the_walls_map(room: Room) -> None:
    desk_map = room.desk.panel_widget("map")
    wall_map = room.wall.panel_widget("map")
    assert isinstance(wall_map, RecordingMap) and wall_map.camera == WALL_CAMERA
    command = view_command(desk_map, "map", site="rotterdam", sender="desk-3")
    assert (command.lon, command.lat) == (4.4777, 51.9244)
    assert room.push(command).applied
    assert wall_map.camera == DESK_CAMERA


def test_a_view_from_another_site_frame_falls_back_to_lon_lat(room: Room) -> None:
    command = view_command(room.desk.panel_widget("map"), "map", site="shanghai", sender="desk-3")
    assert room.push(command).applied
    wall_map = room.wall.panel_widget("map")
    assert isinstance(wall_map, RecordingMap)
    assert wall_map.camera == WALL_CAMERA  # local coordinates of another site would be nonsense here
    assert wall_map.focused == [(4.4777, 51.9244, "desk-3")]


def test_incident_focus_reaches_the_map(room: Room) -> None:
    reply = room.push(PushIncident(region="map", incident_id="INC-42", lon=4.48, lat=51.92, label="Fire"))
    assert reply.applied
    wall_map = room.wall.panel_widget("map")
    assert isinstance(wall_map, RecordingMap) and wall_map.focused == [(4.48, 51.92, "Fire")]


def test_unknown_region_is_refused_with_the_region_names(room: Room) -> None:
    reply = room.push(PushIncident(region="roof", incident_id="INC-42", lon=4.48, lat=51.92))
    assert (
        str(reply) == "refused: unknown region 'roof'; this wall's regions are: status, map, details, vitals"
    )


def test_a_panel_that_cannot_show_it_is_refused_naming_the_panel(room: Room) -> None:
    reply = room.push(PushCamera(region="vitals", camera_id="cam-017"))
    assert str(reply) == "refused: region 'vitals' shows panel 'kpi', which cannot show a camera"
    view = view_command(room.desk.panel_widget("map"), "status")
    assert room.push(view).reason == "region 'status' shows panel 'status', which cannot show a 3D view"


def test_unreachable_wall_reports_failure_without_blocking_the_desk(qapp: QApplication, qtbot: QtBot) -> None:
    port = free_port()
    pusher = WallPusher(ControlClient(f"tcp://127.0.0.1:{port}"), timeout_s=0.3)
    with qtbot.waitSignal(pusher.sig_push_failed, timeout=5000) as blocker:
        pusher.push(SwitchPreset(name="normal"))
        assert pusher.wait(0) is False  # push returned at once; the send runs in the background
    assert "no answer from the wall" in blocker.args[1]


def test_a_map_without_a_geographic_frame_still_pushes_its_view() -> None:
    """A city in local metres (no CRS) has no lon/lat at its focal point: the push carries the camera only."""

    class LocalMap:
        def camera_view(self) -> tuple[tuple[float, ...], ...]:
            return ((0.0, -500.0, 800.0), (0.0, 0.0, 0.0), (0.0, 0.0, 1.0))

        def focal_lonlat(self) -> None:
            return None

    command = view_command(LocalMap(), "map", site="demo")
    assert command.focal_point == (0.0, 0.0, 0.0)
    assert command.lon is None and command.lat is None
