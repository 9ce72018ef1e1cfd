"""Routing on real data: all 382 Guangzhou metro stations against Tianditu's districts and, after
conversion, DataV's GCJ-02 ones; points given in GCJ-02 land where their WGS 84 twins do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from controlroom.core.site import load_site
from controlroom.dispatch.routing import AdminRouter
from controlroom.geo.crs import wgs84_to_gcj02

# Where DataV and Tianditu draw the line differently (not a frame issue; see tests/geo/test_crs.py).
SOURCE_BOUNDARY_DISAGREEMENTS = {"三元里", "机场南(1号航站楼)"}

TIANDITU = """
[[boundaries]]
path = "{d}/china_admin/guangzhou_districts_tianditu.derived.geojson"
crs = "EPSG:4326"
level = "city"
name_attribute = "city_name"
code_attribute = "city_adcode"

[[boundaries]]
path = "{d}/china_admin/guangzhou_districts_tianditu.derived.geojson"
crs = "EPSG:4326"
level = "district"
name_attribute = "district_name"
code_attribute = "district_adcode"
"""
DATAV = """
[[boundaries]]
path = "{d}/china_admin/440100_full.json"
crs = "{crs}"
level = "district"
name_attribute = "name"
code_attribute = "adcode"
"""


def _site(tmp: Path, name: str, boundaries: str) -> Path:
    f = tmp / name / "site.toml"
    f.parent.mkdir()
    f.write_text(
        'schema = 1\n[site]\nname = "gz"\ntitle = "Guangzhou"\ncrs = "EPSG:32649"\n'
        '[[city_model]]\npath = "none.geojson"\ncrs = "EPSG:4326"\n' + boundaries,
        encoding="utf-8",
    )
    return f


@pytest.fixture(scope="module")
def stations(shared_data: Path) -> gpd.GeoDataFrame:
    s = gpd.read_file(shared_data / "guangzhou" / "guangzhou_metro_stations.derived.geojson")
    assert len(s) == 382
    return s


def _route(site: Path, stations: gpd.GeoDataFrame, crs: str = "EPSG:4326") -> list[str]:
    lon, lat = stations.geometry.x.to_numpy(), stations.geometry.y.to_numpy()
    if crs == "gcj02":
        lon, lat = wgs84_to_gcj02(lon, lat)
    s = load_site(site)
    return [c.district for c in AdminRouter(s.boundaries, s.dispatch).route_many(lon, lat, crs)]


def test_stations_route_to_tianditu_districts(
    tmp_path: Path, shared_data: Path, stations: gpd.GeoDataFrame
) -> None:
    site = _site(tmp_path, "t", TIANDITU.format(d=shared_data))
    routed = _route(site, stations)
    districts = gpd.read_file(shared_data / "china_admin" / "guangzhou_districts_tianditu.derived.geojson")
    truth = gpd.sjoin(stations, districts[["district_name", "geometry"]], how="left", predicate="within")
    truth = truth[~truth.index.duplicated()]["district_name"].fillna("").tolist()
    assert routed == truth
    assert sum(1 for d in routed if d) == 341  # the other 41 are intercity stations outside the city
    tower = [d for d, n in zip(routed, stations["name"], strict=True) if n == "广州塔"]
    assert tower == ["海珠区"] * 3
    chain = AdminRouter(load_site(site).boundaries).route(113.3245, 23.1064)  # 广州塔
    assert (chain.city, chain.district, chain.codes) == (
        "广州市",
        "海珠区",
        {"city": "440100", "district": "440105"},
    )


def test_gcj02_districts_after_conversion_agree_with_tianditu(
    tmp_path: Path, shared_data: Path, stations: gpd.GeoDataFrame
) -> None:
    truth = _route(_site(tmp_path, "t", TIANDITU.format(d=shared_data)), stations)
    converted = _route(_site(tmp_path, "g", DATAV.format(d=shared_data, crs="gcj02")), stations)
    names = stations["name"].to_numpy()
    differs = {n for n, a, b in zip(names, converted, truth, strict=True) if a != b}
    assert differs == SOURCE_BOUNDARY_DISAGREEMENTS
    # and a station given in GCJ-02 (as a Chinese web map would report it) lands the same
    assert (
        _route(_site(tmp_path, "g2", DATAV.format(d=shared_data, crs="gcj02")), stations, "gcj02")
        == converted
    )


def test_gcj02_districts_taken_as_wgs84_misroute(
    tmp_path: Path, shared_data: Path, stations: gpd.GeoDataFrame
) -> None:
    """Proves the test above can fail: the frame declared wrongly puts 广州塔 in the wrong district."""
    truth = _route(_site(tmp_path, "t", TIANDITU.format(d=shared_data)), stations)
    naive = _route(_site(tmp_path, "n", DATAV.format(d=shared_data, crs="EPSG:4326")), stations)
    wrong = {n for n, a, b in zip(stations["name"], naive, truth, strict=True) if a != b}
    assert "广州塔" in wrong and len(wrong - SOURCE_BOUNDARY_DISAGREEMENTS) >= 5


def test_route_command_prints_the_chain(tmp_path: Path, shared_data: Path) -> None:
    site = _site(tmp_path, "g", DATAV.format(d=shared_data, crs="gcj02"))
    glon, glat = (float(v[0]) for v in wgs84_to_gcj02(np.array([113.3245]), np.array([23.1064])))

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "controlroom", "route", "--site", str(site), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    out = run(str(glon), str(glat), "--crs", "gcj02", "--json")
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got == {
        "city": None,
        "district": "海珠区",
        "street": None,
        "grid": None,
        "codes": {"district": "440105"},
    }
    bad = run("113.3", "23.1", "--crs", "EPSG:999999")
    assert bad.returncode == 2 and "EPSG:999999" in bad.stderr
    swapped = run("23.1064", "113.3245", "--json")  # latitude first: a common slip
    assert (swapped.returncode, swapped.stdout) == (2, "")
    assert swapped.stderr == (
        "route: (23.1064, 113.3245) in EPSG:4326 is not a place: latitude 113.3245 is outside -90…90: "
        "longitude and latitude look swapped (longitude comes first: 113.3245 23.1064)\n"
    )


def test_sample_site_chain_has_four_levels_and_department(sample_site: Path) -> None:
    s = load_site(sample_site)
    router = AdminRouter(s.boundaries, s.dispatch)
    chain = router.route(113.3345332, 23.0902738)
    assert all((chain.city, chain.district, chain.street, chain.grid))
    assert set(chain.codes) == {"city", "district", "street", "grid"}
    assert chain.codes["grid"].startswith(chain.codes["street"])  # the grid sits in its street
    assert router.department("illegal_parking") == "Traffic Police" and router.unit_kinds(
        "illegal_parking"
    ) == ["police"]
