"""The wall on simulated monitors: Xvfb + ``xrandr --setmonitor`` gives Qt real, hot-pluggable screens.

Monitors are 640×360 so a 3 × 2 wall fits the suite's 1920×1080 Xvfb screen; the layouts' nominal
resolutions do not matter, placement uses the real screens. Every test removes its monitors again.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from controlroom.core.shipped import shipped_layouts
from controlroom.layouts.files import load_layout
from controlroom.layouts.spec import LayoutSpec
from controlroom.qt.wall.manager import WallManager
from controlroom.qt.wall.window import PlaceholderPanel
from tests.qt.monitors import WALL, H, Monitor, Monitors, W

pytestmark = pytest.mark.gui

LAYOUTS = shipped_layouts()


def only_kpi(panel_id: str) -> QWidget | None:
    """A factory that has a real widget for 'kpi' only: every other panel becomes a placeholder."""
    if panel_id == "kpi":
        label = QLabel("KPI")
        label.setObjectName("kpi-panel")
        return label
    return None


@pytest.fixture
def make_wall(qtbot: QtBot) -> Iterator[Callable[..., WallManager]]:
    made: list[WallManager] = []

    def make(
        spec: LayoutSpec, factory: Callable[[str], QWidget | None] = only_kpi, restore: bool = False
    ) -> WallManager:
        manager = WallManager(spec, factory, restore=restore)
        manager.show()
        for window in manager.windows:
            qtbot.waitExposed(window)
        made.append(manager)
        return manager

    yield make
    for manager in made:
        manager.close()
    qtbot.waitUntil(lambda: not [w for w in QApplication.topLevelWidgets() if w.objectName() == "WallWindow"])


def global_rect(widget: QWidget) -> tuple[int, int, int, int]:
    top_left = widget.mapToGlobal(QPoint(0, 0))
    return (top_left.x(), top_left.y(), widget.width(), widget.height())


def placed(manager: WallManager) -> dict[str, tuple[str, str, tuple[int, int, int, int]]]:
    """region → (panel id, screen name of its window, global rect), read from the real widgets."""
    out = {}
    for window in manager.windows:
        for region, widget in window.panels().items():
            panel = widget.panel_id if isinstance(widget, PlaceholderPanel) else widget.objectName()
            out[region] = (panel, window.screen().name(), global_rect(widget))
    return out


def beside_banner(manager: WallManager) -> dict[str, tuple[str, str, tuple[int, int]]]:
    """``placed()`` as x and width only, after asserting no panel is under a showing banner."""
    out = {}
    for window in manager.windows:
        banner = window.banner.geometry() if window.banner.isVisible() else None
        for region, widget in window.panels().items():
            if banner is not None:
                assert not widget.geometry().intersects(banner), f"{region} is under the banner"
                assert widget.height() > 0, f"{region} was squeezed away"
    for region, (panel, screen, (x, _y, w, _h)) in placed(manager).items():
        out[region] = (panel, screen, (x, w))
    return out


def test_wall_3x2_puts_each_panel_on_its_screen(
    monitors: Monitors, make_wall: Callable[..., WallManager]
) -> None:
    monitors.set(WALL)
    manager = make_wall(load_layout(LAYOUTS / "wall-3x2.toml"))
    got = placed(manager)
    assert got["status"] == ("status", "W02", (2 * W, 0, W, H // 8))  # title and clock above vitals
    assert got["vitals"] == ("kpi-panel", "W02", (2 * W, H // 8, W, H - H // 8))
    assert got["cameras"] == ("video_grid", "W12", (2 * W, H, W, H))
    # the map spans the 2 × 2 block: one window covering all four monitors
    panel, _screen, rect = got["map"]
    assert panel == "map3d" and rect == (0, 0, 2 * W, 2 * H)
    span = manager.window_for_region("map")
    assert span.geometry().getRect() == (0, 0, 2 * W, 2 * H)
    assert span.plan.screens == ("W00", "W01", "W10", "W11")
    bezel = manager.panel_widget("map").bezel  # type: ignore[attr-defined]
    (gap_x,), (gap_y,) = bezel.gaps_px
    assert gap_x == pytest.approx(3.5 * W / 1209.6, abs=1e-3) and gap_y == pytest.approx(
        3.5 * H / 680.4, abs=1e-3
    )
    assert all(not w.banner.isVisible() for w in manager.windows)
    assert manager.window_for_region("vitals").isFullScreen()


@pytest.mark.parametrize(
    ("layout", "mons", "expected"),
    [
        (
            "operator-desk",
            [("D0", W, H, 0, 0), ("D1", W, H, W, 0)],
            {
                "map": ("map3d", "D0", (0, 0, W, H)),
                "upper": ("video_grid", "D1", (W, 0, W, H // 2)),
                "lower": ("incidents", "D1", (W, H // 2, W, H // 2)),
            },
        ),
        (
            "briefing-laptop",
            [("L0", 960, 540, 0, 0)],
            {
                "map": ("map3d", "L0", (0, 0, 640, 540)),
                "summary": ("briefing", "L0", (640, 0, 320, 540)),  # the leader's view: no dispatch desk
            },
        ),
        (
            "single",
            [("S0", 800, 640, 0, 0)],
            {
                "status": ("status", "S0", (0, 0, 800, 80)),
                "map": ("map3d", "S0", (0, 80, 600, 560)),
                "details": ("object_info", "S0", (600, 80, 200, 320)),
                "vitals": ("kpi-panel", "S0", (600, 400, 200, 240)),
            },
        ),
    ],
)
def test_shipped_layouts_place_panels(
    monitors: Monitors,
    make_wall: Callable[..., WallManager],
    layout: str,
    mons: list[Monitor],
    expected: dict[str, tuple[str, str, tuple[int, int, int, int]]],
) -> None:
    monitors.set(mons)
    manager = make_wall(load_layout(LAYOUTS / f"{layout}.toml"))
    assert placed(manager) == expected
    assert manager.banner_text() == ""


def test_fewer_screens_fall_back_with_a_message(
    monitors: Monitors, make_wall: Callable[..., WallManager]
) -> None:
    monitors.set(WALL[:3])  # only the top row is connected
    manager = make_wall(load_layout(LAYOUTS / "wall-3x2.toml"))
    got = beside_banner(manager)  # panels keep their columns, squeezed below the banner
    assert got["map"] == ("map3d", "W00", (0, 2 * W))
    assert got["status"] == ("status", "W02", (2 * W, W // 2))
    assert got["vitals"] == ("kpi-panel", "W02", (2 * W, W // 2))
    assert got["cameras"] == ("video_grid", "W02", (2 * W + W // 2, W // 2))
    text = manager.banner_text()
    assert "Monitors missing: B1, B2, B3" in text and "wants 6 screens; 3 found" in text
    assert "Camera video grid → A3" in text
    for window in manager.windows:
        assert window.banner.isVisible() and window.banner.label.text() == text


def test_hot_unplug_relayouts_without_restart(
    monitors: Monitors, make_wall: Callable[..., WallManager], qtbot: QtBot
) -> None:
    monitors.set(WALL)
    manager = make_wall(load_layout(LAYOUTS / "wall-3x2.toml"))
    cameras = manager.panel_widget("cameras")
    with qtbot.waitSignal(manager.sig_layout_applied, timeout=5000):
        monitors.remove("W12")
    assert manager.placement.assignment.missing == ("B3",)
    assert beside_banner(manager)["cameras"] == ("video_grid", "W02", (2 * W + W // 2, W // 2))
    assert manager.panel_widget("cameras") is cameras  # moved, not rebuilt
    assert manager.window_for_region("cameras").banner.isVisible()
    with qtbot.waitSignal(manager.sig_layout_applied, timeout=5000):
        monitors.set([WALL[5]])
    assert placed(manager)["cameras"] == ("video_grid", "W12", (2 * W, H, W, H))
    assert all(not w.banner.isVisible() for w in manager.windows)


def test_preset_switch_by_action_and_shortcut(
    monitors: Monitors, make_wall: Callable[..., WallManager], qtbot: QtBot
) -> None:
    monitors.set(WALL)
    manager = make_wall(load_layout(LAYOUTS / "wall-3x2.toml"))
    kpi = manager.panel_widget("vitals")
    flood = next(a for a in manager.preset_actions() if a.objectName() == "preset:flood")
    assert [s.toString() for s in flood.shortcuts()] == ["Ctrl+2", "F6"]
    with qtbot.waitSignal(manager.sig_preset_changed) as signal:
        flood.trigger()
    assert signal.args == ["flood"]
    assert placed(manager)["vitals"] == ("alarms", "W02", (2 * W, H // 8, W, H - H // 8))
    assert not kpi.isVisible()
    # the shortcuts work from whichever wall window has the keyboard
    qtbot.waitUntil(lambda: QApplication.activeWindow() in manager.windows)
    active = QApplication.activeWindow()
    qtbot.keyClick(active, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert manager.preset == "major-event"
    assert placed(manager)["vitals"][0] == "incidents"
    assert QApplication.activeWindow() is active  # a preset switch keeps the windows
    qtbot.keyClick(active, Qt.Key.Key_F5)
    assert manager.preset == "normal" and manager.panel_widget("vitals") is kpi


def test_state_is_saved_and_validated_against_the_screens(
    monitors: Monitors, make_wall: Callable[..., WallManager], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTROLROOM_CONFIG_DIR", str(tmp_path))
    monitors.set(WALL)
    spec = load_layout(LAYOUTS / "wall-3x2.toml")
    manager = make_wall(spec, restore=True)
    assert manager.restore_reason == "no saved state"
    manager.set_preset("flood")
    saved = json.loads((tmp_path / "wall-state" / "wall-3x2.json").read_text())
    assert saved["preset"] == "flood" and saved["assignment"]["A1"] == "W00"
    assert make_wall(spec, restore=True).preset == "flood"
    monitors.remove("W12")
    again = make_wall(spec, restore=True)  # the state from six screens is not trusted on five
    assert again.preset == "normal" and "screens changed" in again.restore_reason


def test_placeholders_name_the_missing_panel_and_broken_panels_do_not_kill_the_wall(
    monitors: Monitors, make_wall: Callable[..., WallManager]
) -> None:
    monitors.set([("S0", 800, 640, 0, 0)])

    def factory(panel_id: str) -> QWidget | None:
        if panel_id == "object_info":
            raise RuntimeError("no database")
        return only_kpi(panel_id)

    manager = make_wall(load_layout(LAYOUTS / "single.toml"), factory)
    status = manager.panel_widget("status")
    texts = [label.text() for label in status.findChildren(QLabel)]
    assert "Panel 'status' is not available in this build." in texts
    assert "panel id: status · region: status" in texts
    broken = [label.text() for label in manager.panel_widget("details").findChildren(QLabel)]
    assert "Panel 'object_info' failed to start: no database" in broken


def test_windows_really_show_on_their_screens(
    monitors: Monitors, make_wall: Callable[..., WallManager]
) -> None:
    monitors.set(WALL)
    make_wall(load_layout(LAYOUTS / "wall-3x2.toml"))
    QApplication.processEvents()
    for screen in QGuiApplication.screens():
        image = screen.grabWindow(0).toImage()
        assert (image.width(), image.height()) == (W, H)
        colour = image.pixelColor(W // 2, H - 5)
        # dark wall surface, not the bare (black) X root window
        assert 10 < colour.red() + colour.green() + colour.blue() < 150, (screen.name(), colour.name())


def test_the_missing_monitor_banner_covers_no_panel_content(
    monitors: Monitors, make_wall: Callable[..., WallManager], sample_site_factory: Callable[[str], Path]
) -> None:
    """Half the 3 × 2 wall unplugged, with the real panels (map and its toolbar, vitals, cameras,
    status): the banner shows on every window and no label, button, field or view of a panel
    lies under it; the panels start below it instead."""
    from PySide6.QtCore import QRect

    from controlroom.app.panel_factory import make_panel
    from controlroom.core.site import load_site
    from controlroom.qt.live import LiveCity

    live = LiveCity(load_site(sample_site_factory("banner-site")), feed=False)
    monitors.set(WALL[:3])  # the wall asks for six screens; three are there
    try:
        manager = make_wall(load_layout(LAYOUTS / "wall-3x2.toml"), lambda pid: make_panel(pid, live))
        QApplication.processEvents()
        assert "Monitors missing: B1, B2, B3" in manager.banner_text()
        covered = []
        for window in manager.windows:
            assert window.banner.isVisible()
            band = window.banner.geometry()
            for region, panel in window.panels().items():
                assert not isinstance(panel, PlaceholderPanel), f"{region}: the real panel did not start"
                for w in [panel, *panel.findChildren(QWidget)]:
                    if not w.isVisibleTo(window) or w.width() <= 0 or w.height() <= 0:
                        continue
                    rect = QRect(w.mapTo(window, QPoint(0, 0)), w.size())
                    if rect.intersects(band):
                        name = w.objectName() or type(w).__name__
                        covered.append(
                            f"{region}: {name} at {rect.getRect()} under the banner {band.getRect()}"
                        )
                if panel.geometry().top() <= band.bottom():
                    covered.append(f"{region}: the panel starts at y={panel.geometry().top()}, in the banner")
        assert not covered, "\n".join(covered)
    finally:
        for window in manager.windows if "manager" in locals() else []:
            for panel in window.panels().values():
                shutdown = getattr(panel, "shutdown", None)
                if callable(shutdown):
                    shutdown()
        live.stop()
