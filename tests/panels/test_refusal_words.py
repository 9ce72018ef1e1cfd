"""A real gateway refuses an order, and the desk says why in the operator's language: the state
machine's reason comes back as English text on the wire, the desk reads its code and fields and
shows the translated reason (statuses translated too) in the order strip and the refused list."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from controlroom.core.site import load_site
from controlroom.dispatch.client import DispatchClient
from controlroom.dispatch.outbox import Outbox
from tests.dispatch.conftest import start_gateway
from tests.words import language, stray_english

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def sample_site(sample_site_factory: Callable[[str], Path]) -> Path:
    return sample_site_factory("refusal-site")


def _shown_desk(qtbot: QtBot, live: Any, bridge: Any) -> Any:
    """The incident desk over ``bridge``, started and shown (in the language installed now)."""
    from controlroom.panels.incidents import IncidentsPanel

    panel = IncidentsPanel(live, bridge)
    bridge.start()
    qtbot.addWidget(panel)
    panel.show()
    return panel


def test_a_gateway_refusal_reads_in_chinese_and_in_english(
    qtbot: QtBot, sample_site: Path, tmp_path: Path
) -> None:
    from controlroom.panels.incidents import DispatchBridge
    from controlroom.qt.live import LiveCity

    g = start_gateway(sample_site, tmp_path / "gw.sqlite")
    live = LiveCity(load_site(sample_site), feed=False)
    client = DispatchClient(
        g.endpoint, Outbox(tmp_path / "outbox.sqlite"), user="demo-supervisor", desk="desk-1", retry_s=0.3
    )
    bridge = DispatchBridge(
        live, client, publish_endpoint=g.publish_endpoint, snapshot_endpoint=g.snapshot_endpoint
    )
    try:
        with language("zh_CN"):
            panel = _shown_desk(qtbot, live, bridge)
            client.order(
                "create", incident_id="REF-1", type="illegal_parking", severity=2, lon=113.3345, lat=23.0903
            )
            qtbot.waitUntil(lambda: client.outbox.counts()["acknowledged"] == 1, timeout=15_000)
            client.order("close", incident_id="REF-1")  # a new incident cannot be closed: refused
            qtbot.waitUntil(lambda: panel.refused.count() == 1, timeout=15_000)
            (entry,) = client.outbox.entries(state="refused")
            assert entry.reason == "incident REF-1 is new; only a resolved incident can be closed"  # the wire
            shown = panel.refused.item(0).text()
            assert shown == "✗ 结案 REF-1 — 事件 REF-1 为“新上报”；只有已办结的事件可以结案", shown
            assert "只有已办结的事件可以结案" in panel.orders.text()
            assert not stray_english([("refused", shown), ("orders", panel.orders.text())])
        panel._show_orders()  # the same refusal, back in English
        assert (
            panel.refused.item(0)
            .text()
            .endswith("incident REF-1 is new; only a resolved incident can be closed")
        )
    finally:
        bridge.shutdown()
        live.stop()
        g.stop()


def test_a_desk_says_in_chinese_that_its_gateway_does_not_answer(
    qtbot: QtBot, sample_site: Path, tmp_path: Path
) -> None:
    """The link's diagnosis is English on the client thread (logs); the desk shows it translated."""
    from controlroom.panels.incidents import DispatchBridge
    from controlroom.qt.live import LiveCity

    endpoint = "tcp://127.0.0.1:1"  # nothing listens there
    live = LiveCity(load_site(sample_site), feed=False)
    client = DispatchClient(endpoint, Outbox(tmp_path / "o.sqlite"), user="demo-operator", silence_s=1.0)
    bridge = DispatchBridge(live, client)
    try:
        with language("zh_CN"):
            panel = _shown_desk(qtbot, live, bridge)
            client.order("acknowledge", incident_id="INC-Q")
            qtbot.waitUntil(panel.link.isVisible, timeout=10_000)
            text = panel.link.text()
            assert text.startswith(f"网关连接：1 秒内未收到 {endpoint} 网关的应答：无法建立连接"), text
            assert "no answer" not in text
    finally:
        bridge.shutdown()
        live.stop()
