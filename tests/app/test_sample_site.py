"""The bundled demo site: size, nesting, placement, determinism, and that the app can load it."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely

from controlroom.app.sample_site import DATA_FILES, ensure_sample_site, generate, site_toml
from controlroom.core.shipped import shipped_path
from controlroom.core.site import load_site
from controlroom.geo.city_loader import load_city
from controlroom.geo.crs import to_wgs84


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sample-site")
    generate(folder)
    return folder


def _frame(site_dir: Path, name: str, crs: str = "EPSG:32649") -> gpd.GeoDataFrame:
    return gpd.read_file(site_dir / "data" / name).to_crs(crs)


def _rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_committed_site_file_is_the_generated_one_and_valid() -> None:
    committed = shipped_path("sample-site", "site.toml")
    assert committed.read_text(encoding="utf-8") == site_toml()
    site = load_site(committed)
    assert site.site.name == "pearl-river-demo" and site.title == "Pearl River Demo District"
    assert [b.level for b in site.boundaries] == ["city", "district", "street", "grid"]
    assert site.poi[0].crs == "gcj02"
    assert {v.name for v in site.views} >= {"overview", "cbd", "river"}
    assert site.layouts.names == ["single", "operator-desk", "wall-3x2", "briefing-laptop"]


def test_buildings_are_many_varied_and_in_blocks(site_dir: Path) -> None:
    b = gpd.read_parquet(site_dir / "data" / "buildings.parquet")
    assert b.crs.to_epsg() == 4326
    assert len(b) >= 20_000
    towers = b[b["name"].notna()]
    assert towers["height"].min() >= 80 and towers["height"].max() == 450
    low = b[b["name"].isna()]
    top = low["height"].fillna(low["floors"] * 3.2)
    assert top.min() >= 6 and top.max() <= 40
    assert low["floors"].notna().sum() > 5000 and low["height"].notna().sum() > 5000
    assert set(b["use"]) == {"residential", "commercial", "industrial", "public"}
    assert b["district"].nunique() == 3
    assert (shapely.get_num_interior_rings(b.geometry.values) > 0).any()  # courtyards

    metric = b.to_crs("EPSG:32649").geometry.values
    tree = shapely.STRtree(metric)
    water = _frame(site_dir, "water.geojson")
    on_water = tree.query(water.geometry.values, predicate="intersects")  # rivers, canals and creeks
    on_road = tree.query(_frame(site_dir, "roads.geojson").geometry.values, predicate="intersects")
    assert on_water.size == 0 and on_road.size == 0
    a, b_ = tree.query(metric, predicate="intersects")
    assert np.all(a == b_)  # no two buildings overlap or touch


def test_admin_levels_nest_and_tile(site_dir: Path) -> None:
    levels = {lv: _frame(site_dir, f"boundary_{lv}.geojson") for lv in ("city", "district", "street", "grid")}
    assert [len(levels[lv]) for lv in ("city", "district")] == [1, 3]
    assert 10 <= len(levels["street"]) <= 14 and 150 <= len(levels["grid"]) <= 400
    for child, parent in (("district", "city"), ("street", "district"), ("grid", "street")):
        parents = levels[parent].set_index("code")
        for _, row in levels[child].iterrows():
            container = parents.loc[row["parent_code"]].geometry
            assert container.contains(row.geometry.representative_point()), (child, row["code"])
            assert row["name"] and row["name_pinyin"]
        by_parent = levels[child].groupby("parent_code").geometry.apply(lambda g: g.area.sum())
        for code, area in by_parent.items():
            assert area == pytest.approx(
                parents.loc[code].geometry.area, rel=1e-5
            )  # children tile the parent
    assert levels["city"].iloc[0]["code"] == "449900"
    assert all(len(c) == 12 for c in levels["grid"]["code"])


def test_registries_and_pois(site_dir: Path) -> None:
    cams = _rows(site_dir / "data" / "cameras.csv")
    assert len(cams) >= 2000
    assert cams[0]["sub_url"] == "http://127.0.0.1:8090/cam/CAM00001/sub.mp4"
    assert {c["ptz"] for c in cams} == {"True", "False"}
    assert len({c["id"] for c in cams}) == len(cams)
    assert all(c["grid"] and c["district"] for c in cams)
    units = _rows(site_dir / "data" / "units.csv")
    assert len(units) >= 300
    assert {u["type"] for u in units} == {"police", "city_management", "fire", "ambulance", "sanitation"}

    raw = json.loads((site_dir / "data" / "poi.geojson").read_text(encoding="utf-8"))
    cats = {f["properties"]["category"] for f in raw["features"]}
    assert cats == {"hospital", "school", "metro_station", "police_station", "fire_station"}
    assert 150 <= len(raw["features"]) <= 250
    # Written in GCJ-02: read naively as WGS 84 they sit ~500-700 m off; converted, they land in the city.
    lon, lat = np.array([f["geometry"]["coordinates"] for f in raw["features"]]).T
    wlon, wlat = to_wgs84(lon, lat, "gcj02")
    shift = np.hypot((lon - wlon) * 102_000, (lat - wlat) * 111_000)
    assert shift.min() > 450 and shift.max() < 750
    city = _frame(site_dir, "boundary_city.geojson", "EPSG:4326").geometry.iloc[0]
    assert shapely.contains_xy(city, wlon, wlat).all()


def test_generation_is_deterministic(site_dir: Path, tmp_path: Path) -> None:
    generate(tmp_path)
    for name in (*DATA_FILES, "VERSION"):
        assert (tmp_path / "data" / name).read_bytes() == (site_dir / "data" / name).read_bytes(), name
    assert (tmp_path / "site.toml").read_bytes() == (site_dir / "site.toml").read_bytes()


def test_ensure_generates_only_when_missing(site_dir: Path, tmp_path: Path) -> None:
    site = ensure_sample_site(tmp_path / "s")
    assert site == tmp_path / "s" / "site.toml" and site.is_file()
    stamp = (tmp_path / "s" / "data" / "buildings.parquet").stat().st_mtime_ns
    assert ensure_sample_site(tmp_path / "s") == site
    assert (tmp_path / "s" / "data" / "buildings.parquet").stat().st_mtime_ns == stamp
    os.remove(tmp_path / "s" / "data" / "cameras.csv")
    ensure_sample_site(tmp_path / "s")
    assert (tmp_path / "s" / "data" / "cameras.csv").is_file()


def test_the_app_loads_it_and_the_cache_returns_the_same_city(
    site_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTROLROOM_CACHE_DIR", str(tmp_path / "cache"))
    site = load_site(site_dir / "site.toml")
    first = load_city(site)
    buildings = first.layers["buildings"]
    assert buildings.object_counts()["footprint"] >= 20_000
    assert 450 + 3.0 < buildings.points[:, 2].max() < 450 + 8.0  # the 450 m tower, on the valley's ground
    assert first.ground is not None and first.layers["terrain"].n_triangles > 0  # the ground is drawn
    assert first.issues == []
    assert {
        "boundary:city",
        "boundary:district",
        "boundary:street",
        "boundary:grid",
        "roads",
        "water_lines",
    } <= set(first.lines)
    assert "water" in first.layers and first.points["poi"].n_points >= 150
    xs = np.concatenate([v.points[:, 0] for k, v in first.layers.items() if k != "terrain"])
    x0, x1 = xs.min(), xs.max()  # the district, without the ground's margin around it
    assert x0 == pytest.approx(-3000, abs=5) and x1 == pytest.approx(3000, abs=5)
    second = load_city(site)
    for kind, layer in first.layers.items():
        np.testing.assert_array_equal(layer.points, second.layers[kind].points)
        np.testing.assert_array_equal(layer.triangles, second.layers[kind].triangles)
        np.testing.assert_array_equal(layer.cell_object, second.layers[kind].cell_object)
        assert layer.objects == second.layers[kind].objects
    for kind, line in first.lines.items():
        np.testing.assert_array_equal(line.points, second.lines[kind].points)
        assert line.features == second.lines[kind].features


def test_the_valley_slopes_down_to_the_river(site_dir: Path) -> None:
    """The generated terrain: river beds below the gauges' normal 2.6 m, banks just above it, the
    ground rising away from the water; buildings stand on dry ground on a normal day."""
    from controlroom.geo.crs import LocalFrame
    from controlroom.geo.terrain import load_terrain

    site = load_site(site_dir / "site.toml")
    assert site.terrain is not None and site.site.origin is not None
    frame = LocalFrame.at_wgs84(site.site.crs, *site.site.origin)
    ground = load_terrain(site.terrain, frame)
    assert ground.cell == 10.0 and not np.isnan(ground.z).any()
    water = _frame(site_dir, "water.geojson")
    river = water[water["kind"] == "river"].geometry.iloc[0]
    ox, oy = frame.origin_x, frame.origin_y
    inside = shapely.point_on_surface(river)
    north_bank_y = river.intersection(shapely.LineString([(ox, oy - 3000), (ox, oy + 3000)])).bounds[3]
    bed = ground.sample([inside.x - ox], [inside.y - oy])[0]
    assert bed < 0.0
    # walking north from the river's north bank, the ground keeps rising
    far = np.array([0.0, 20.0, 200.0, 800.0, 1600.0])
    heights = ground.sample(np.zeros(5), north_bank_y - oy + far)
    assert 2.6 < heights[1] < 4.0 and heights[-1] > heights[1] + 2.0
    buildings = gpd.read_parquet(site_dir / "data" / "buildings.parquet").to_crs("EPSG:32649")
    spots = shapely.point_on_surface(buildings.geometry.to_numpy())
    under = ground.sample(shapely.get_x(spots) - ox, shapely.get_y(spots) - oy)
    assert np.nanmin(under) > 2.6
    assert buildings["population"].sum() > 100_000
