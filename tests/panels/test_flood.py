"""The flood what-if panel on a live city: drag the level, read the totals, export, route around."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from controlroom.core.site import parse_site
from controlroom.geo.crs import LocalFrame
from controlroom.geo.terrain import Terrain, write_dem
from tests.panels.live_city import SITE_TOML, Clock
from tests.render.city_factory import synthetic_city


def _site(tmp_path: Path):  # type: ignore[no-untyped-def]
    """The panel-test site with a DEM: the synthetic city's river (y −70…−35) at −2 m, the ground
    3 m at its bank rising 1 m per 100 m northwards over the blocks (y 0…320)."""
    xs = np.arange(-100.0, 425.0, 5.0)
    ys = np.arange(-100.0, 425.0, 5.0)
    z = np.broadcast_to((3.0 + (ys + 35.0) / 100.0)[:, None], (len(ys), len(xs))).astype(np.float32).copy()
    z[(ys >= -72) & (ys <= -33)] = -2.0
    frame = LocalFrame("EPSG:32650", 500000.0, 3400000.0)
    write_dem(tmp_path / "dem.tif", Terrain(z, float(xs[0]), float(ys[0]), 5.0), frame)
    return parse_site(SITE_TOML + '[terrain]\npath = "dem.tif"\n', tmp_path / "site.toml")


def test_the_level_slider_floods_the_banks_and_the_desk_can_act_on_it(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from controlroom.app.dispatch_route_wiring import road_router_for
    from controlroom.app.panel_factory import make_panel
    from controlroom.qt.flood_state import flood_state_for
    from controlroom.qt.live import LiveCity

    live = LiveCity(_site(tmp_path), feed=False, clock=Clock())
    live.set_model(synthetic_city(64))
    try:
        panel = make_panel("flood", live)
        qtbot.addWidget(panel)
        assert flood_state_for(live).scene is None  # nothing built until the what-if is looked at
        panel.show()
        qtbot.waitUntil(panel.slider.isEnabled, timeout=30_000)
        state = flood_state_for(live)
        with qtbot.waitSignal(state.sig_impact_changed, timeout=10_000):
            panel.set_level(4.5)  # the ground at y = 115: three rows of blocks get wet feet
        impact = state.impact
        assert impact is not None and impact.extent.level_m == 4.5
        s = impact.summary()
        assert s["buildings"]["flooded"] > 0 and s["buildings"]["wet"] > 0 and s["buildings"]["dry"] > 0
        assert panel.numbers["flooded"].text() == f"{s['buildings']['flooded']:,}"
        assert panel.level_label.text() == "4.50 m"
        assert panel.tree.topLevelItemCount() == 1  # no boundaries in this site: one "(no street)" row
        row = panel.tree.topLevelItem(0)
        assert int(row.text(1)) == s["buildings"]["flooded"] and int(row.text(2)) == s["buildings"]["wet"]

        rows = panel.export_csv(tmp_path / "evacuation.csv")
        assert rows == s["buildings"]["flooded"] + s["buildings"]["wet"]
        table = list(csv.reader((tmp_path / "evacuation.csv").read_text(encoding="utf-8-sig").splitlines()))
        assert table[0][3] == "建筑编号 Building ID" and len(table) == rows + 1

        with qtbot.waitSignal(state.sig_impact_changed, timeout=10_000):
            live.request_flood_what_if(4.8, "River breach level")  # an alarm's "What if?"
        assert state.impact is not None and state.impact.extent.level_m == 4.8
        assert panel.slider.value() == 480 and panel.status.text() == "What if: River breach level"
        with qtbot.waitSignal(state.sig_impact_changed, timeout=10_000):
            panel.set_level(4.5)

        router = road_router_for(live.model)
        assert router is not None
        panel.avoid.setChecked(True)  # the streets at the bank are under more than 0.3 m
        assert router.n_closed > 0
        with qtbot.waitSignal(state.sig_impact_changed, timeout=10_000):
            panel.set_level(3.2)  # the water goes down: every road open again
        assert router.n_closed == 0
        panel.avoid.setChecked(False)
        with qtbot.waitSignal(state.sig_impact_changed, timeout=10_000):
            panel.set_level(5.5)
        assert router.n_closed == 0  # not applied: routes keep every road
    finally:
        flood_state_for(live).stop()
        live.stop()
        live.deleteLater()


def test_a_building_or_road_in_the_lists_flies_the_map_there_and_selects_it(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Open a grid, double-click its deepest building: the map flies close to it and highlights it,
    the record goes to every selection panel; a cut road flies there; "Cameras around" asks for the
    cameras at the chosen row."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMainWindow

    from controlroom.app.panel_factory import make_panel
    from controlroom.panels.flood import FLY_CLOSE_M
    from controlroom.qt.flood_state import flood_state_for
    from controlroom.qt.live import LiveCity

    live = LiveCity(_site(tmp_path), feed=False, clock=Clock())
    live.set_model(synthetic_city(64))
    window = QMainWindow()
    try:
        map_panel = make_panel("map3d", live)
        flood = make_panel("flood", live)
        window.setCentralWidget(map_panel)
        window.resize(900, 600)
        qtbot.addWidget(window)
        qtbot.addWidget(flood)
        window.show()
        flood.show()
        qtbot.waitUntil(flood.slider.isEnabled, timeout=30_000)
        state = flood_state_for(live)
        map_panel.layers._clock_timer.stop()  # type: ignore[attr-defined]  # only a new level redraws
        water = map_panel.overlay("flood_water")  # type: ignore[attr-defined]
        with qtbot.waitSignal(state.sig_impact_changed, timeout=10_000):
            flood.set_level(4.5)
        impact = state.impact
        qtbot.waitUntil(lambda: water.level_m == 4.5, timeout=5_000)  # the map follows the slider
        grid = flood.tree.topLevelItem(0).child(0)
        assert grid.childCount() == 0  # the buildings are listed only when the grid is opened
        grid.setExpanded(True)
        affected = impact.affected_buildings()
        assert grid.childCount() == len(affected)
        row = grid.child(0)
        deepest = int(affected[0])
        b = impact.scene.buildings
        label = b.names[deepest] or b.ids[deepest]
        assert row.text(0) == f"{label} · {impact.building_depth[deepest]:.2f} m"

        focus: list[tuple[float, float, float, str]] = []
        selected: list[object] = []
        live.sig_focus.connect(lambda *a: focus.append(a))
        live.sig_object_selected.connect(selected.append)
        flood.tree.itemDoubleClicked.emit(row, 0)
        assert focus[-1] == (b.x[deepest], b.y[deepest], FLY_CLOSE_M, label)
        assert selected and selected[-1]["id"] == b.ids[deepest]  # type: ignore[index]
        obj = int(np.flatnonzero(b.object_building == deepest)[0])
        assert map_panel.scene.selection == ("buildings", obj)  # type: ignore[attr-defined]
        qtbot.waitUntil(
            lambda: np.hypot(map_panel.plotter.camera.focal_point[0] - b.x[deepest],  # type: ignore[attr-defined]
                             map_panel.plotter.camera.focal_point[1] - b.y[deepest]) < 5.0,  # type: ignore[attr-defined]
            timeout=10_000,
        )  # fmt: skip

        road = flood.roads.topLevelItem(0)
        name, km, x, y = impact.cut_roads()[0]
        assert road.text(0) == name and float(road.text(1)) == round(km, 2) > 0
        flood.roads.itemDoubleClicked.emit(road, 0)
        assert focus[-1] == (x, y, FLY_CLOSE_M, name)
        asked: list[tuple[float, float, str]] = []
        live.sig_cameras_around.connect(lambda *a: asked.append(a))
        flood.roads.setCurrentItem(road)
        flood.cameras_button.click()
        assert asked == [(x, y, f"Cameras around {name}")]
        flood.tree.setCurrentItem(row)
        qtbot.mouseClick(flood.cameras_button, Qt.MouseButton.LeftButton)
        assert asked[-1] == (b.x[deepest], b.y[deepest], f"Cameras around {label}")
    finally:
        flood_state_for(live).stop()
        live.stop()
        live.deleteLater()


def test_a_live_river_gauge_drives_the_what_if(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A real publisher on loopback sends RIVER01's readings: the panel shows the gauge and marks it
    on the slider; "Set to the highest gauge reading" floods to it; a new reading moves it."""
    from controlroom.app.panel_factory import make_panel
    from controlroom.core.protocol import SensorReading
    from controlroom.feed.publisher import FeedPublisher
    from controlroom.panels.flood import NOW_COLOUR
    from controlroom.qt.flood_state import flood_state_for
    from controlroom.qt.live import LiveCity

    live = LiveCity(_site(tmp_path), feed=False, clock=Clock())
    live.set_model(synthetic_city(64))
    pub = FeedPublisher("tcp://127.0.0.1:*", snapshot_endpoint="tcp://127.0.0.1:*", source="gauges")
    lon, lat = (float(v[0]) for v in live.frame.to_wgs84([100.0], [-50.0]))
    try:
        live.start_feed(endpoint=pub.endpoint, snapshot_endpoint=pub.snapshot_endpoint)
        panel = make_panel("flood", live)
        qtbot.addWidget(panel)
        panel.show()
        qtbot.waitUntil(panel.slider.isEnabled, timeout=30_000)
        state = flood_state_for(live)

        def publish(value: float) -> None:
            def arrived() -> bool:
                pub.sensors([SensorReading("RIVER01", "river_level", value, lon, lat, "m")])
                live.pump_now()
                return state.gauge_levels().get("RIVER01") == value

            qtbot.waitUntil(arrived, timeout=10_000)
            panel.show_gauges()

        publish(4.6)
        assert "Highest gauge: RIVER01 at 4.60 m" in panel.gauges.text()
        assert (460, NOW_COLOUR, "now") in panel.slider.marks and panel.to_gauge.isEnabled()
        with qtbot.waitSignal(state.sig_impact_changed, timeout=10_000):
            panel.to_gauge.click()
        high = state.impact
        assert high is not None and high.extent.level_m == 4.6 and panel.slider.value() == 460
        publish(3.4)  # the river falls: the next click floods less
        with qtbot.waitSignal(state.sig_impact_changed, timeout=10_000):
            panel.to_gauge.click()
        low = state.impact
        assert low is not None and low.extent.level_m == 3.4
        assert low.count(2) + low.count(1) < high.count(2) + high.count(1)
    finally:
        flood_state_for(live).stop()
        live.stop()
        pub.close()
        live.deleteLater()


