"""The vital-signs panel fed over a real loopback feed: the number shows, the tile turns red past alarm."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from controlroom.core.protocol import MetricPoint
from controlroom.panels.kpi import LEVEL_COLOURS, KpiPanel, trend_arrow
from controlroom.render.overlays.base import rgb255
from tests.panels.live_city import Clock, live_city

pytestmark = pytest.mark.gui


def _reddish_fraction(widget) -> float:  # type: ignore[no-untyped-def]
    image = widget.grab().toImage()
    buffer = image.convertToFormat(image.Format.Format_RGB888)
    arr = np.frombuffer(buffer.constBits(), np.uint8).reshape(buffer.height(), buffer.bytesPerLine())
    rgb = arr[:, : buffer.width() * 3].reshape(buffer.height(), buffer.width(), 3).astype(int)
    red = np.array(rgb255(LEVEL_COLOURS["alarm"]))
    return float((np.abs(rgb - red).sum(axis=2) < 60).mean())


def test_a_published_metric_shows_and_turns_to_alarm_colour(qtbot, tmp_path: Path, shots_dir: Path) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    with live_city(tmp_path, clock) as (live, pub):
        panel = KpiPanel(live.site.metrics, live.clock)
        qtbot.addWidget(panel)
        panel.resize(900, 500)
        panel.show()
        qtbot.waitExposed(panel)
        panel.attach_live(live)
        tile = panel.tile("aqi")
        assert tile.value_text() == "—" and tile.title_label.text() == "Air quality"

        def send(value: float):  # type: ignore[no-untyped-def]
            def go() -> bool:
                pub.metrics([MetricPoint("aqi", value, clock.t, "AQI")])
                live.pump_now()
                return tile.value_text() == f"{value:.0f}"

            return go

        qtbot.waitUntil(send(82.0), timeout=5_000)
        assert tile.level == "ok"
        calm = _reddish_fraction(tile)
        clock.t += 60.0
        qtbot.waitUntil(send(171.0), timeout=5_000)
        assert tile.level == "alarm"
        assert tile.trend_label.text() == "▲"
        qtbot.wait(50)
        assert _reddish_fraction(tile) > calm + 0.005, "the alarm shows in red on the tile"
        # a metric the site does not list still gets a tile
        qtbot.waitUntil(lambda: _other(pub, live, clock, panel), timeout=5_000)
        panel.grab().save(str(shots_dir / "kpi_panel.png"))
        panel.close()


def _other(pub, live, clock, panel) -> bool:  # type: ignore[no-untyped-def]
    pub.metrics([MetricPoint("power_load_mw", 1234.5, clock.t, "MW")])
    live.pump_now()
    return "power_load_mw" in panel.tiles and panel.tile("power_load_mw").value_text() == "1,234.5"


def test_trend_arrow_compares_with_five_minutes_ago() -> None:
    t = np.array([0.0, 300.0, 600.0])
    assert trend_arrow(t, np.array([10.0, 10.0, 12.0])) == "▲"
    assert trend_arrow(t, np.array([10.0, 12.0, 10.0])) == "▼"
    assert trend_arrow(t, np.array([10.0, 10.0, 10.05])) == "▶"
    assert trend_arrow(t[:1], np.array([1.0])) == ""
