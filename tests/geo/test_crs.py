"""GCJ-02 / BD-09 conversions and the local frame, checked on numbers and on real Guangzhou data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from controlroom.geo.crs import (
    LocalFrame,
    bd09_to_gcj02,
    convert,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_gcj02,
)

METRES_PER_DEGREE = 111_320.0


def _metres(lon0: np.ndarray, lat0: np.ndarray, lon1: np.ndarray, lat1: np.ndarray) -> np.ndarray:
    """Ground distance in metres between nearby lon/lat points (local equirectangular)."""
    dx = (lon1 - lon0) * np.cos(np.radians(lat0))
    return np.hypot(dx, lat1 - lat0) * METRES_PER_DEGREE


@pytest.fixture
def china_points() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return rng.uniform(98.0, 125.0, 5000), rng.uniform(19.0, 45.0, 5000)


def test_gcj02_round_trip_is_exact_to_a_micrometre(china_points: tuple[np.ndarray, np.ndarray]) -> None:
    lon, lat = china_points
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert _metres(lon, lat, back_lon, back_lat).max() < 1e-6


def test_bd09_round_trip_through_wgs84(china_points: tuple[np.ndarray, np.ndarray]) -> None:
    """BD-09 is ~500 m off WGS 84; the inverse is refined by iteration to under a millimetre."""
    lon, lat = china_points
    bd = gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    assert _metres(lon, lat, *bd).min() > 100.0
    back_lon, back_lat = to_wgs84(*bd, "bd09")
    assert _metres(lon, lat, back_lon, back_lat).max() < 0.001
    gcj_again = bd09_to_gcj02(*bd)
    assert _metres(*wgs84_to_gcj02(lon, lat), *gcj_again).max() < 0.001


def test_gcj02_offset_in_guangzhou_is_hundreds_of_metres() -> None:
    lon = np.array([113.3245, 113.2644, 113.3806, 113.2300])  # Canton Tower, Yuexiu, Huangpu, Liwan
    lat = np.array([23.1064, 23.1291, 23.1230, 23.1250])
    offset = _metres(lon, lat, *wgs84_to_gcj02(lon, lat))
    assert np.all((offset > 400.0) & (offset < 700.0)), offset


def test_points_outside_china_are_not_offset() -> None:
    lon, lat = np.array([4.3, -74.0]), np.array([52.1, 40.7])
    out_lon, out_lat = wgs84_to_gcj02(lon, lat)
    np.testing.assert_array_equal(out_lon, lon)
    np.testing.assert_array_equal(out_lat, lat)


def test_convert_gcj02_to_utm_matches_two_steps() -> None:
    lon, lat = np.array([113.3245]), np.array([23.1064])
    x, y = convert(lon, lat, "gcj02", "EPSG:32649")
    wlon, wlat = gcj02_to_wgs84(lon, lat)
    x2, y2 = convert(wlon, wlat, "EPSG:4326", "EPSG:32649")
    np.testing.assert_allclose([x[0], y[0]], [x2[0], y2[0]], atol=1e-6)


def test_local_frame_round_trip() -> None:
    frame = LocalFrame.at_wgs84("EPSG:32649", 113.3245, 23.1064)
    x, y = frame.from_wgs84([113.3245, 113.33], [23.1064, 23.11])
    assert abs(x[0]) < 1e-6 and abs(y[0]) < 1e-6
    assert 500 < x[1] < 600 and 350 < y[1] < 450
    lon, lat = frame.to_wgs84(x, y)
    np.testing.assert_allclose(lon, [113.3245, 113.33], atol=1e-9)
    np.testing.assert_allclose(lat, [23.1064, 23.11], atol=1e-9)


# ------------------------------------------------------------------ real data: metro stations × districts


@dataclass
class Guangzhou:
    stations: gpd.GeoDataFrame  # WGS 84 points
    datav: gpd.GeoDataFrame  # GCJ-02 district polygons (AMap / DataV)
    tianditu: gpd.GeoDataFrame  # CGCS2000 ≈ WGS 84 district polygons


@pytest.fixture(scope="module")
def guangzhou(shared_data: Path) -> Guangzhou:
    return Guangzhou(
        gpd.read_file(shared_data / "guangzhou" / "guangzhou_metro_stations.derived.geojson"),
        gpd.read_file(shared_data / "china_admin" / "440100_full.json"),
        gpd.read_file(shared_data / "china_admin" / "guangzhou_districts_tianditu.derived.geojson"),
    )


def _district_of(stations: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, key: str) -> pd.Series:
    joined = gpd.sjoin(stations, districts[[key, "geometry"]], how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    return joined[key].reindex(stations.index)


def _gcj02_polygons_to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    def to_wgs(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1]))

    out = frame.copy()
    out["geometry"] = shapely.transform(frame.geometry.values, to_wgs)
    return out.set_crs("EPSG:4326", allow_override=True)


def _same(a: pd.Series, b: pd.Series) -> pd.Series:
    """Equal district, or outside the city in both (intercity lines leave Guangzhou)."""
    return (a == b) | (a.isna() & b.isna())


# Two stations where DataV and Tianditu draw the district line differently (not a frame issue):
# DataV's generalised 白云/越秀 line passes 34 m from 三元里 (Tianditu's 110 m), and the two
# sources put the 白云/花都 line through Baiyun airport ~300 m apart at 机场南.
SOURCE_BOUNDARY_DISAGREEMENTS = {"三元里", "机场南(1号航站楼)"}
HAIZHU = 440105


def test_real_files_have_the_expected_keys(guangzhou: Guangzhou) -> None:
    assert len(guangzhou.stations) == 382 and {"name", "line", "seq"} <= set(guangzhou.stations.columns)
    assert len(guangzhou.datav) == 11 and {"adcode", "name"} <= set(guangzhou.datav.columns)
    assert len(guangzhou.tianditu) == 11
    assert {"district_adcode", "district_name"} <= set(guangzhou.tianditu.columns)


def test_gcj02_districts_converted_route_stations_like_tianditu(guangzhou: Guangzhou) -> None:
    stations = guangzhou.stations
    truth = _district_of(stations, guangzhou.tianditu, "district_adcode")
    converted = _district_of(stations, _gcj02_polygons_to_wgs84(guangzhou.datav), "adcode")
    assert truth.notna().sum() == 341  # the 41 others are intercity stations outside the city
    mismatched = ~_same(converted, truth)
    assert set(stations.loc[mismatched, "name"]) == SOURCE_BOUNDARY_DISAGREEMENTS

    tower = stations.index[stations["name"] == "广州塔"]
    assert len(tower) == 3  # one per line through it
    assert set(converted[tower].astype(int)) == {HAIZHU}
    assert set(guangzhou.datav.loc[guangzhou.datav["adcode"] == HAIZHU, "name"]) == {"海珠区"}


def test_naive_join_without_conversion_misroutes_stations(guangzhou: Guangzhou) -> None:
    """Proves the test above can fail: GCJ-02 polygons used as if WGS 84 put stations wrong."""
    stations = guangzhou.stations
    truth = _district_of(stations, guangzhou.tianditu, "district_adcode")
    naive = _district_of(stations, guangzhou.datav, "adcode")
    wrong = set(stations.loc[~_same(naive, truth), "name"])
    assert len(wrong - SOURCE_BOUNDARY_DISAGREEMENTS) >= 1
    assert "广州塔" in wrong


def test_the_feed_pumps_converter_agrees_with_the_local_frame() -> None:
    """The pump resolves each input CRS once (``feed.pump.site_to_local``); what it computes per
    tick is what ``LocalFrame.from_crs`` computes, for WGS 84, the site's own CRS and GCJ-02."""
    from controlroom.feed.pump import site_to_local
    from controlroom.geo.crs import from_wgs84

    frame = LocalFrame.at_wgs84("EPSG:32650", 113.3, 23.1)
    to_local = site_to_local(frame)
    lon, lat = np.array([113.29, 113.31, 113.33]), np.array([23.09, 23.11, 23.12])
    ux, uy = from_wgs84(lon, lat, "EPSG:32650")
    for x, y, crs in (
        (lon, lat, "EPSG:4326"),
        (ux, uy, "epsg:32650"),
        (lon, lat, "gcj02"),
        (lon, lat, "wgs84"),
    ):
        for _ in range(2):  # the first call resolves the CRS, the second uses what it kept
            got = to_local(x, y, crs)
            want = frame.from_crs(x, y, crs)
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_array_equal(got[1], want[1])
