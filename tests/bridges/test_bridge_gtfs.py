"""GTFS-Realtime sources: the real Caltrain/BART feeds served over HTTP to a real bridge process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from controlroom.bridges.decode import gtfs_feed
from tests.bridges.conftest import BAY_AREA, ROOT, free_port, wait_for, write_site


class FeedServer:
    """Serves fixed bodies by path with an ETag, answering 304 to a matching If-None-Match."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.requests: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests[self.path] += 1
                body = owner.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                etag = f'"{len(body)}-{hash(body) & 0xFFFF:x}"'
                if self.headers.get("If-None-Match") == etag:
                    owner.not_modified[self.path] += 1
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def feed_server(shared_data: Path) -> Iterator[FeedServer]:
    rt = shared_data / "gtfs-rt/transitland-lib"
    server = FeedServer(
        {
            "/caltrain/vehicles.pb": (rt / "ct-vehicle-positions.pb").read_bytes(),
            "/bart/trips.pb": (rt / "bart-trip-updates.pb").read_bytes(),
            "/bart/alerts.pb": (rt / "bart-alerts.pb").read_bytes(),
            "/alerts": b"<html><body>503 Service Temporarily Unavailable</body></html>",
        }
    )
    yield server
    server.close()


def newer(pb: bytes) -> bytes:
    """The same feed stamped now (the agency's next version of the resource)."""
    from google.transit import gtfs_realtime_pb2

    msg = gtfs_realtime_pb2.FeedMessage()
    msg.ParseFromString(pb)
    msg.header.timestamp = int(time.time())
    return msg.SerializeToString()


def transit_source(server: FeedServer, publish: int, stale_after_s: float) -> str:
    paths = ("/caltrain/vehicles.pb", "/bart/trips.pb", "/bart/alerts.pb", "/alerts")
    urls = ", ".join(f'"{server.url(p)}"' for p in paths)
    return f"""[[sources]]
name = "transit"
kind = "gtfs-rt"
url = [{urls}]
publish = "tcp://127.0.0.1:{publish}"
poll_s = 0.3
heartbeat_s = 0.5
stale_after_s = {stale_after_s}

[[sources.map]]
match = "vehicle"
record = "position"
static = {{ kind = "other" }}
lookup.kind = {{ L1 = "bus", L4 = "bus" }}
[sources.map.fields]
id = "vehicle.vehicle.id | id"
kind = "vehicle.trip.route_id"
lon = "vehicle.position.longitude"
lat = "vehicle.position.latitude"
heading = "vehicle.position.bearing?"

[[sources.map]]
match = "trip_update"
record = "metric"
static = {{ name = "transit.on_time", unit = "%" }}
aggregate = "percent_at_most"
at_most = 300
[sources.map.fields]
value = "trip_update.stop_time_update[0].arrival.delay | trip_update.stop_time_update[0].departure.delay?"

[[sources.map]]
match = "alert"
record = "incident"
fields = {{ id = "id", text = "alert.header_text.translation[0].text", severity = "alert.effect" }}
lookup.severity = {{ SIGNIFICANT_DELAYS = 3, NO_SERVICE = 4 }}
static = {{ type = "road_damage", severity = 2, lon = -122.4013, lat = 37.7894 }}
"""


def test_recorded_feeds_reach_the_map_at_their_places(
    tmp_path: Path, shared_data: Path, feed_server: FeedServer, bridge_process: Any, pipeline: Any
) -> None:
    out = free_port()
    # the recordings are years old: accept them here (the next test shows they are flagged otherwise)
    site = write_site(tmp_path / "site", BAY_AREA, transit_source(feed_server, out, 1e10))
    feed = pipeline(f"tcp://127.0.0.1:{out}", BAY_AREA)
    bridge = bridge_process(site, "transit")
    vehicles = gtfs_feed((shared_data / "gtfs-rt/transitland-lib/ct-vehicle-positions.pb").read_bytes())
    expected = {
        e["vehicle"]["vehicle"]["id"]: (
            e["vehicle"]["position"]["longitude"],
            e["vehicle"]["position"]["latitude"],
        )
        for e in vehicles.parts["vehicle"]
    }
    entities = feed.pump.entities
    wait_for(lambda: "transit" in feed.stats.sources, "the bridge's heartbeat at our subscriber", log=bridge)
    # an unchanged feed is not fetched again (ETag → 304) nor re-sent …
    wait_for(
        lambda: feed_server.not_modified["/caltrain/vehicles.pb"] >= 1,
        "a 304 for an unchanged feed",
        log=bridge,
    )
    # … a changed one is (the agency's next snapshot: the same vehicles, stamped now)
    for path in ("/caltrain/vehicles.pb", "/bart/trips.pb", "/bart/alerts.pb"):
        feed_server.files[path] = newer(feed_server.files[path])
    assert feed.pump_until(lambda: len(entities) == len(expected), 15), bridge.stderr()[-2000:]
    for i, entity_id in enumerate(entities.ids):
        assert (float(entities.x[i]), float(entities.y[i])) == (
            pytest.approx(expected[entity_id][0]),
            pytest.approx(expected[entity_id][1]),
        )
    assert feed.pump_until(lambda: feed.pump.metrics.latest("transit.on_time") is not None, 10)
    assert feed.pump_until(lambda: feed.pump.incidents.get("BSA_187874") is not None, 10)
    alert = feed.pump.incidents.get("BSA_187874")
    assert alert is not None and "Montgomery" in alert.text and alert.severity == 3
    # 14 vehicles, one punctuality value and one alert, once per version of the feeds
    sent = 2 * (len(expected) + 2)
    wait_for(lambda: bridge.read_status().get("published") == sent, f"{sent} records published", log=bridge)
    status = bridge.read_status()
    assert set(status["rejected"]) == {"not_gtfs_rt"}  # the HTML error page, every poll; nothing else lost
    assert status["state"] == "live"
    assert not feed.stats.rejected


def test_a_stale_feed_is_flagged_not_shown_live(
    tmp_path: Path, feed_server: FeedServer, bridge_process: Any, pipeline: Any
) -> None:
    out = free_port()
    site = write_site(tmp_path / "site", BAY_AREA, transit_source(feed_server, out, 120))
    feed = pipeline(f"tcp://127.0.0.1:{out}", BAY_AREA)
    bridge = bridge_process(site, "transit")
    wait_for(lambda: bridge.read_status().get("state") == "stale", "the stale flag", log=bridge)
    polls = feed_server.requests["/caltrain/vehicles.pb"]
    wait_for(
        lambda: feed_server.requests["/caltrain/vehicles.pb"] >= polls + 3, "three more polls", log=bridge
    )
    status = bridge.read_status()
    assert status["published"] == 0 and status["rejected"]["stale_feed"] >= 1
    assert "old" in str(status["detail"])
    feed.pump.apply_pending(0.0)
    assert len(feed.pump.entities) == 0
    assert "transit" not in feed.stats.sources  # no heartbeat either: the app does not see it as live

    env = {**os.environ, "CONTROLROOM_STATE_DIR": str(bridge.status.parents[2]), "PYTHONPATH": str(ROOT)}
    listed = subprocess.run(
        [sys.executable, "-m", "controlroom.app.cli", "bridge", "list", "--site", str(site), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert row["source"] == "transit" and row["state"] == "stale" and row["rejected"]["stale_feed"] >= 1
