"""Declared mappings applied to the real sample messages: what comes out, what is refused and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from controlroom.bridges.decode import PayloadError, gtfs_feed, json_items
from controlroom.bridges.mapping import Mapper
from controlroom.bridges.mapping import MapResult as MapResultType
from controlroom.bridges.records import finish
from controlroom.bridges.samples import load_sample
from controlroom.core.issues import SiteError
from controlroom.core.protocol import Position, SensorReading
from controlroom.core.site import load_site
from controlroom.feed.validate import Extent
from controlroom.geo.crs import wgs84_to_gcj02
from tests.bridges.conftest import BAY_AREA, LAB, LAB_MAPS, MINNEAPOLIS, write_site

GTFS_VEHICLES = """
[[sources.map]]
match = "vehicle"
record = "position"
static = {{ kind = "other" }}
lookup = {{ kind = {{ {kinds} }} }}
[sources.map.fields]
id = "vehicle.vehicle.id | id"
kind = "vehicle.trip.route_id"
lon = "vehicle.position.longitude"
lat = "vehicle.position.latitude"
heading = "vehicle.position.bearing?"
speed = "vehicle.position.speed?"
"""


def gtfs_source(sample: Path, maps: str, name: str = "transit") -> str:
    return f"""[[sources]]
name = "{name}"
kind = "gtfs-rt"
url = "http://127.0.0.1:1/feed.pb"
publish = "tcp://127.0.0.1:7749"
sample = "{sample}"
{maps}"""


def lab_source(sample: Path, maps: str = LAB_MAPS) -> str:
    return f"""[[sources]]
name = "lab"
kind = "mqtt"
url = "mqtt://127.0.0.1:1883"
publish = "tcp://127.0.0.1:7748"
sample = "{sample}"
{maps}"""


def _run_sample(site_path: Path, extent_bbox: tuple[float, float, float, float]):  # type: ignore[no-untyped-def]
    site = load_site(site_path)
    source = site.sources[0]
    mapper = Mapper(source)
    total = None
    for topic, items in load_sample(source):
        r = mapper.apply(topic or "", items, 1.0)
        if total is None:
            total = r
        else:
            total.merge(r)
    assert total is not None
    return finish(total, Extent.from_bbox(extent_bbox, margin_m=500)), total


def test_caltrain_vehicles_become_positions_with_route_kinds(tmp_path: Path, shared_data: Path) -> None:
    sample = shared_data / "gtfs-rt/transitland-lib/ct-vehicle-positions.pb"
    maps = GTFS_VEHICLES.format(kinds='L1 = "bus", L4 = "bus"')
    out, result = _run_sample(write_site(tmp_path, BAY_AREA, gtfs_source(sample, maps)), BAY_AREA)
    positions = out["position"]
    assert len(positions) == 14 and not result.rejected
    first = positions[0]
    assert isinstance(first, Position)
    assert (first.id, first.x, first.y) == ("124", pytest.approx(-121.99604), pytest.approx(37.37046))
    kinds = {p.kind for p in positions}
    assert "bus" in kinds and kinds <= {
        "bus",
        "other",
    }  # routes not in the lookup fall back to the static kind


def test_metro_transit_bearing_and_speed_kept_when_present(tmp_path: Path, shared_data: Path) -> None:
    sample = shared_data / "gtfs-rt/metrotransit-speedrt/VehiclePositions_20190619104102.pb"
    maps = GTFS_VEHICLES.format(kinds='"2" = "bus"')
    out, result = _run_sample(write_site(tmp_path, MINNEAPOLIS, gtfs_source(sample, maps)), MINNEAPOLIS)
    by_id = {p.id: p for p in out["position"]}
    assert len(by_id) == 11 and not result.rejected
    assert by_id["2074"].heading == 225.0 and by_id["2074"].speed == pytest.approx(2.2352)
    assert {p.kind for p in by_id.values()} == {"bus"}


def test_bart_trip_updates_become_a_punctuality_metric(tmp_path: Path, shared_data: Path) -> None:
    sample = shared_data / "gtfs-rt/transitland-lib/bart-trip-updates.pb"
    maps = """
[[sources.map]]
match = "trip_update"
record = "metric"
static = { name = "transit.on_time", unit = "%" }
aggregate = "percent_at_most"
at_most = 300
[sources.map.fields]
value = '''trip_update.delay | trip_update.stop_time_update[0].arrival.delay
  | trip_update.stop_time_update[0].departure.delay?'''
