"""Loading camera registries: CSV and GeoJSON, declared CRS (incl. GCJ-02), clear errors on bad rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from controlroom.core.issues import InputError
from controlroom.core.site import CameraSource, parse_site
from controlroom.geo.cameras import load_cameras, site_cameras
from controlroom.geo.crs import LocalFrame, to_wgs84, wgs84_to_gcj02

FRAME = LocalFrame.at_wgs84("EPSG:32649", 113.32, 23.11)
HEADER = "id,name,lon,lat,main_url,sub_url,ptz,heading_deg,fov_deg,district,grid,tags\n"


def _csv(tmp_path: Path, body: str, name: str = "cameras.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_csv_registry_in_the_local_frame(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "007,海月路 1号,113.32,23.11,rtsp://nvr/7/main,rtsp://nvr/7/sub,True,450,60,珠北区,0449,road;bridge\n"
        "CAM2,,113.33,23.11,,,False,,,,,\n",
    )
    reg = load_cameras(CameraSource(path=path, crs="EPSG:4326"), FRAME)
    a, b = reg.get("007"), reg.get("CAM2")  # leading zeros kept
    assert (a.x, a.y) == pytest.approx((0.0, 0.0), abs=1e-6)
    bx, by = FRAME.from_wgs84(113.33, 23.11)
    assert (b.x, b.y) == pytest.approx((float(bx), float(by)), abs=1e-6) and 1000 < b.x < 1050
    assert a.heading_deg == 90.0 and a.fov_deg == 60.0 and a.ptz and a.grid == "0449"
    assert a.tags == ("road", "bridge") and a.sub_url == "rtsp://nvr/7/sub"
    assert b.name == "CAM2" and b.heading_deg is None and not b.ptz and b.tags == ()


def test_gcj02_positions_are_converted(tmp_path: Path) -> None:
    lon, lat = 113.3254, 23.1075
    glon, glat = wgs84_to_gcj02(lon, lat)
    path = _csv(tmp_path, f"C1,x,{float(glon):.8f},{float(glat):.8f},,,,,,,,\n")
    reg = load_cameras(CameraSource(path=path, crs="gcj02"), FRAME)
    cam = reg.get("C1")
    assert (cam.lon, cam.lat) == pytest.approx((lon, lat), abs=1e-6)
    x, y = FRAME.from_wgs84(lon, lat)
    assert (cam.x, cam.y) == pytest.approx((float(x), float(y)), abs=0.05)
    # read naively as WGS 84 the camera would sit hundreds of metres off
    naive = load_cameras(CameraSource(path=path, crs="EPSG:4326"), FRAME).get("C1")
    assert np.hypot(naive.x - cam.x, naive.y - cam.y) > 300


def test_geojson_registry_with_custom_columns(tmp_path: Path) -> None:
    feats = [
        {
            "type": "Feature",
            "properties": {
                "cam_no": "G1",
                "label": "南洲大道 9号",
                "rtsp": "rtsp://h/1",
                "labels": ["a", "b"],
            },
            "geometry": {"type": "Point", "coordinates": [113.31, 23.12]},
        }
    ]
    path = tmp_path / "cams.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    source = CameraSource(
        path=path, crs="EPSG:4326", id_attribute="cam_no", name_attribute="label",
        main_url_attribute="rtsp", tags_attribute="labels",
    )  # fmt: skip
    cam = load_cameras(source, FRAME).get("G1")
    assert (
        cam.name == "南洲大道 9号" and cam.main_url == "rtsp://h/1" and cam.stream_url(False) == "rtsp://h/1"
    )
    assert (cam.lon, cam.lat) == pytest.approx((113.31, 23.12))
    assert cam.tags == ("a", "b")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "C1,a,113.3,23.1,,,,,,,,\nC1,b,113.3,23.1,,,,,,,,\n",
            r"row 3: camera id 'C1' already used on row 2",
        ),
        ("C1,a,east,23.1,,,,,,,,\n", r"row 2: column 'lon' is 'east'; expected a number"),
        ("C1,a,113.3,23.1,,,,north,,,,\n", r"row 2: column 'heading_deg' is 'north'; expected a number"),
        (",a,113.3,23.1,,,,,,,,\n", r"row 2: empty 'id'; expected a camera id"),
    ],
)
def test_bad_rows_name_file_row_and_column(tmp_path: Path, body: str, message: str) -> None:
    path = _csv(tmp_path, body)
    with pytest.raises(InputError, match=message) as err:
        load_cameras(CameraSource(path=path, crs="EPSG:4326"), FRAME)
    assert str(path) in str(err.value)


def test_missing_file_and_columns(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_cameras(CameraSource(path=tmp_path / "nope.csv", crs="EPSG:4326"), FRAME)
    path = tmp_path / "c.csv"
    path.write_text("cam,lon,lat\nA,113.3,23.1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"no 'id' column .*cameras\.id_attribute"):
        load_cameras(CameraSource(path=path, crs="EPSG:4326"), FRAME)
    path.write_text("id,x_coord,y_coord\nA,1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="no lon/lat columns"):
        load_cameras(CameraSource(path=path, crs="EPSG:4326"), FRAME)


def test_site_section_and_shared_cache(tmp_path: Path) -> None:
    _csv(tmp_path, "C1,a,113.32,23.11,,,,,,,,\n")
    text = (
        'schema = 1\n[site]\nname = "t"\ntitle = "T"\ncrs = "EPSG:32649"\n'
        '[[city_model]]\npath = "b.parquet"\n'
        '[cameras]\npath = "cameras.csv"\ncrs = "EPSG:4326"\nnearest_n = 6\n'
    )
    site = parse_site(text, tmp_path / "site.toml")
    assert site.cameras is not None and site.cameras.nearest_n == 6
    reg = site_cameras(site, FRAME)
    assert reg is not None and reg.nearest_n == 6 and site_cameras(site, FRAME) is reg
    assert to_wgs84(0, 0, "EPSG:4326")[0] == 0  # sanity: the helper is importable here


def test_camera_names_per_language_with_fallback(tmp_path: Path) -> None:
    """``name_attributes`` gives a name column per language: the app's language, else English,
    else ``name_attribute``'s; search finds a camera by any of its names."""
    path = tmp_path / "cameras.csv"
    path.write_text(
        "id,name,name_en,lon,lat\nC1,横6路 1号,Heng 6 Road No. 1,113.32,23.11\nC2,纵2路 2号,,113.33,23.11\n",
        encoding="utf-8",
    )
    source = CameraSource(path=path, crs="EPSG:4326", name_attributes={"en": "name_en", "zh_CN": "name"})
    reg = load_cameras(source, FRAME)
    one, two = reg.get("C1"), reg.get("C2")
    assert (one.name_in("en"), one.name_in("zh_CN")) == ("Heng 6 Road No. 1", "横6路 1号")
    assert (two.name_in("en"), two.name_in("zh_CN")) == (
        "纵2路 2号",
        "纵2路 2号",
    )  # no English name: the data's
    assert [c.id for c in reg.search("heng 6")] == ["C1"] and [c.id for c in reg.search("横6路")] == ["C1"]
    plain = load_cameras(CameraSource(path=path, crs="EPSG:4326"), FRAME).get("C1")
    assert plain.name_in("en") == plain.name_in("zh_CN") == "横6路 1号"  # a site without per-language names


def test_camera_name_columns_keyed_by_an_unknown_language_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"(?s)name_attributes.*keyed by en, zh_CN \(found key\(s\) fr\)"):
        CameraSource(path=tmp_path / "c.csv", crs="EPSG:4326", name_attributes={"fr": "nom"})
