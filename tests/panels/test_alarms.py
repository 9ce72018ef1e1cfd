"""The alarm desk on a live city: a rising river gauge gives a forecast alarm, then the real one;
the operator acknowledges it with a comment (the audit trail keeps it), flies there, and the
banner always shows the most urgent alarm nobody has acknowledged yet."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from controlroom.core.protocol import SensorReading
from tests.panels.live_city import Clock, live_city

pytestmark = pytest.mark.gui

RULES = """
schema = 1

[[rule]]
id = "river_warning"
kind = "threshold"
title = "River above the warning line"
priority = "high"
category = "flood"
sensor_kind = "river_level"
above = 3.0
hysteresis = 0.1
forecast_horizon_s = 1800
message = "{subject}: {value:.2f} {unit}"
procedure = "Call the water authority duty officer."

[[rule]]
id = "river_breach"
kind = "threshold"
title = "River breach level"
priority = "critical"
category = "flood"
sensor_kind = "river_level"
above = 3.5
message = "{subject}: breach at {value:.2f} {unit}"
"""


def _send(qtbot, live, pub, clock: Clock, value: float, lonlat: tuple[float, float]) -> None:  # type: ignore[no-untyped-def]
    """Publish one gauge reading at the test clock's time and pump until the live city has it."""

    def arrived() -> bool:
        pub.sensors([SensorReading("RIVER01", "river_level", value, *lonlat, "m")])
        live.pump_now()
        s = live.sensors
        return s is not None and len(s) > 0 and abs(float(s.value[0]) - value) < 1e-9

    qtbot.waitUntil(arrived, timeout=5_000)


def test_forecast_then_real_alarm_ack_and_fly_there(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    from controlroom.panels.alarms import AlarmsPanel
    from controlroom.qt.alarm_service import alarm_service_for, audit_db_path

    (tmp_path / "alarms.toml").write_text(RULES, encoding="utf-8")
    clock = Clock()
    with live_city(tmp_path, clock) as (live, pub):
        service = alarm_service_for(live)
        assert service.ready and service.error is None
        panel = AlarmsPanel(live)
        qtbot.addWidget(panel)
        panel.resize(1600, 800)
        panel.show()
        qtbot.waitExposed(panel)
        lon, lat = (float(v[0]) for v in live.frame.to_wgs84([60.0], [40.0]))
        focus: list[tuple] = []
        live.sig_focus.connect(lambda *a: focus.append(a))

        for k in range(12):  # 2.60 m rising 0.02 m per 30 s: the 3.0 m line in about 8 minutes
            _send(qtbot, live, pub, clock, 2.60 + 0.02 * k, (lon, lat))
            clock.t += 30.0
        service.evaluate()
        assert panel.table.rowCount() == 1
        alarm = service.open_alarms()[0]
        assert alarm.predicted and alarm.rule_id == "river_warning"
        row_text = panel.table.item(0, 5).text()
        assert row_text.startswith("forecast: crossing in") and "±" in row_text
        assert panel.table.item(0, 1).text() == "Forecast"
        assert panel.banner.badge.text() == "FORECAST · HIGH"
        what_if: list[tuple] = []
        live.sig_flood_what_if.connect(lambda *a: what_if.append(a))
        assert panel.buttons["what_if"].isEnabled()  # a river gauge's alarm: the flood what-if is one click
        qtbot.mouseClick(panel.buttons["what_if"], Qt.MouseButton.LeftButton)
        assert what_if == [(3.0, "River above the warning line")]  # the line the forecast will cross
        from controlroom.panels.flood import FORECAST_COLOUR, NOW_COLOUR, FloodPanel

        flood = FloodPanel(live)  # the what-if's slider marks the gauge now and the forecast line
        qtbot.addWidget(flood)
        flood.show_gauges()
        assert (300, FORECAST_COLOUR, "forecast") in flood.slider.marks
        assert (round(100 * float(live.sensors.value[0])), NOW_COLOUR, "now") in flood.slider.marks
        assert "Forecast: River above the warning line → 3.00 m" in flood.gauges.text()

        _send(qtbot, live, pub, clock, 3.12, (lon, lat))
        clock.t += 1.0
        service.evaluate()
        assert [a.id for a in service.open_alarms()] == [alarm.id], "the forecast became the real alarm"
        assert not alarm.predicted and alarm.state == "new"
        assert panel.table.item(0, 1).text() == "New" and "3.12" in panel.table.item(0, 5).text()
        assert panel.banner.badge.text() == "HIGH"
        assert "water authority" in panel.procedure.text()

        panel.table.select_id(alarm.id)
        qtbot.keyClicks(panel.comment, "gauge checked on camera, real rise")
        qtbot.mouseClick(panel.buttons["acknowledge"], Qt.MouseButton.LeftButton)
        assert alarm.state == "acknowledged" and alarm.acknowledged_by == service.user
        assert panel.table.item(0, 1).text() == "Acknowledged"
        assert panel.banner.alarm is None, "nothing waits any more"
        db = sqlite3.connect(audit_db_path(live.site))
        rows = db.execute(
            "SELECT action, who, comment FROM alarm_audit WHERE alarm_id = ?", (alarm.id,)
        ).fetchall()
        db.close()
        assert [r[0] for r in rows] == ["predicted", "confirmed", "acknowledged"]
        assert rows[-1][1:] == (service.user, "gauge checked on camera, real rise")

        qtbot.mouseClick(panel.buttons["fly"], Qt.MouseButton.LeftButton)
        assert focus and focus[-1][0] == pytest.approx(alarm.x) and focus[-1][1] == pytest.approx(alarm.y)
        assert focus[-1][0] == pytest.approx(60.0, abs=0.5) and focus[-1][1] == pytest.approx(40.0, abs=0.5)
        assert focus[-1][3] == "River above the warning line"
        panel.shutdown()


def test_banner_shows_the_most_urgent_unacknowledged_alarm_and_flashes_when_critical(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path
) -> None:
    from controlroom.panels.alarms import AlarmsPanel
    from controlroom.qt.alarm_service import alarm_service_for

    (tmp_path / "alarms.toml").write_text(RULES, encoding="utf-8")
    clock = Clock()
    with live_city(tmp_path, clock) as (live, pub):
        service = alarm_service_for(live)
        panel = AlarmsPanel(live)
        qtbot.addWidget(panel)
        panel.resize(1400, 700)
        panel.show()
        lon, lat = (float(v[0]) for v in live.frame.to_wgs84([30.0], [20.0]))
        _send(qtbot, live, pub, clock, 3.2, (lon, lat))
        service.evaluate()
        assert panel.banner.alarm is not None and panel.banner.alarm.priority == "high"
        assert not panel.banner.flashing
        clock.t += 5.0
        _send(qtbot, live, pub, clock, 3.7, (lon, lat))
        service.evaluate()
        critical = panel.banner.alarm
        assert critical is not None and critical.priority == "critical" and "breach" in critical.message
        assert panel.banner.flashing
        first = panel.banner.flash_on
        qtbot.waitUntil(lambda: panel.banner.flash_on != first, timeout=2_000)
        service.act("acknowledge", critical.id, "on it")
        assert panel.banner.alarm is not None and panel.banner.alarm.priority == "high"
        assert not panel.banner.flashing
        assert [panel.table.item(r, 0).text() for r in range(2)] == ["Critical", "High"]
        panel.shutdown()