"""
    out, _ = _run_sample(write_site(tmp_path, BAY_AREA, gtfs_source(sample, maps)), BAY_AREA)
    feed = gtfs_feed(sample.read_bytes())
    delays = []
    for e in feed.parts["trip_update"]:
        stu = e["trip_update"].get("stop_time_update", [{}])[0]
        d = (stu.get("arrival") or stu.get("departure") or {}).get("delay")
        if d is not None:
            delays.append(d)
    (metric,) = out["metric"]
    assert metric.name == "transit.on_time" and metric.unit == "%"
    assert metric.value == pytest.approx(100 * sum(d <= 300 for d in delays) / len(delays))
    assert 0 < len(delays) <= 91


def test_bart_alert_becomes_an_incident(tmp_path: Path, shared_data: Path) -> None:
    sample = shared_data / "gtfs-rt/transitland-lib/bart-alerts.pb"
    maps = """
[[sources.map]]
match = "alert"
record = "incident"
fields = { id = "id", text = "alert.header_text.translation[0].text", severity = "alert.effect" }
lookup = { severity = { SIGNIFICANT_DELAYS = 3, NO_SERVICE = 4 } }
static = { type = "road_damage", severity = 2, lon = -122.4013, lat = 37.7894 }
"""
    out, _ = _run_sample(write_site(tmp_path, BAY_AREA, gtfs_source(sample, maps)), BAY_AREA)
    (inc,) = out["incident"]
    assert inc.id == "BSA_187874" and inc.severity == 3 and "Montgomery" in inc.text


def test_lab_mqtt_log_maps_every_reading_it_names(tmp_path: Path, shared_data: Path) -> None:
    sample = shared_data / "mqtt/mozIoT-lab-mqtt-log-20200331.json"
    out, result = _run_sample(write_site(tmp_path, LAB, lab_source(sample)), LAB)
    sensors = out["sensor"]
    assert all(isinstance(s, SensorReading) for s in sensors)
    log = json.loads(sample.read_text())
    flat: list[dict[str, object]] = []

    def walk(node: object) -> None:
        if isinstance(node, list):
            for x in node:
                walk(x)
        else:
            flat.append(node)  # type: ignore[arg-type]

    walk(log)
    th = [e for e in flat if e["topic"] == "temp-hum-readings"]
    plugs = [e for e in flat if str(e["topic"]).startswith("sonoff/")]
    assert len([s for s in sensors if s.kind == "temperature"]) == len(th) == 22
    # the Tasmota plugs send two payload shapes on one topic ({"POWER": "OFF"}, {"power": 0}): both map
    assert len([s for s in sensors if s.kind == "plug"]) == len(plugs) == 10
    temps = [s for s in sensors if s.kind == "temperature"]
    assert temps[0].id == "SENSOR-NODE-3-MOZIoT:temp" and temps[0].value == 21.2 and temps[0].unit == "°C"
    plug = next(s for s in sensors if s.kind == "plug")
    assert plug.id.startswith("sonoff-") and plug.value in (0.0, 1.0)
    # topics nobody mapped are counted, not silently dropped
    assert result.rejected["unmatched"] == len(flat) - len(th) - len(plugs)
    assert set(result.rejected) == {"unmatched"}


def test_missing_field_bad_json_and_wrong_crs_are_counted_alone() -> None:
    from controlroom.core.source_config import SourceConfig

    source = SourceConfig.model_validate(
        {
            "name": "river",
            "kind": "mqtt",
            "url": "mqtt://127.0.0.1:1883",
            "publish": "tcp://127.0.0.1:7747",
            "map": [
                {
                    "match": "river/+/level",
                    "record": "sensor",
                    "fields": {"id": "$topic[1]", "value": "level_cm", "lon": "lon", "lat": "lat"},
                    "static": {"kind": "water_level", "unit": "m"},
                    "convert": {"value": "cm->m"},
                    "crs": "gcj02",
                }
            ],
        }
    )
    mapper = Mapper(source)
    glon, glat = (float(v) for v in wgs84_to_gcj02(113.3157, 23.1226))
    items = [
        {"level_cm": 250, "lon": glon, "lat": glat},
        {"level": 2.5, "lon": glon, "lat": glat},  # the mapped field is missing
        {"level_cm": 240, "lon": 1_000_000.0, "lat": 2_000_000.0},  # metres, not degrees: outside the site
        {"level_cm": "high", "lon": glon, "lat": glat},
    ]
    result = mapper.apply("river/g1/level", items, 5.0)
    out = finish(result, Extent.from_bbox(LAB, margin_m=500))
    (good,) = out["sensor"]
    assert good.id == "g1" and good.value == pytest.approx(2.5)
    assert (good.x, good.y) == (
        pytest.approx(113.3157, abs=2e-5),
        pytest.approx(23.1226, abs=2e-5),
    )  # GCJ-02 undone
    assert result.rejected == {"field_missing": 1, "out_of_extent": 1, "bad_value": 1}
    assert (
        "level_cm" in result.details["field_missing"]
        and "keys there: level, lon, lat" in result.details["field_missing"]
    )
    with pytest.raises(PayloadError) as exc:
        json_items(b'{"level_cm": 2')
    assert exc.value.reason == "malformed_json"
    from google.protobuf import descriptor_pb2, timestamp_pb2

    other_protobufs = [
        timestamp_pb2.Timestamp(seconds=1_700_000_000, nanos=5).SerializeToString(),
        descriptor_pb2.FileDescriptorProto(name="city.proto", package="city").SerializeToString(),
    ]
    for payload in [b'{"this": "is json"}', *other_protobufs]:
        with pytest.raises(PayloadError) as exc:
            gtfs_feed(payload)
        assert exc.value.reason == "not_gtfs_rt"


def test_site_errors_name_the_source_map_and_field(tmp_path: Path) -> None:
    sources = """[[sources]]
