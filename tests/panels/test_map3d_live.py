"""The live layers on the 3D map, fed over a real loopback feed: place, fade, hover, click, no new actors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow

from controlroom.core.protocol import Incident, Position
from controlroom.panels.map3d import MapPanel
from controlroom.render.overlays.base import rgb255
from controlroom.render.overlays.entities import KIND_COLOURS
from controlroom.render.picking import world_to_display
from tests.panels.live_city import Clock, live_city
from tests.panels.map_pixels import SPOT, grab_map, lonlat, map_pixel, publish_until

pytestmark = pytest.mark.gui


@pytest.fixture
def setup(qtbot, tmp_path: Path) -> Iterator[tuple[MapPanel, Any, Any, Clock]]:  # type: ignore[no-untyped-def]
    clock = Clock()
    with live_city(tmp_path, clock) as (live, pub):
        window = QMainWindow()
        panel = MapPanel(window)
        window.setCentralWidget(panel)
        window.resize(1000, 700)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        panel.attach_live(live)
        panel.focus_on(SPOT[0], SPOT[1], 900.0)
        yield panel, live, pub, clock
        panel.close()
        window.close()


def _has_bus(live):  # type: ignore[no-untyped-def]
    return lambda: live.entities is not None and "BUS-7" in live.entities


def _has(incident_id: str, live):  # type: ignore[no-untyped-def]
    return lambda: live.incidents is not None and incident_id in live.incidents


def _send_bus(pub, live, heading: float = 90.0) -> None:  # type: ignore[no-untyped-def]
    lon, lat = lonlat(live, *SPOT)
    pub.positions([Position("BUS-7", "bus", lon, lat, heading, 9.0, "normal")])


def _actor_count(panel: MapPanel) -> int:
    window = panel.plotter.render_window
    renderers = window.GetRenderers()
    renderers.InitTraversal()
    return sum(
        renderers.GetNextItem().GetActors().GetNumberOfItems() for _ in range(renderers.GetNumberOfItems())
    )


def test_an_entity_published_at_a_lonlat_appears_there_on_the_map(setup, qtbot, shots_dir: Path) -> None:  # type: ignore[no-untyped-def]
    panel, live, pub, _clock = setup
    world = (SPOT[0], SPOT[1], 2.0)
    before = map_pixel(panel, grab_map(panel, qtbot), world)
    publish_until(qtbot, live, lambda: _send_bus(pub, live), _has_bus(live))
    overlay = panel.overlay("entities")
    assert overlay.item_ids == ["BUS-7"]
    np.testing.assert_allclose(overlay.anchors[0, :2], SPOT, atol=0.5)  # lon/lat → the site's metres
    after = map_pixel(panel, grab_map(panel, qtbot), world)
    bus = np.array(rgb255(KIND_COLOURS["bus"]))
    assert np.abs(after - bus).sum() < 60, f"expected the bus colour at its place, got {after}"
    assert np.abs(before - bus).sum() > 150, "the spot was not already bus-coloured"
    panel.window().grab().save(str(shots_dir / "map3d_live_entity.png"))


def test_a_silent_entity_fades_then_disappears(setup, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel, live, pub, clock = setup
    publish_until(qtbot, live, lambda: _send_bus(pub, live), _has_bus(live))
    overlay = panel.overlay("entities")
    world = (SPOT[0], SPOT[1], 2.0)
    fresh = map_pixel(panel, grab_map(panel, qtbot), world)
    clock.t += 45.0  # a bus times out after 30 s and fades over the next 30 s
    panel.refresh_overlays()
    assert overlay.opacity[0] == pytest.approx(0.5, abs=0.02)
    half = map_pixel(panel, grab_map(panel, qtbot), world)
    clock.t += 20.0  # past twice the timeout: the pump expires it
    live.pump_now()
    assert "BUS-7" not in live.entities
    qtbot.waitUntil(lambda: overlay.item_ids == [], timeout=1_000)  # the map refreshes within 0.1 s
    gone = map_pixel(panel, grab_map(panel, qtbot), world)
    background = np.abs(gone - fresh).sum()
    assert np.abs(half - fresh).sum() > 30, "a half-faded glyph looks different from a fresh one"
    assert background > np.abs(half - fresh).sum(), "after expiry the glyph is gone"


def test_overlays_update_in_place_without_new_actors(setup, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel, live, pub, clock = setup
    publish_until(qtbot, live, lambda: _send_bus(pub, live), _has_bus(live))
    count = _actor_count(panel)
    for step in range(5):
        lon, lat = lonlat(live, SPOT[0] + 10 * step, SPOT[1])
        pub.positions([Position(f"TAXI-{step}", "taxi", lon, lat, 0.0, 5.0) for _ in range(1)])
        _send_bus(pub, live, heading=30.0 * step)
        clock.t += 1.0
        qtbot.wait(30)
        live.pump_now()
        panel.refresh_overlays()
    assert len(live.entities) > 1
    assert _actor_count(panel) == count


def test_hover_shows_a_label_and_click_reports_the_item(setup, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel, live, pub, _clock = setup
    publish_until(qtbot, live, lambda: _send_bus(pub, live), _has_bus(live))
    x, y = world_to_display(panel.plotter, (SPOT[0], SPOT[1], 2.0))
    at = panel.widget_point(x, y)
    text = panel.hover_text(at)
    assert text is not None and "BUS-7 · Bus · Normal" in text and "32 km/h" in text
    qtbot.mouseMove(panel.interactor, at)
    qtbot.waitUntil(lambda: panel.layers.label.isVisible(), timeout=2_000)
    assert "BUS-7" in panel.layers.label.text()
    with qtbot.waitSignal(panel.sig_overlay_picked, timeout=2_000) as picked:
        qtbot.mouseClick(panel.interactor, Qt.MouseButton.LeftButton, pos=at)
    assert picked.args == ["entities", "BUS-7"]
    far = panel.widget_point(5, 5)
    assert panel.hover_text(far) is None


def test_hover_labels_speak_the_operators_language(setup, qtbot) -> None:  # type: ignore[no-untyped-def]
    from controlroom.qt.i18n import install_language

    panel, live, pub, _clock = setup
    publish_until(qtbot, live, lambda: _send_bus(pub, live), _has_bus(live))
    x, y = world_to_display(panel.plotter, (SPOT[0], SPOT[1], 2.0))
    try:
        install_language("zh_CN")
        text = panel.hover_text(panel.widget_point(x, y))
    finally:
        install_language("en")
    assert text is not None and text.startswith("BUS-7 · 公交车 · 正常"), text
    assert "32 公里/小时 · 最近上报：" in text and "km/h" not in text


def test_incidents_pulse_and_layers_toggle(setup, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel, live, pub, clock = setup
    lon, lat = lonlat(live, 300.0, 250.0)
    incident = Incident("INC-1", "waterlogging", 4, lon, lat, [], "Water on the road", "new", clock.t)
    publish_until(qtbot, live, lambda: pub.incidents([incident]), _has("INC-1", live))
    pins = panel.overlay("incidents")
    assert pins.item_ids == ["INC-1"]
    heights = []
    for dt in (0.0, 0.15, 0.3):
        clock.t += dt
        panel.refresh_overlays()
        heights.append(float(pins.mesh.points[:, 2].max()))
    assert max(heights) - min(heights) > 1.0, "the pin's head pulses on the clock"
    assert "INC-1" in pins.describe("INC-1") and "critical" in pins.describe("INC-1")
    action = panel.layer_actions["overlay:incidents"]
    action.setChecked(False)
    assert not pins.is_visible()
    assert panel.layer_actions["overlay:trails"].isChecked() is False  # trails start off


def test_the_map_redraws_at_most_ten_times_a_second_but_always_shows_the_last_tick(setup, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel, live, pub, _clock = setup
    publish_until(qtbot, live, lambda: _send_bus(pub, live), _has_bus(live))
    overlay = panel.overlay("entities")
    refreshed_at: list[float] = []
    original = panel.layers.stack.refresh

    def counted(now: float) -> bool:
        refreshed_at.append(time.monotonic())
        return original(now)

    panel.layers.stack.refresh = counted
    panel.layers.stop()  # only feed ticks refresh in this test (not the 4 Hz fade clock)
    start = time.monotonic()
    for heading in np.linspace(0.0, 180.0, 20):  # a second of feed ticks at the pump's 20 Hz
        live.entities.heading[0] = heading
        live.entities.version += 1
        live.sig_tick.emit(object())
        qtbot.wait(50)
    ticking_s = time.monotonic() - start  # ≥ 1 s; more on a loaded machine
    qtbot.wait(150)
    assert 7 <= len(refreshed_at) <= 10 * ticking_s + 2, (len(refreshed_at), ticking_s)
    assert min(np.diff(refreshed_at)) >= 0.09, "never two refreshes within 100 ms"
    theta = np.degrees(np.arctan2(*(overlay.mesh.points[0, :2] - overlay.anchors[0, :2])))
    assert theta % 360 == pytest.approx(180.0, abs=1.0), "the last tick's heading is drawn"
