"""The alarm banner in a narrow dock: the priority ("FORECAST · HIGH") stays whole, the message
ends in "…" with the whole text as its tooltip, and it goes under the badge when beside it would
leave only a few letters (the 1366×768 desk's alarm dock is about 270 px wide)."""

from __future__ import annotations

import time

import pytest
from PySide6.QtGui import QFontMetrics
from pytestqt.qtbot import QtBot

from controlroom.core.alarms.lifecycle import Alarm
from controlroom.panels.alarms.banner import AlarmBanner

pytestmark = pytest.mark.gui


def _forecast(now: float) -> Alarm:
    return Alarm(
        id="A1", key="k", rule_id="r", title="River", message="Pearl River gauge 3 above the warning level",
        priority="high", category="flood", subject="G3", x=0.0, y=0.0, district="Zhubei", cameras=[],
        layer=None, procedure="", raised_at=now, predicted=True, eta_s=900.0,
    )  # fmt: skip


@pytest.mark.parametrize("width", [2560, 420, 270, 160])
def test_forecast_priority_stays_whole_and_the_message_keeps_a_tooltip(qtbot: QtBot, width: int) -> None:
    now = time.time()
    banner = AlarmBanner(lambda: now)
    qtbot.addWidget(banner)
    banner.show_alarm(_forecast(now))
    banner.resize(width, 140)
    banner.show()
    qtbot.waitExposed(banner)
    qtbot.wait(50)
    badge = banner.badge
    assert badge.text().startswith("FORECAST") and "HIGH" in badge.text()
    need = QFontMetrics(badge.font()).horizontalAdvance(badge.text())
    assert need <= badge.contentsRect().width(), f"badge cut: needs {need}, has {badge.width()}"
    assert badge.geometry().right() <= banner.contentsRect().right()
    message = banner.text
    assert "Pearl River" in message.text()
    if message.shown_text() != message.text():  # elided: the whole text is one hover away
        assert message.shown_text().endswith("…") and message.toolTip() == message.text()
    if width >= 2560:
        assert message.shown_text() == message.text()  # a wall or a wide desk shows it all
    if width <= 270:  # a laptop dock: the message gets its own line, not three letters
        assert message.geometry().top() >= badge.geometry().bottom()
