"""Geofences on real polygons: Guangzhou's districts (Tianditu, ≈ WGS 84) and a drawn zone."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from controlroom.core.alarms.engine import AlarmEngine
from controlroom.core.alarms.fences import GeofenceConditions
from controlroom.core.alarms.rules import parse_rules
from controlroom.core.entities import EntityStore
from controlroom.core.protocol import ENTITY_KINDS
from controlroom.core.site import parse_site
from controlroom.geo.alarm_zones import F64, ShapelyZones, build_zones
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


WALK_RULES = """schema = 1
[[zone]]
name = "tower_square"
polygon = [[113.3235, 23.1055], [113.3255, 23.1055], [113.3255, 23.1073], [113.3235, 23.1073]]
[[rule]]
id = "haizhu_in"
kind = "geofence"
title = "Muck truck in Haizhu"
boundary_level = "district"
boundary_codes = ["440105"]
entity_kinds = ["muck_truck"]
[[rule]]
id = "centre_out"
kind = "geofence"
title = "Left Tianhe/Yuexiu"
boundary_level = "district"
boundary_codes = ["440106", "440104"]
trigger = "leave"
[[rule]]
id = "tianhe_dwell"
kind = "geofence"
title = "Taxi idling in Tianhe"
boundary_level = "district"
boundary_codes = ["440106"]
entity_kinds = ["taxi"]
trigger = "dwell"
dwell_s = 4
[[rule]]
id = "tower_in"
kind = "geofence"
title = "At the tower"
zone = "tower_square"
[[rule]]
id = "tower_dwell"
kind = "geofence"
title = "Muck truck parked at the tower"
zone = "tower_square"
entity_kinds = ["muck_truck"]
trigger = "dwell"
dwell_s = 3
"""


class _CountingZones(ShapelyZones):
    """The real index, counting the points the clearance path sends to it."""

    tested = 0

    def membership(self, keys: Sequence[str], x: F64, y: F64) -> tuple[np.ndarray, F64]:
        self.tested += np.size(x)
        return super().membership(keys, x, y)


def test_clearance_fast_path_gives_the_exact_paths_events_on_random_walks(
    tmp_path: Path, shared_data: Path
) -> None:
    """Vehicles wander across the Pearl River (Haizhu/Tianhe/Yuexiu edges) and the tower square,
    at crawling, city and jumping speeds, some changing kind, some going silent until they expire
    and coming back: re-testing only rows that moved past their clearance must give, tick by tick,
    exactly the enter/leave/dwell events of testing every updated row."""
    site = parse_site(_site(tmp_path, shared_data), tmp_path / "site.toml")
    rules = parse_rules(WALK_RULES, tmp_path / "alarms.toml")
    frame = LocalFrame.at_wgs84("EPSG:32649", 113.32, 23.12)
    built, issues = build_zones(rules, site, frame)
    assert issues == []
    zones = _CountingZones(built.polygons)
    fast = GeofenceConditions(rules.rule, zones)
    exact = GeofenceConditions(rules.rule, zones, use_clearance=False)
    assert fast.clearance_index is zones and exact.clearance_index is None

    rng = np.random.default_rng(5)
    n = 400
    ids = [f"V{i}" for i in range(n)]
    tower_x, tower_y = frame.from_wgs84([CANTON_TOWER[0]], [CANTON_TOWER[1]])
    x = tower_x[0] + rng.uniform(-2500, 2500, n)
    y = tower_y[0] + rng.uniform(-1500, 3500, n)
    x[:40], y[:40] = tower_x[0] + rng.normal(0, 120, 40), tower_y[0] + rng.normal(0, 120, 40)
    step = rng.choice([0.5, 5.0, 40.0, 150.0], n, p=[0.25, 0.25, 0.4, 0.1])
    kind = rng.choice([ENTITY_KINDS.index("taxi"), ENTITY_KINDS.index("muck_truck")], n).astype(np.uint8)
    silent_until = np.zeros(n)
    store = EntityStore(timeouts_s={"taxi": 3.0, "muck_truck": 3.0})
    updates = 0
    kinds_seen: set[tuple[str, str]] = set()
    for k in range(300):
        now = 1000.0 + 0.5 * k
        x += rng.normal(0, 1, n) * step
        y += rng.normal(0, 1, n) * step
        jump = rng.random(n) < 0.005
        x[jump] += rng.normal(0, 1500, jump.sum())
        kind[rng.random(n) < 0.003] ^= ENTITY_KINDS.index("taxi") ^ ENTITY_KINDS.index("muck_truck")
        silent_until[rng.random(n) < 0.002] = now + 10.0  # silent past 2 × timeout: expires
        live = np.flatnonzero((rng.random(n) < 0.7) & (silent_until <= now))
        store.upsert(
            [ids[i] for i in live], kind[live], x[live], y[live], np.zeros(live.size),
            np.zeros(live.size), np.zeros(live.size, np.uint8), now,
        )  # fmt: skip
        updates += live.size
        removed = store.expire(now)
        got = [(e.kind, e.key, e.t, e.x, e.y) for e in fast.evaluate(store, removed, now)]
        want = [(e.kind, e.key, e.t, e.x, e.y) for e in exact.evaluate(store, removed, now)]
        assert got == want, f"tick {k}"
        kinds_seen |= {(e[0], e[1].split("|")[0]) for e in want}
    rule_ids = [r.id for r in rules.rule]
    assert kinds_seen >= {("raised", r) for r in rule_ids} | {("cleared", r) for r in rule_ids}
    assert zones.tested < updates / 3  # most updates were answered by the clearance, not GEOS
