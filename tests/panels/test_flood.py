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
