"""The incidents panel renders the desk's rows: codes translated, text from the feed escaped,
buttons as ``core.dispatch_model.allowed_actions`` says — no gateway needed to see that."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.panels import live_city

pytestmark = pytest.mark.gui


def test_feed_text_is_shown_as_text_and_codes_as_words(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from controlroom.core.incidents import IncidentState
    from controlroom.dispatch import wire
    from controlroom.dispatch.client import DispatchClient
    from controlroom.dispatch.outbox import Outbox
    from controlroom.feed.pump import ChangeSet
    from controlroom.live.events import Source
    from controlroom.panels.incidents import DispatchBridge, IncidentsPanel
    from controlroom.qt.live import LiveCity

    clock = live_city.Clock()
    live = LiveCity(live_city.test_site(tmp_path), feed=False, clock=clock)
    client = DispatchClient("tcp://127.0.0.1:9", Outbox(tmp_path / "outbox.sqlite"))  # never started
    panel = IncidentsPanel(live, DispatchBridge(live, client))
    qtbot.addWidget(panel)
    try:
        report = '<img src="x"> blocking & <b>shouting</b>'
        t = clock()
        state = IncidentState("INC-9", "illegal_parking", 3, 5.0, 6.0, (), report, "new", t - 120, t)
        live.state.live.incidents.apply([state])
        live.state.apply(ChangeSet(incidents_updated=1), source=Source.FEED)
        assert panel.queue.ids == ["INC-9"]
        cells = [panel.queue.item(0, col).text() for col in range(panel.queue.columnCount())]
        assert cells == ["3", "2 min", "Illegal parking", "", "New", "INC-9"]
        panel.select("INC-9", announce=False)
        assert panel.title.text() == "Illegal parking — New   [INC-9]"
        assert "&lt;b&gt;shouting&lt;/b&gt;" in panel.detail.text() and "<img" not in panel.detail.text()
        assert panel.buttons["dispatch"].isEnabled() and not panel.buttons["close"].isEnabled()
        cancelled = {"id": "INC-9", "type": "illegal_parking", "severity": 3, "status": "cancelled",
                     "district": "Tianhe <Centre>", "department": "Traffic Police"}  # fmt: skip
        live.desk.take_event(wire.Event(seq=1, ts=t, epoch=1.0, incident=cancelled))
        assert panel.title.text() == "Illegal parking — Cancelled   [INC-9]"
        assert "Tianhe &lt;Centre&gt;" in panel.detail.text()
        assert not any(b.isEnabled() for k, b in panel.buttons.items() if k != "cameras")
    finally:
        panel.shutdown()
        live.stop()
        live.deleteLater()


def test_the_timeline_reads_the_sites_clock_not_this_machines(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from controlroom.dispatch.client import DispatchClient
    from controlroom.dispatch.outbox import Outbox
    from controlroom.panels.incidents import DispatchBridge, IncidentsPanel
    from controlroom.qt.live import LiveCity

    monkeypatch.setenv("TZ", "America/Los_Angeles")  # the desk PC is set to another zone
    time.tzset()
    live = LiveCity(live_city.test_site(tmp_path), feed=False, clock=live_city.Clock())
    assert live.site.site.timezone == "Asia/Shanghai"
    client = DispatchClient("tcp://127.0.0.1:9", Outbox(tmp_path / "outbox.sqlite"))  # never started
    panel = IncidentsPanel(live, DispatchBridge(live, client))
    qtbot.addWidget(panel)
    try:
        at = 1765000000.0  # 2025-12-06 05:46:40 UTC: 13:46:40 in Shanghai, 21:46:40 the day before in LA
        panel._show_timeline(({"at": at, "kind": "acknowledge", "user": "li", "desk": "d1"},))
        assert panel.timeline.item(0).text().startswith("13:46:40  li@d1  ")
    finally:
        panel.shutdown()
        live.stop()
        live.deleteLater()
        monkeypatch.undo()
        time.tzset()
