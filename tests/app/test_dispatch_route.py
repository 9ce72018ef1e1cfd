"""The map's dispatch route, end to end: a real gateway assigns a unit to an incident, the
operator selects the incident, and the 3D map (as the app builds it) draws the unit's way there
by road; when the feed reports the unit elsewhere the line starts from its new place, on the
same actors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from controlroom.core.protocol import Position
from controlroom.core.site import load_site
from controlroom.dispatch.client import DispatchClient
from controlroom.dispatch.outbox import Outbox
from controlroom.feed.publisher import FeedPublisher
from tests.dispatch.conftest import start_gateway

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def sample_site(sample_site_factory: Callable[[str], Path]) -> Path:
    return sample_site_factory("route-site")


@pytest.fixture(scope="module")
def city(sample_site: Path):  # type: ignore[no-untyped-def]
    from controlroom.geo.city_loader import load_city

    return load_city(load_site(sample_site))


@pytest.mark.slow
def test_assigned_unit_route_is_drawn_and_follows_the_unit(
    qtbot, sample_site: Path, city, tmp_path: Path, shots_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QMainWindow

    from controlroom.app.panel_factory import make_panel
    from controlroom.qt.dispatch_bridge import DispatchBridge
    from controlroom.qt.live import LiveCity
    from controlroom.render.overlays.base import top_layer

    site = load_site(sample_site)
    g = start_gateway(sample_site, tmp_path / "gw.sqlite")
    feed = FeedPublisher("tcp://127.0.0.1:0", source="sim", snapshot_endpoint="tcp://127.0.0.1:0")
    live = LiveCity(site, feed=False)
    live.set_model(city)
    live.start_feed(endpoint=feed.endpoint, snapshot_endpoint=feed.snapshot_endpoint)
    client = DispatchClient(
        g.endpoint, Outbox(tmp_path / "outbox.sqlite"), publish_endpoint=g.publish_endpoint,
        user="demo-supervisor", desk="desk-1", retry_s=0.3,
    )  # fmt: skip
    bridge = DispatchBridge(
        live, client, parent=live, publish_endpoint=g.publish_endpoint, snapshot_endpoint=g.snapshot_endpoint
    )
    bridge.start()
    window = QMainWindow()
    try:
        panel = make_panel("map3d", live)
        window.setCentralWidget(panel)
        window.resize(1100, 750)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        overlay = panel.overlay("dispatch_route")  # type: ignore[attr-defined]
        qtbot.waitUntil(lambda: "U0001" in bridge.unit_rows, timeout=10_000)

        # an incident in the north-east, across the river from unit U0001 (south-west)
        lon, lat = (float(v[0]) for v in live.frame.to_wgs84([1900.0], [1300.0]))
        client.order("create", incident_id="RT-1", type="illegal_parking", severity=3, lon=lon, lat=lat)
        client.order("assign", incident_id="RT-1", unit_id="U0001")
        assignments: list[tuple[str, str]] = []
        bridge.sig_assignment.connect(lambda inc, unit: assignments.append((inc, unit)))
        live.select_incident("RT-1")

        def drawn() -> bool:
            live.pump_now()
            panel.refresh_overlays()  # type: ignore[attr-defined]
            return "U0001" in overlay.routes

        qtbot.waitUntil(drawn, timeout=10_000)
        assert ("RT-1", "U0001") in assignments and bridge.units_on("RT-1") == ["U0001"]
        layer = top_layer(panel.plotter)  # type: ignore[attr-defined]
        actors = layer.GetActors().GetNumberOfItems()
        route = overlay.routes["U0001"]
        assert route.by_road and len(route.points) > 10 and overlay.mesh.n_lines == 1
        incident = live.incidents.get("RT-1")
        assert np.allclose(route.points[-1], (incident.x, incident.y))
        start = np.array(live.frame.from_wgs84([113.3345332], [23.0902738])).ravel()  # registry place
        assert np.allclose(route.points[0], start, atol=0.01)
        panel.focus_on(float(route.points[:, 0].mean()), float(route.points[:, 1].mean()), 6000.0)  # type: ignore[attr-defined]
        panel.refresh_overlays()  # type: ignore[attr-defined]
        qtbot.wait(100)
        panel.grab().save(str(shots_dir / "dispatch_route_test.png"))

        # the feed reports the unit 600 m further east: the line now starts there
        ulon, ulat = 113.3404, 23.0902738
        moved = np.array(live.frame.from_wgs84([ulon], [ulat])).ravel()

        def followed() -> bool:
            feed.positions([Position("U0001", "police", ulon, ulat)])
            live.pump_now()
            panel.refresh_overlays()  # type: ignore[attr-defined]
            r = overlay.routes.get("U0001")
            return r is not None and np.allclose(r.points[0], moved, atol=0.01)

        qtbot.waitUntil(followed, timeout=10_000)
        assert layer.GetActors().GetNumberOfItems() == actors

        client.order("unit_status", incident_id="RT-1", unit_id="U0001", status="available")
        qtbot.waitUntil(lambda: drawn() is False, timeout=10_000)  # released: no route drawn
        assert ("", "U0001") in assignments
    finally:
        window.close()
        bridge.shutdown()
        live.stop()
        feed.close()
        g.stop()
