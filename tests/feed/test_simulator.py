"""The simulated city drives on the real 花城大道 roads and raises incidents at real cameras."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest
import shapely

from controlroom.core.issues import InputError
from controlroom.core.protocol import INCIDENT_TYPES
from controlroom.core.site import load_site
from controlroom.feed.publisher import FeedPublisher
from controlroom.feed.simulator import CitySimulator, SimConfig
from controlroom.geo.crs import from_wgs84


def _with_registries(site_path: Path) -> Path:
    folder = site_path.parent
    (folder / "cameras.csv").write_text(
        "id,name,lon,lat\nCAM-A,Huacheng Ave east,113.3190,23.1210\nCAM-B,Huaxia Rd,113.3140,23.1240\n"
    )
    (folder / "units.csv").write_text(
        "id,name,type,lon,lat\nP-01,Patrol 1,police,113.315,23.121\nF-01,Engine 1,fire,113.318,23.124\n"
        "C-01,Chengguan 1,city_management,113.316,23.125\n"
    )
    text = site_path.read_text().replace(
        "[feed]",
        '[cameras]\npath = "cameras.csv"\ncrs = "EPSG:4326"\n\n'
        '[units]\npath = "units.csv"\ncrs = "EPSG:4326"\n\n[feed]',
    )
    site_path.write_text(text)
    return site_path


def _road_lines_utm(shared_data: Path) -> shapely.MultiLineString:
    import geopandas as gpd

    gdf = gpd.read_file(shared_data / "guangzhou" / "huacheng-local-roads.geojson").to_crs("EPSG:32649")
    return shapely.MultiLineString(list(gdf.geometry))


def test_fleet_drives_on_the_roads(huacheng_site: Path, shared_data: Path) -> None:
    sim = CitySimulator.from_site(load_site(huacheng_site), SimConfig(entities=500, seed=3))
    roads = _road_lines_utm(shared_data)
    for _ in range(30):  # 30 s of driving in 1 s steps: junctions get crossed
        recs = sim.step_positions(1.0)
    assert len(recs) == 500 and len({r.id for r in recs}) == 500
    x, y = from_wgs84([r.x for r in recs], [r.y for r in recs], "EPSG:32649")
    dist = shapely.distance(shapely.points(x, y), roads)
    assert np.max(dist) < 0.5  # on the road centre line
    kinds = {r.kind for r in recs}
    assert {"bus", "muck_truck", "taxi", "police", "city_management"} <= kinds
    moving = [r for r in recs if r.status in ("normal", "available", "en_route")]
    assert np.mean([r.speed for r in moving]) > 3.0
    assert all(0.0 <= r.heading < 360.0 for r in recs)


def test_registries_sensors_incidents_and_rising_river(huacheng_site: Path) -> None:
    site = load_site(_with_registries(huacheng_site))
    sim = CitySimulator.from_site(site, SimConfig(entities=50, seed=5, incident_every_s=1.0))
    assert sim.ids[:3] == ["P-01", "F-01", "C-01"]
    assert sim.kinds[:3] == ["police", "fire_engine", "city_management"]
    now = time.time()
    readings = sim.read_sensors(now)
    assert {r.kind for r in readings} == {"river_level", "aqi", "noise"}
    assert sim.river_level(now + 1800) > sim.river_level(now) + 1.0  # rises during a demo: alarms will fire
    names = {m.name for m in sim.vital_signs(now)}
    assert names == {"congestion_index", "aqi", "power_load_mw", "hotline_calls_per_hour"}
    raised = sim.incidents(now + 60)  # a minute of Poisson arrivals
    assert len(raised) >= 10
    cams = {"CAM-A": (113.3190, 23.1210), "CAM-B": (113.3140, 23.1240)}
    for inc in raised:
        assert inc.type in INCIDENT_TYPES and 1 <= inc.severity <= 4
        (cam,) = inc.camera_ids
        cx, cy = from_wgs84(*cams[cam], "EPSG:32649")
        ix, iy = from_wgs84(inc.x, inc.y, "EPSG:32649")
        assert float(np.hypot(ix - cx, iy - cy)) < 40.0  # raised near the camera that saw it
    later = sim.incidents(now + 400)
    assert any(i.status in ("acknowledged", "resolved") for i in later)


def test_run_publishes_every_stream(huacheng_site: Path, make_pipeline) -> None:
    sim = CitySimulator.from_site(load_site(huacheng_site), SimConfig(entities=200, hz=10, seed=2))
    with FeedPublisher("tcp://127.0.0.1:*", snapshot_endpoint="tcp://127.0.0.1:*") as pub:
        stop = threading.Event()
        t = threading.Thread(target=sim.run, args=(pub,), kwargs={"stop": stop})
        t.start()
        try:
            p = make_pipeline(pub.endpoint, snapshot_endpoint=pub.snapshot_endpoint)
            assert p.pump_until(lambda: len(p.pump.entities) == 200 and len(p.pump.sensors) > 0, timeout_s=5)
            assert p.pump_until(lambda: len(p.pump.metrics.names()) == 4 and "sim" in p.pump.heartbeats)
        finally:
            stop.set()
            t.join()
    assert p.stats.snapshot(time.time())["rejected"] == {}


def test_site_without_roads_is_a_clear_error(minimal_site: Path) -> None:
    with pytest.raises(InputError, match="needs roads"):
        CitySimulator.from_site(load_site(minimal_site))
