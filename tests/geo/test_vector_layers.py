"""Flat GIS layers: real Guangzhou roads, districts (WGS 84 and GCJ-02), metro stations, water."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import numpy as np
import pytest
import shapely

from controlroom.core.city import Surface
from controlroom.core.issues import InputError
from controlroom.core.site import BoundarySource, VectorSource
from controlroom.core.vector import LineLayer
from controlroom.geo.crs import LocalFrame
from controlroom.geo.vector_layers import (
    DRAPE_Z,
    concat_lines,
    load_boundaries,
    load_points,
    load_roads,
    load_water,
)

FRAME = LocalFrame.at_wgs84("EPSG:32649", 113.32, 23.12)


def _line(layer: LineLayer, i: int) -> np.ndarray:
    return layer.points[layer.offsets[i] : layer.offsets[i + 1]]


def test_roads_keep_names_and_classes(shared_data: Path) -> None:
    src = VectorSource(path=shared_data / "guangzhou" / "huacheng-local-roads.geojson", crs="EPSG:4326")
    roads, issues = load_roads(src, FRAME)
    assert issues == []
    assert roads.kind == "roads" and roads.n_lines == 104
    names = {f["name"] for f in roads.features}
    assert "华成路" in names
    assert {f["highway"] for f in roads.features} >= {"tertiary"}
    assert np.all(roads.points[:, 2] == DRAPE_Z["roads"])
    assert np.abs(roads.points[:, :2]).max() < 3000  # local metres around the origin, not UTM numbers
    assert roads.vtk_lines()[0] == len(_line(roads, 0))


def _district(layer: LineLayer, name: str) -> shapely.Polygon:
    i = next(k for k, f in enumerate(layer.features) if f["name"] == name)
    rings = [_line(layer, int(c))[:, :2] for c in np.flatnonzero(layer.cell_feature == i)]
    return max((shapely.Polygon(r) for r in rings), key=lambda p: p.area)


def test_boundaries_in_gcj02_land_on_the_wgs84_ones(shared_data: Path) -> None:
    admin = shared_data / "china_admin"
    tianditu = BoundarySource(
        path=admin / "guangzhou_districts_tianditu.derived.geojson",
        crs="EPSG:4326",
        level="district",
        name_attribute="district_name",
        code_attribute="district_adcode",
    )
    wgs, _ = load_boundaries(tianditu, FRAME)
    assert wgs.kind == "boundary:district" and len(wgs.features) == 11
    tianhe = next(f for f in wgs.features if f["name"] == "天河区")
    assert tianhe["code"] == "440106" and tianhe["level"] == "district"
    assert np.all(wgs.points[:, 2] == DRAPE_Z["boundary:district"])

    datav = BoundarySource(
        path=admin / "440100_full.json", crs="gcj02", level="district", code_attribute="adcode"
    )
    gcj, _ = load_boundaries(datav, FRAME)
    msgspec.json.encode(gcj.features)  # strict: nested numpy values (center lists) must be plain Python
    naive, _ = load_boundaries(datav.model_copy(update={"crs": "EPSG:4326"}), FRAME)
    ref = _district(wgs, "天河区")
    converted = _district(gcj, "天河区").centroid.distance(ref.centroid)
    unconverted = _district(naive, "天河区").centroid.distance(ref.centroid)
    assert converted < 150 < 450 < unconverted


def test_metro_stations_as_points(shared_data: Path) -> None:
    src = VectorSource(
        path=shared_data / "guangzhou" / "guangzhou_metro_stations.derived.geojson", crs="EPSG:4326"
    )
    poi, issues = load_points(src, FRAME)
    assert issues == [] and poi.kind == "poi" and poi.n_points == 382
    assert poi.features[0]["name"] == "花都" and "line" in poi.features[0]
    assert np.all(poi.points[:, 2] == DRAPE_Z["poi"])


def test_water_areas_become_a_flat_mesh_and_rivers_lines(tmp_path: Path) -> None:
    lake = [[113.30, 23.10], [113.31, 23.10], [113.31, 23.11], [113.30, 23.11], [113.30, 23.10]]
    island = [[113.304, 23.104], [113.304, 23.106], [113.306, 23.106], [113.306, 23.104], [113.304, 23.104]]
    feats = [
        {
            "type": "Feature",
            "properties": {"name": "湖"},
            "geometry": {"type": "Polygon", "coordinates": [lake, island]},
        },
        {
            "type": "Feature",
            "properties": {"name": "涌"},
            "geometry": {"type": "LineString", "coordinates": [[113.32, 23.1], [113.33, 23.11]]},
        },
        {
            "type": "Feature",
            "properties": {"name": "x"},
            "geometry": {"type": "Point", "coordinates": [113.32, 23.1]},
        },
    ]
    path = tmp_path / "water.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    area, lines, issues = load_water(VectorSource(path=path, crs="EPSG:4326"), FRAME)
    assert area.kind == "water" and area.objects.names == ["湖"]
    assert set(np.unique(area.cell_surface).tolist()) == {Surface.OTHER}
    p, t = area.points, area.triangles
    n = np.cross(p[t[:, 1]] - p[t[:, 0]], p[t[:, 2]] - p[t[:, 0]])
    assert (n[:, 2] > 0).all()
    outer = shapely.Polygon(np.column_stack(FRAME.from_wgs84(*np.array(lake).T)))
    hole = shapely.Polygon(np.column_stack(FRAME.from_wgs84(*np.array(island).T)))
    assert 0.5 * n[:, 2].sum() == pytest.approx(outer.area - hole.area, rel=1e-6)
    assert lines.kind == "water_lines" and lines.n_lines == 1
    assert lines.features[lines.cell_feature[0]]["name"] == "涌"
    assert [(i.object_id, i.action) for i in issues] == [("2", "skipped")]


def test_csv_points_and_their_errors(tmp_path: Path) -> None:
    good = tmp_path / "cams.csv"
    good.write_text("id,name,lon,lat\nC1,gate,113.32,23.12\nC2,yard,113.33,23.13\n", encoding="utf-8")
    pts, _ = load_points(VectorSource(path=good, crs="EPSG:4326"), FRAME, kind="cameras")
    assert pts.n_points == 2 and pts.features[1]["id"] == "C2"
    assert np.abs(pts.points[0, :2]).max() < 1.0
    bad = tmp_path / "bad.csv"
    bad.write_text("id,lon,lat\nC1,113.32,north\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.csv: row 2: .*expected decimal lon/lat"):
        load_points(VectorSource(path=bad, crs="EPSG:4326"), FRAME)
    nocols = tmp_path / "nocols.csv"
    nocols.write_text("id,x_coord\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="expected columns 'lon' and 'lat'"):
        load_points(VectorSource(path=nocols, crs="EPSG:4326"), FRAME)
    with pytest.raises(InputError, match=r"missing\.geojson: no such file; expected road lines"):
        load_roads(VectorSource(path=tmp_path / "missing.geojson", crs="EPSG:4326"), FRAME)


def test_concat_lines_rebases_offsets_and_features() -> None:
    a = LineLayer("roads", np.zeros((3, 3)), np.array([0, 3]), np.array([0], np.int32), [{"name": "a"}])
    b = LineLayer(
        "roads",
        np.ones((4, 3)),
        np.array([0, 2, 4]),
        np.array([0, 1], np.int32),
        [{"name": "b"}, {"name": "c"}],
    )
    m = concat_lines("roads", [a, b])
    assert m.offsets.tolist() == [0, 3, 5, 7]
    assert [m.features[i]["name"] for i in m.cell_feature] == ["a", "b", "c"]
    assert np.all(_line(m, 2) == 1)