def test_without_terrain_the_panel_says_so_and_offers_flat_ground(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from controlroom.app.panel_factory import make_panel
    from controlroom.qt.flood_state import flood_state_for
    from controlroom.qt.live import LiveCity

    site = parse_site(SITE_TOML + "[flood]\nflat_ground_m = 2.0\n", tmp_path / "site.toml")
    live = LiveCity(site, feed=False, clock=Clock())
    live.set_model(synthetic_city(64))
    try:
        panel = make_panel("flood", live)
        qtbot.addWidget(panel)
        panel.show()
        qtbot.waitUntil(panel.flat_button.isVisible, timeout=30_000)
        assert (
            "No what-if for this site:" in panel.status.text() and "has no [terrain]" in panel.status.text()
        )
        assert not panel.slider.isEnabled()
        panel.flat_button.click()
        qtbot.waitUntil(panel.slider.isEnabled, timeout=30_000)
        assert not panel.flat_button.isVisible() and panel.ground_note.isVisible()
        assert "flat at 2.00 m" in panel.ground_note.text()
        state = flood_state_for(live)
        with qtbot.waitSignal(state.sig_impact_changed, timeout=10_000):
            panel.set_level(2.6)
        s = state.impact.summary()  # type: ignore[union-attr]
        assert s["ground"] == "flat" and s["buildings"]["dry"] == 0 and s["buildings"]["flooded"] > 0
        assert state.scene.draw_offset_m == 2.0  # type: ignore[union-attr]  # the city stands on z = 0
    finally:
        flood_state_for(live).stop()
        live.stop()
        live.deleteLater()
