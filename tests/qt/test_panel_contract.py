"""The panel contract: a panel declares the id the layout asked for and is released when the
instance stops; a panel that breaks the contract is refused with a message naming it."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest

from tests.panels import live_city

pytestmark = pytest.mark.gui


def test_a_bound_panel_is_checked_and_released_when_the_instance_stops(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QWidget

    from controlroom.qt.live import LiveCity
    from controlroom.qt.panel_contract import LivePanel, PanelContractError, bind_panel

    class Gauge(LivePanel, QWidget):
        panel_id: ClassVar[str] = "kpi"

        def __init__(self) -> None:
            super().__init__()
            self.released = 0

        def release(self) -> None:
            self.released += 1

    live = LiveCity(live_city.test_site(tmp_path), feed=False)
    gauge, plain = Gauge(), QWidget()
    qtbot.addWidget(gauge)
    qtbot.addWidget(plain)
    with pytest.raises(PanelContractError, match="panel 'alarms': Gauge declares panel_id 'kpi'"):
        bind_panel(gauge, "alarms", live)
    with pytest.raises(PanelContractError, match="panel 'kpi': QWidget does not inherit LivePanel"):
        bind_panel(plain, "kpi", live)
    assert bind_panel(gauge, "kpi", live) is gauge
    assert gauge.panel_title() == "City vital signs"
    live.stop()
    assert gauge.released == 1
    live.deleteLater()
