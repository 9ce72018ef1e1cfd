"""The dispatch desk against a real gateway process and a real feed: an alarm becomes an
incident, one click dispatches the nearest unit, and the incident is followed to closed — in
the panel and on the live board the map draws from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from controlroom.core.site import load_site
from controlroom.dispatch.client import DispatchClient
from controlroom.dispatch.outbox import Outbox
from controlroom.feed.publisher import FeedPublisher
from tests.dispatch.conftest import start_gateway

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def city(sample_site: Path):  # type: ignore[no-untyped-def]
    from controlroom.geo.city_loader import load_city

    return load_city(load_site(sample_site))


@pytest.fixture(scope="module")
def sample_site(sample_site_factory: Callable[[str], Path]) -> Path:
    return sample_site_factory("incidents-site")


def test_alarm_to_closed_with_one_click_dispatch(
    qtbot, sample_site: Path, city, tmp_path: Path, shots_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    from controlroom.panels.incidents import DispatchBridge, IncidentsPanel
    from controlroom.qt.live import LiveCity

    site = load_site(sample_site)
    g = start_gateway(sample_site, tmp_path / "gw.sqlite")
    feed = FeedPublisher("tcp://127.0.0.1:0", source="sim", snapshot_endpoint="tcp://127.0.0.1:0")
    live = LiveCity(site, feed=False)
    live.set_model(city)
    live.start_feed(endpoint=feed.endpoint, snapshot_endpoint=feed.snapshot_endpoint)
    client = DispatchClient(
        g.endpoint,
        Outbox(tmp_path / "outbox.sqlite"),
        publish_endpoint=g.publish_endpoint,
        user="demo-supervisor",
        desk="desk-1",
        retry_s=0.3,
    )
    bridge = DispatchBridge(
        live, client, publish_endpoint=g.publish_endpoint, snapshot_endpoint=g.snapshot_endpoint
    )
    panel = IncidentsPanel(live, bridge)
    bridge.start()
    qtbot.addWidget(panel)
    panel.resize(1400, 900)
    panel.show()
    focus: list[tuple] = []
    selected: list[str] = []
    live.sig_focus.connect(lambda *a: focus.append(a))
    live.sig_incident_selected.connect(selected.append)

    def board_status(incident_id: str) -> str | None:
        live.pump_now()
        s = live.incidents.get(incident_id) if live.incidents is not None else None
        return s.status if s else None

    try:
        x, y = (float(v[0]) for v in live.frame.from_wgs84([113.3345], [23.0903]))  # type: ignore[union-attr]
        live.request_incident(
            {
                "id": "ALM-1",
                "type": "illegal_parking",
                "severity": 3,
                "x": x,
                "y": y,
                "text": "blocking a fire lane",
                "camera_ids": ["CAM00001"],
            }
        )
        qtbot.waitUntil(lambda: board_status("ALM-1") == "new" and "ALM-1" in panel.queue.ids, timeout=10000)
        panel.queue.selectRow(panel.queue.ids.index("ALM-1"))
        # the state's events reach the GUI through its one hand-over: on a later event-loop turn
        qtbot.waitUntil(lambda: bool(selected and focus), timeout=5000)
        assert selected == ["ALM-1"] and focus and focus[-1][3] == "ALM-1"
        qtbot.waitUntil(lambda: panel.alternatives.count() > 0, timeout=5000)
        assert panel.details["ALM-1"]["department"] == "Traffic Police"
        assert "police" in panel.alternatives.item(0).text()
        nearest = panel.suggestions[0]["unit_id"]
        qtbot.mouseClick(panel.buttons["dispatch"], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: board_status("ALM-1") == "dispatched", timeout=5000)
        qtbot.waitUntil(lambda: panel.unit_board.status_of(nearest) == "dispatched", timeout=5000)
        assert "Traffic Police" in panel.detail.text() and nearest in panel.detail.text()
        panel.grab().save(str(shots_dir / "incidents_panel.png"))
        for key, status in (("on_scene", "on_scene"), ("resolve", "resolved")):
            qtbot.mouseClick(panel.buttons[key], Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda s=status: panel.details["ALM-1"]["status"] == s, timeout=5000)
        panel.activateWindow()
        panel.queue.setFocus()
        qtbot.waitUntil(panel.isActiveWindow, timeout=5000)
        qtbot.keyClick(panel.queue, Qt.Key.Key_X)  # close, by keyboard
        qtbot.waitUntil(lambda: panel.details["ALM-1"]["status"] == "closed", timeout=5000)
        qtbot.waitUntil(
            lambda: board_status("ALM-1") == "closed" and "ALM-1" not in panel.queue.ids, timeout=5000
        )
        qtbot.waitUntil(lambda: panel.timeline.count() == 5, timeout=5000)
        assert "demo-supervisor@desk-1" in panel.timeline.item(1).text()
        assert panel.client.outbox.counts() == {
            "pending": 0,
            "acknowledged": 5,
            "refused": 0,
            "retried": 0,
            "dropped": 0,
        }
    finally:
        panel.shutdown()
        panel.close()
        live.stop()
        feed.close()
        g.stop()


def test_panels_of_one_instance_share_one_client(qtbot, sample_site: Path) -> None:  # type: ignore[no-untyped-def]
    from controlroom.app.panel_factory import make_panel
    from controlroom.qt.live import LiveCity

    live = LiveCity(load_site(sample_site), feed=False)
    desk = make_panel("incidents", live)
    wall = make_panel("incidents", live)
    qtbot.addWidget(desk)
    qtbot.addWidget(wall)
    try:
        assert desk.client is wall.client and desk.client.running  # type: ignore[attr-defined]
        assert desk.title.text() == "No incident selected"  # type: ignore[attr-defined]
        assert not desk.buttons["dispatch"].isEnabled()  # type: ignore[attr-defined]
    finally:
        desk.shutdown()  # type: ignore[attr-defined]
    assert not wall.client.running  # type: ignore[attr-defined]


def test_a_panel_opened_after_the_state_read_shows_every_incidents_district(  # type: ignore[no-untyped-def]
    qtbot, sample_site: Path, city, tmp_path: Path
) -> None:
    """The app starts the dispatch bridge before its window, so the gateway's state (incidents it
    already holds, e.g. from earlier runs) is read before any incidents panel exists; a panel
    opened then (or later, from the Panels menu) must still show their districts, not only those
    of incidents that change afterwards."""
    import time

    from controlroom.core.protocol import Incident
    from controlroom.panels.incidents import DispatchBridge, IncidentsPanel
    from controlroom.qt.live import LiveCity

    site = load_site(sample_site)
    feed = FeedPublisher("tcp://127.0.0.1:0", source="sim", snapshot_endpoint="tcp://127.0.0.1:0")
    now = time.time()
    feed.incidents(
        [
            Incident("SIM-S", "illegal_construction", 2, 113.3056, 23.0939, [], "south", "new", now - 300),
            Incident("SIM-N", "garbage_piled_up", 2, 113.3040, 23.1276, [], "north", "new", now - 200),
        ]
    )
    g = start_gateway(
        sample_site,
        tmp_path / "gw.sqlite",
        "--feed-endpoint",
        feed.endpoint,
        "--feed-snapshot-endpoint",
        str(feed.snapshot_endpoint),
    )
    probe = DispatchClient(g.endpoint, Outbox(tmp_path / "probe.sqlite"), user="demo-operator").start()
    live = LiveCity(site, feed=False)
    live.set_model(city)
    live.start_feed(endpoint=feed.endpoint, snapshot_endpoint=feed.snapshot_endpoint)
    client = DispatchClient(
        g.endpoint,
        Outbox(tmp_path / "outbox.sqlite"),
        publish_endpoint=g.publish_endpoint,
        user="demo-operator",
        desk="wall",
    )
    bridge = DispatchBridge(
        live, client, publish_endpoint=g.publish_endpoint, snapshot_endpoint=g.snapshot_endpoint
    )
    panel: IncidentsPanel | None = None
    try:
        deadline = time.monotonic() + 15
        while {i["id"] for i in probe.ask("state").result["incidents"]} != {"SIM-S", "SIM-N"}:
            assert time.monotonic() < deadline, "the gateway never imported the feed's incidents"
            time.sleep(0.1)
        bridge.start()  # as the app does: before any panel
        qtbot.waitUntil(lambda: client.state_seq >= 0, timeout=10000)
        qtbot.wait(300)  # the state read is delivered on the GUI thread; no event follows it
        panel = IncidentsPanel(live, bridge)
        qtbot.addWidget(panel)
        panel.show()

        def districts() -> dict[str, str]:
            live.pump_now()
            panel.refresh_queue()  # type: ignore[union-attr]
            q = panel.queue  # type: ignore[union-attr]
            return {q.item(r, 5).text(): q.item(r, 3).text() for r in range(q.rowCount())}

        qtbot.waitUntil(lambda: set(districts()) == {"SIM-S", "SIM-N"}, timeout=10000)
        # an English desk reads the site's English names; the filter still keys on the data's name
        assert districts() == {"SIM-S": "Nanzhou District", "SIM-N": "Zhubei District"}
        assert panel.district.itemText(panel.district.findData("南洲区")) == "Nanzhou District"
        assert panel.district.findData("珠北区") >= 0
    finally:
        if panel is not None:
            panel.shutdown()
            panel.close()
        else:
            bridge.shutdown()
        probe.close()
        live.stop()
        feed.close()
        g.stop()


def test_a_refused_order_waits_on_the_desk_to_be_retried_or_dropped(  # type: ignore[no-untyped-def]
    qtbot, sample_site: Path, tmp_path: Path
) -> None:
    from PySide6.QtCore import Qt

    from controlroom.panels.incidents import DispatchBridge, IncidentsPanel
    from controlroom.qt.live import LiveCity

    g = start_gateway(sample_site, tmp_path / "gw.sqlite")
    live = LiveCity(load_site(sample_site), feed=False)
    client = DispatchClient(
        g.endpoint, Outbox(tmp_path / "outbox.sqlite"), user="demo-supervisor", desk="desk-1", retry_s=0.3
    )
    bridge = DispatchBridge(live, client)
    panel = IncidentsPanel(live, bridge)
    bridge.start()
    qtbot.addWidget(panel)
    panel.show()

    def refused() -> list[str]:
        return [panel.refused.item(i).text() for i in range(panel.refused.count())]

    try:
        client.order("create", incident_id="INC-P", type="road_damage", severity=2, lon=113.3345, lat=23.0903)
        early = client.order("resolve", incident_id="INC-P", text="patched")
        late = client.order("close", incident_id="INC-P")
        qtbot.waitUntil(lambda: len(refused()) == 2, timeout=10000)
        assert panel.refused_box.isVisible() and not panel.retry_button.isEnabled()
        assert (
            refused()[1]
            == "✗ Resolve INC-P — incident INC-P is new; cannot resolve (acknowledge or dispatch it first)"
        )
        client.order("acknowledge", incident_id="INC-P")
        assert client.wait_settled(10)
        panel.refused.item(1).setSelected(True)
        assert panel.retry_button.isEnabled()
        qtbot.mouseClick(panel.retry_button, Qt.MouseButton.LeftButton)
        assert refused() == [f"✗ Close INC-P — {client.outbox.get(late.command_id).reason}"]  # type: ignore[union-attr]
        qtbot.waitUntil(lambda: client.outbox.counts()["acknowledged"] == 3, timeout=10000)
        panel.refused.item(0).setSelected(True)
        qtbot.mouseClick(panel.drop_button, Qt.MouseButton.LeftButton)
        assert refused() == [] and not panel.refused_box.isVisible()
        assert client.outbox.get(early.command_id).state == "retried"  # type: ignore[union-attr]
        assert client.outbox.get(late.command_id).state == "dropped"  # type: ignore[union-attr]
        assert client.ask("incident", id="INC-P").result["incident"]["status"] == "resolved"
    finally:
        panel.shutdown()
        panel.close()
        live.stop()
        g.stop()


def test_a_desk_without_an_answering_gateway_says_so(qtbot, sample_site: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from controlroom.panels.incidents import DispatchBridge, IncidentsPanel
    from controlroom.qt.live import LiveCity

    endpoint = "tcp://127.0.0.1:1"  # nothing listens there
    live = LiveCity(load_site(sample_site), feed=False)
    client = DispatchClient(endpoint, Outbox(tmp_path / "o.sqlite"), user="demo-operator", silence_s=1.0)
    bridge = DispatchBridge(live, client)
    panel = IncidentsPanel(live, bridge)
    bridge.start()
    qtbot.addWidget(panel)
    panel.show()
    try:
        assert not panel.link.isVisible()
        client.order("acknowledge", incident_id="INC-Q")
        qtbot.waitUntil(panel.link.isVisible, timeout=5000)
        assert panel.link.text().startswith(f"Gateway link: no answer from the gateway at {endpoint} for 1 s")
    finally:
        panel.shutdown()
        panel.close()
        live.stop()