name = "bad"
kind = "mqtt"
url = "http://broker:1883"
publish = "tcp://127.0.0.1:7746"

[[sources.map]]
match = "a/b"
record = "position"
fields = { id = "id", lon = "x", lat = "lat", colour = "c" }
convert = { lon = "furlongs->m" }

[[sources.map]]
match = "a/c"
record = "sensor"
fields = { id = "id", lon = "x..y", lat = "lat", value = "v" }
static = { kind = "level" }
"""
    with pytest.raises(SiteError) as exc:
        load_site(write_site(tmp_path, LAB, sources))
    text = str(exc.value)
    assert "sources[0].map[1].fields:" in text and "'x..y'" in text
    # every problem at once, each under its key
    assert "sources[0].url: found 'http://broker:1883'" in text and "a mqtt URL starts with mqtt://" in text
    assert "sources[0].map[0].fields:" in text and "no field 'colour'" in text
    assert "sources[0].map[0].convert:" in text and "furlongs->m" in text


def test_doctor_names_the_field_that_does_not_resolve(tmp_path: Path, shared_data: Path) -> None:
    from controlroom.app.commands.doctor import run_doctor
    from controlroom.core.doctor import DoctorOptions

    sample = shared_data / "mqtt/mozIoT-lab-mqtt-log-20200331.json"
    maps = LAB_MAPS.replace('value = "temp-C"', 'value = "temp-F"')
    site = write_site(tmp_path, LAB, lab_source(sample, maps))
    issues = [i for i in run_doctor(str(site), DoctorOptions(offline=True)) if i.key.startswith("sources")]
    (issue,) = issues
    assert issue.severity == "error" and issue.key == "sources[0].map[0].fields.value"
    assert "'temp-F'" in issue.found and "temp-C" in issue.found and "temp-hum-readings" in issue.found
    good = write_site(tmp_path / "good", LAB, lab_source(sample))
    assert not [i for i in run_doctor(str(good), DoctorOptions(offline=True)) if i.key.startswith("sources")]


def test_plain_key_maps_take_the_fast_path_and_still_say_what_was_wrong() -> None:
    from controlroom.core.source_config import SourceConfig

    source = SourceConfig.model_validate(
        {
            "name": "fleet",
            "kind": "nats",
            "url": "nats://127.0.0.1:4222",
            "publish": "tcp://127.0.0.1:7745",
            "map": [
                {
                    "match": "fleet.>",
                    "record": "position",
                    "fields": {
                        "id": "id",
                        "lon": "gps.lon",
                        "lat": "gps.lat",
                        "speed": "kmh",
                        "status": "state",
                    },
                    "static": {"kind": "police"},
                    "convert": {"speed": "km/h->m/s"},
                    "id_format": "unit-{}",
                }
            ],
        }
    )
    mapper = Mapper(source)
    assert mapper.maps[0]._plan is not None  # plain keys, no lookups: the fast plan applies
    gps = {"lon": 113.315, "lat": 23.121}
    items = [
        {"id": 7, "gps": gps, "kmh": 36, "state": "en_route"},
        {
            "id": 8,
            "gps": {"lon": "113.316", "lat": "23.122"},
            "kmh": "18",
            "state": "available",
        },  # numeric strings
        {"id": 9, "gps": {"lat": 23.12}, "kmh": 10, "state": "en_route"},  # no lon
        {"id": 10, "gps": gps, "kmh": None, "state": "en_route"},  # null speed
        {"id": 11, "gps": gps, "kmh": 10, "state": "lunch"},  # not one of our statuses
        {"id": 12, "gps": [1, 2], "kmh": 10, "state": "en_route"},  # a list where an object belongs
    ]
    result = mapper.apply("fleet.north", items, 0.0)
    good = result.records[("position", "EPSG:4326")]
    assert [(p.id, p.speed, p.status) for p in good] == [
        ("unit-7", pytest.approx(10.0), "en_route"),
        ("unit-8", pytest.approx(5.0), "available"),
    ]
    assert (good[1].x, good[1].y) == (113.316, 23.122)
    assert result.rejected == {"field_missing": 3, "bad_value": 1}
    assert "no 'lon' in gps" in result.details["field_missing"]
    assert "'lunch'; expected one of" in result.details["bad_value"]


def test_a_batch_of_json_messages_maps_as_each_message_alone_would() -> None:
    """The bridge's batch path (generated record makers) gives the same records and counts."""
    from controlroom.core.source_config import SourceConfig

    source = SourceConfig.model_validate(
        {
            "name": "fleet",
            "kind": "nats",
            "url": "nats://127.0.0.1:4222",
            "publish": "tcp://127.0.0.1:7745",
            "map": [
                {
                    "match": "fleet.*",
                    "record": "position",
                    "fields": {"id": "id", "lon": "gps.lon", "lat": "gps.lat", "speed": "kmh"},
                    "static": {"kind": "police"},
                    "convert": {"speed": "km/h->m/s"},
                },
                {
                    "match": "river.*",
                    "record": "sensor",
                    "fields": {"id": "gauge", "value": "level", "lon": "lon", "lat": "lat"},
                    "static": {"kind": "water_level", "unit": "m"},
                },
            ],
        }
    )
    gps = {"lon": 113.315, "lat": 23.121}
    messages = [
        ("fleet.a", json.dumps({"id": 7, "gps": gps, "kmh": 36}).encode()),
        ("fleet.a", json.dumps({"id": None, "gps": gps, "kmh": 36}).encode()),  # null id
        ("fleet.b", b'{"id": 8, "gps": '),  # cut short
        ("fleet.b", json.dumps([{"id": 9, "gps": gps, "kmh": 1}, {"id": 10, "gps": {}}]).encode()),  # array
        ("fleet.c", json.dumps({"id": 11, "gps": gps, "kmh": "fast"}).encode()),
        ("river.g1", json.dumps({"gauge": "g1", "level": 2.5, "lon": 113.3, "lat": 23.1}).encode()),
        ("river.g2", json.dumps({"gauge": "g2", "level": [1], "lon": 113.3, "lat": 23.1}).encode()),
        ("buses.x", json.dumps({"id": 1}).encode()),  # no map
    ]
    one_by_one = Mapper(source)
    expected = MapResultType()
    for topic, payload in messages:
        try:
            one_by_one.apply(topic, json_items(payload), 1.0, expected)
        except PayloadError as exc:
            expected.reject(exc.reason, exc.detail)
    batch = Mapper(source)
    assert all(m.make is not None for m in batch.maps)  # both maps are generated
    got = MapResultType()
    batch.apply_json(messages, 1.0, got)
    assert (
        got.rejected
        == expected.rejected
        == {
            "field_missing": 2,
            "malformed_json": 1,
            "bad_value": 2,
            "unmatched": 1,
        }
    )
    assert {k: v for k, v in got.records.items() if v} == {k: v for k, v in expected.records.items() if v}
    assert [p.id for p in got.records[("position", "EPSG:4326")]] == ["7", "9"]
    assert got.matched == expected.matched == 7
    (reading,) = got.records[("sensor", "EPSG:4326")]
    assert (reading.id, reading.value, reading.unit) == ("g1", 2.5, "m")


def test_a_bridge_endpoint_that_another_service_uses_is_refused(tmp_path: Path) -> None:
    source = """[[sources]]
name = "lab"
kind = "mqtt"
url = "mqtt://127.0.0.1:1883"
publish = "tcp://127.0.0.1:7720"

[[sources.map]]
match = "a/+"
record = "metric"
fields = { value = "v" }
static = { name = "a" }
"""
    with pytest.raises(SiteError) as exc:
        load_site(write_site(tmp_path, LAB, source))
    assert "publish tcp://127.0.0.1:7720 is already the [dispatch] endpoint" in str(exc.value)
