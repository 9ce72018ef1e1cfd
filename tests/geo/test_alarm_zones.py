"""Geofences on real polygons: Guangzhou's districts (Tianditu, ≈ WGS 84) and a drawn zone."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from controlroom.core.alarm_engine import AlarmEngine
from controlroom.core.alarm_rules import parse_rules
from controlroom.core.entities import EntityStore
from controlroom.core.protocol import ENTITY_KINDS
from controlroom.core.site import parse_site
from controlroom.geo.alarm_zones import build_zones
from controlroom.geo.crs import LocalFrame

# Canton Tower (Haizhu) and Guangzhou East railway station (Tianhe), WGS 84.
CANTON_TOWER = (113.3245, 23.1064)
EAST_STATION = (113.3249, 23.1510)


def _site(tmp_path: Path, shared_data: Path) -> str:
    src = shared_data / "china_admin" / "guangzhou_districts_tianditu.derived.geojson"
    return f"""schema = 1
[site]
name = "gz"
title = "Guangzhou"
crs = "EPSG:32649"
origin = [113.32, 23.12]
[[city_model]]
path = "b.geojson"
crs = "EPSG:4326"
[[boundaries]]
path = "{src}"
crs = "EPSG:4326"
level = "district"
code_attribute = "district_adcode"
name_attribute = "district_name"
"""


def test_muck_truck_entering_haizhu_district_raises_and_leaving_clears(
    tmp_path: Path, shared_data: Path
) -> None:
    site = parse_site(_site(tmp_path, shared_data), tmp_path / "site.toml")
    rules = parse_rules(
        """schema = 1
[[zone]]
name = "tower_square"
polygon = [[113.3235, 23.1055], [113.3255, 23.1055], [113.3255, 23.1073], [113.3235, 23.1073]]
[[rule]]
id = "haizhu_no_go"
kind = "geofence"
title = "Muck truck in Haizhu"
boundary_level = "district"
boundary_codes = ["440105"]
entity_kinds = ["muck_truck"]
[[rule]]
id = "tower"
kind = "geofence"
title = "Vehicle at the tower"
zone = "tower_square"
""",
        tmp_path / "alarms.toml",
    )
    frame = LocalFrame.at_wgs84("EPSG:32649", 113.32, 23.12)
    zones, issues = build_zones(rules, site, frame)
    assert issues == []
    tower = frame.from_wgs84([CANTON_TOWER[0]], [CANTON_TOWER[1]])
    station = frame.from_wgs84([EAST_STATION[0]], [EAST_STATION[1]])
    assert zones.locate(float(tower[0][0]), float(tower[1][0])) == "海珠区"
    assert zones.locate(float(station[0][0]), float(station[1][0])) == "天河区"

    engine = AlarmEngine(rules, zones)
    store = EntityStore()

    def at(t: float, where: tuple[np.ndarray, np.ndarray]) -> list[str]:
        store.upsert(
            ["MT1"],
            np.array([ENTITY_KINDS.index("muck_truck")], np.uint8),
            where[0],
            where[1],
            [0.0],
            [0.0],
            np.zeros(1, np.uint8),
            t,
        )
        return sorted(f"{e.kind}:{e.key}" for e in engine.evaluate(t, entities=store))

    assert at(1.0, station) == []
    assert at(2.0, tower) == ["raised:haizhu_no_go|MT1", "raised:tower|MT1"]
    assert at(3.0, station) == ["cleared:haizhu_no_go|MT1", "cleared:tower|MT1"]


def test_unknown_codes_and_levels_are_reported_with_the_rule_key(tmp_path: Path, shared_data: Path) -> None:
    site = parse_site(_site(tmp_path, shared_data), tmp_path / "site.toml")
    rules = parse_rules(
        'schema = 1\n[[rule]]\nid = "a"\nkind = "geofence"\ntitle = "A"\nboundary_level = "district"\n'
        'boundary_codes = ["999999"]\n'
        '[[rule]]\nid = "b"\nkind = "geofence"\ntitle = "B"\nboundary_level = "grid"\n'
        'boundary_codes = ["1"]\n',
        tmp_path / "alarms.toml",
    )
    _, issues = build_zones(rules, site, LocalFrame.at_wgs84("EPSG:32649", 113.32, 23.12))
    assert [(i.key, i.found) for i in issues] == [
        ("rule[0].boundary_codes", "['999999']"),
        ("rule[1].boundary_level", "'grid'"),
    ]
    assert "440105" in issues[0].expected or "440103" in issues[0].expected
    json.dumps([i.to_dict() for i in issues])
