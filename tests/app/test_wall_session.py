"""`controlroom run --layout`: real panels from the factory on simulated monitors, and a desk
pushing its 3D view to a wall instance over the real control channel on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from controlroom.core.city import CityModel
from controlroom.core.shipped import shipped_layouts
from controlroom.core.site import Site, load_site
from controlroom.layouts.files import load_layout
from tests.qt.monitors import WALL, H, Monitors, W

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def site(sample_site_factory: Callable[[str], Path]) -> Site:
    return load_site(sample_site_factory("sample-site"))


@pytest.fixture(scope="module")
def model(site: Site) -> CityModel:
    from controlroom.geo.city_loader import load_city

    return load_city(site)


def _with_wall(site: Site, **wall: object) -> Site:
    return site.model_copy(update={"wall": site.wall.model_copy(update=wall)})


def _live(site: Site, model: CityModel, qtbot: QtBot):  # type: ignore[no-untyped-def]
    from controlroom.qt.live import LiveCity
    from controlroom.render.theme import configure_pyvista

    configure_pyvista()
    live = LiveCity(site, feed=False)
    return live


@pytest.fixture
def sessions(qtbot: QtBot) -> Iterator[list]:  # type: ignore[type-arg]
    made: list = []  # type: ignore[type-arg]
    yield made
    for s in made:
        s.stop()
    qtbot.waitUntil(lambda: not [w for w in QApplication.topLevelWidgets() if w.isVisible()], timeout=5000)


def test_wall_3x2_shows_the_real_map_across_four_monitors(
    site: Site,
    model: CityModel,
    monitors: Monitors,
    sessions: list,
    qtbot: QtBot,  # type: ignore[type-arg]
) -> None:
    from controlroom.app.wall_session import WallSession
    from controlroom.panels.map3d import MapPanel

    monitors.set(WALL)
    session = WallSession(
        site, load_layout(shipped_layouts() / "wall-3x2.toml"), live=_live(site, model, qtbot), restore=False
    )
    sessions.append(session)
    session.start()
    session.live.set_model(model)
    panel = session.manager.panel_widget("map")
    assert isinstance(panel, MapPanel)
    assert session.manager.window_for_region("map").geometry().getRect() == (0, 0, 2 * W, 2 * H)
    assert not panel.toolbar.isVisible(), "a wall seen from 5 m has no operator toolbar"
    assert panel.bezel is not None and len(panel.bezel.tiles) == 4
    assert panel._bezel_tiles is not None and len(panel._bezel_tiles.renderers) == 4, "one view per monitor"
    qtbot.wait(200)
    image = panel.interactor.grab().toImage()
    arr = np.array(
        [
            [image.pixelColor(x, y).value() for x in range(0, image.width(), 8)]
            for y in range(0, image.height(), 8)
        ]
    )
    assert arr.std() > 10, "the spanning map shows no city"


def test_desk_pushes_its_3d_view_to_a_wall_instance(
    site: Site,
    model: CityModel,
    sessions: list,
    qtbot: QtBot,  # type: ignore[type-arg]
) -> None:
    from controlroom.app.main_window import MainWindow
    from controlroom.app.wall_session import WallSession

    wall_site = _with_wall(site, name="main-wall", control_endpoint="tcp://127.0.0.1:*")
    wall = WallSession(
        wall_site,
        load_layout(shipped_layouts() / "single.toml"),
        live=_live(site, model, qtbot),
        restore=False,
    )
    sessions.append(wall)
    wall.start()
    assert wall.control_endpoint is None, "push-to-wall waits until the wall can apply commands"
    with qtbot.waitSignal(wall.control.sig_listening, timeout=10_000):
        wall.live.set_model(model)
    assert wall.control_endpoint and not wall.control_endpoint.endswith("*")

    from controlroom.core.site import WallTarget

    desk_site = _with_wall(site, targets=[WallTarget(name="main-wall", endpoint=wall.control_endpoint)])
    desk = MainWindow(desk_site, feed=False, docks=())
    qtbot.addWidget(desk)
    desk.show()
    desk.live.set_model(model)
    desk.map_panel.fly_to("cbd")
    wanted = desk.map_panel.camera_view()
    wall_map = wall.manager.panel_widget("map")
    assert not np.allclose(wall_map.camera_view()[0], wanted[0])  # type: ignore[attr-defined]
    action = next(a for a in desk.push_menu.actions() if "main-wall" in a.text())
    with qtbot.waitSignal(desk.push_menu.pushers["main-wall"].sig_reply_received, timeout=5000) as got:
        action.trigger()
    assert got.args[1].applied, got.args[1]
    assert np.allclose(wall_map.camera_view(), wanted, atol=1e-6)  # type: ignore[attr-defined]
    desk.close()


def test_a_bad_layout_name_is_refused_before_any_window_opens(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    from controlroom.app.cli import main

    code = main(["run", "--site", str(site.path), "--layout", "wall-9x9"])
    assert code == 2
    err = capsys.readouterr().err
    assert "wall-9x9" in err


@pytest.mark.slow
def test_two_app_processes_push_to_wall_over_loopback(site: Site, tmp_path: Path) -> None:
    """A real wall process (`run --layout`) and `wall push` from another process: preset and 3D view."""
    import json
    import os
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    endpoint = f"tcp://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "controlroom", "run", "--site", str(site.path), "--layout", "single"]
    wall = subprocess.Popen(
        [*cmd, "--no-feed", "--control-endpoint", endpoint],
        env={**os.environ, "CONTROLROOM_CONFIG_DIR": str(tmp_path / "cfg")},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wall.stderr is not None
        deadline = time.monotonic() + 60
        line = ""
        while "push-to-wall: listening" not in line and time.monotonic() < deadline:
            line = wall.stderr.readline()
            assert line or wall.poll() is None, f"the wall exited early ({wall.returncode})"
        assert "listening" in line, "the wall never started its control channel"

        def push(*args: str) -> dict[str, object]:
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "controlroom",
                    "wall",
                    "push",
                    "--endpoint",
                    endpoint,
                    "--json",
                    *args,
                ],
                capture_output=True,
                text=True,
                timeout=60,
            )
            return {"code": out.returncode, **json.loads(out.stdout or "{}")}

        reply = push("--preset", "alarms")
        assert reply["code"] == 0 and reply["status"] == "applied", reply
        view = tmp_path / "view.json"
        view.write_text(
            json.dumps({"position": [500, -2500, 1500], "focal_point": [0, 0, 0], "up": [0, 0, 1]})
        )
        reply = push("--region", "map", "--view-json", str(view))
        assert reply["code"] == 0 and reply["status"] == "applied", reply
        reply = push("--region", "nowhere", "--view-json", str(view))
        assert reply["code"] == 1 and "nowhere" in str(reply["reason"]), reply
    finally:
        wall.terminate()
        wall.wait(20)
        if wall.stderr is not None:
            wall.stderr.close()


def test_an_alarm_category_switches_the_wall_preset_and_back(
    site: Site,
    model: CityModel,
    sessions: list,
    qtbot: QtBot,  # type: ignore[type-arg]
) -> None:
    from controlroom.app.wall_session import WallSession
    from controlroom.qt.alarm_service import alarm_service_for

    session = WallSession(
        site, load_layout(shipped_layouts() / "single.toml"), live=_live(site, model, qtbot), restore=False
    )
    sessions.append(session)
    session.start()
    assert session.manager.preset == "normal"
    service = alarm_service_for(session.live)
    service.sig_preset_wanted.emit("no-such-preset")
    assert session.manager.preset == "normal", "an unknown preset is ignored, not fatal"
    service.sig_preset_wanted.emit("alarms")
    assert session.manager.preset == "alarms"
    service.sig_preset_revert.emit()
    assert session.manager.preset == "normal"


def test_a_wall_key_without_its_pair_is_refused_naming_the_section(site: Site, tmp_path: Path) -> None:
    from controlroom.app.wall_session import PushMenu, WallSession
    from controlroom.core.site import WallTarget
    from controlroom.feed.keys import FeedSecurityError

    half = _with_wall(
        site, control_endpoint="tcp://127.0.0.1:*", server_secret_key=tmp_path / "wall.key_secret"
    )
    with pytest.raises(FeedSecurityError, match=r"\[wall\] needs both server_secret_key and authorized_keys"):
        WallSession(half, load_layout(shipped_layouts() / "single.toml"), feed=False, restore=False)
    desk = _with_wall(
        site,
        client_secret_key=tmp_path / "desk.key_secret",
        targets=[WallTarget(name="main-wall", endpoint="tcp://127.0.0.1:7730")],
    )
    menu = PushMenu(desk, QWidget())
    assert not menu.isEnabled() and "main-wall" in menu.toolTip(), "the desk opens; the bad target is named"
