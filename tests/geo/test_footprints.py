"""Footprint files → prisms: real Guangzhou OSM heights, messy attributes, repairs and CRS checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely

from controlroom.core.city import CityLayer, Surface
from controlroom.core.issues import InputError
from controlroom.core.site import CityModelSource
from controlroom.geo.crs import LocalFrame, from_wgs84
from controlroom.geo.footprints import FootprintSet, footprint_info, parse_lengths, read_footprints

FRAME = LocalFrame.at_wgs84("EPSG:32649", 113.3145, 23.1225)


def _read(path: Path, crs: str | None = "EPSG:4326", **kw: Any) -> FootprintSet:
    return read_footprints(
        CityModelSource(path=path, crs=crs, **kw), storey_height_m=3.2, default_height_m=10.0
    )


def _top(layer: CityLayer, obj: int) -> float:
    return float(layer.points[layer.triangles[layer.cell_object == obj]][:, :, 2].max())


def _geojson(
    tmp_path: Path, features: list[tuple[dict[str, Any], dict[str, Any] | None]], name: str = "f.geojson"
) -> Path:
    path = tmp_path / name
    feats = [{"type": "Feature", "properties": p, "geometry": g} for p, g in features]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    return path


def _square(lon: float, lat: float, d: float = 0.0002) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]],
    }


@pytest.fixture(scope="module")
def osm(shared_data: Path) -> tuple[FootprintSet, CityLayer]:
    fps = _read(shared_data / "guangzhou" / "huacheng-osm-buildings.geojson")
    layer, _ = fps.to_layer(FRAME)
    return fps, layer


def test_west_tower_reaches_its_real_height(osm: tuple[FootprintSet, CityLayer]) -> None:
    _fps, layer = osm
    row = next(i for i, n in enumerate(layer.objects.names) if n and "西塔" in n)
    assert layer.objects.heights[row] == pytest.approx(440.2)
    assert _top(layer, row) == pytest.approx(440.2)
    assert layer.points[:, 2].max() == pytest.approx(440.2)
    assert layer.objects.ids[row] == "w184738716"
    assert layer.objects.attributes[row]["name:en"]  # other properties kept for the info panel


def test_floor_counts_times_storey_height_where_no_height(osm: tuple[FootprintSet, CityLayer]) -> None:
    _fps, layer = osm
    row = layer.objects.names.index("建滔广场")  # building:levels = 26, no height
    assert layer.objects.heights[row] == pytest.approx(26 * 3.2)
    assert _top(layer, row) == pytest.approx(26 * 3.2)
    # A part starting at level 4 floats: its walls begin 4 storeys up.
    part = layer.objects.ids.index("w299812755")
    z = layer.points[layer.triangles[layer.cell_object == part]][:, :, 2]
    assert z.min() == pytest.approx(4 * 3.2) and z.max() == pytest.approx(15 * 3.2)


def test_object_table_is_json_safe_and_counts_footprints(osm: tuple[FootprintSet, CityLayer]) -> None:
    fps, layer = osm
    assert layer.object_counts() == {"footprint": 52}
    assert set(layer.objects.lods) == {"footprint"}
    json.dumps(layer.objects.attributes, allow_nan=False)
    assert set(np.unique(layer.cell_object)) == set(range(52))
    assert {Surface.WALL, Surface.ROOF} == set(np.unique(layer.cell_surface).tolist())
    lon0, lat0, lon1, lat1 = fps.bbox_wgs84()
    assert 113.30 < lon0 < lon1 < 113.33 and 23.11 < lat0 < lat1 < 23.13


def test_heights_as_text_and_defaults_are_reported(tmp_path: Path) -> None:
    path = _geojson(
        tmp_path,
        [
            ({"id": "a", "height": "12"}, _square(113.3, 23.1)),
            ({"id": "b", "height": "12 m"}, _square(113.301, 23.1)),
            ({"id": "c", "height": "12.5m"}, _square(113.302, 23.1)),
            ({"id": "d", "height": "abc"}, _square(113.303, 23.1)),
            ({"id": "e", "height": None, "floors": 4}, _square(113.304, 23.1)),
            ({"id": "f"}, _square(113.305, 23.1)),
        ],
    )
    fps = _read(path)
    assert fps.heights.tolist() == pytest.approx([12, 12, 12.5, 10, 4 * 3.2, 10])
    defaulted = [i for i in fps.issues if i.action == "defaulted"]
    assert len(defaulted) == 1
    assert defaulted[0].object_id == "d" and "'abc'" in defaulted[0].problem


def test_parse_lengths_understands_units() -> None:
    import pandas as pd

    values, bad = parse_lengths(pd.Series(["7", " 8.5 m", "9,5", "100 ft", "tall", None], dtype=object))
    np.testing.assert_allclose(values[:4], [7, 8.5, 9.5, 30.48])
    assert np.isnan(values[4:]).all()
    assert bad.tolist() == [False, False, False, False, True, False]


def test_multipolygon_parts_share_one_object_and_holes_get_inner_walls(tmp_path: Path) -> None:
    outer = [[113.3, 23.1], [113.3006, 23.1], [113.3006, 23.1006], [113.3, 23.1006], [113.3, 23.1]]
    hole = [
        [113.3002, 23.1002],
        [113.3002, 23.1004],
        [113.3004, 23.1004],
        [113.3004, 23.1002],
        [113.3002, 23.1002],
    ]
    multi = {
        "type": "MultiPolygon",
        "coordinates": [_square(113.31, 23.1)["coordinates"], _square(113.311, 23.1)["coordinates"]],
    }
    path = _geojson(
        tmp_path,
        [
            ({"id": "yard", "height": 20}, {"type": "Polygon", "coordinates": [outer, hole]}),
            ({"id": "twin", "height": 30}, multi),
        ],
    )
    fps = _read(path)
    assert len(fps) == 2 and len(fps.polygons) == 3
    layer, _ = fps.to_layer(FRAME)
    walls = layer.cell_surface == Surface.WALL
    assert np.count_nonzero(walls & (layer.cell_object == 0)) == 2 * (4 + 4)
    assert np.count_nonzero(walls & (layer.cell_object == 1)) == 2 * (4 + 4)
    assert layer.objects.ids == ["yard", "twin"]
    roof0 = layer.triangles[(layer.cell_object == 0) & (layer.cell_surface == Surface.ROOF)]
    p = layer.points
    area = 0.5 * np.cross(p[roof0[:, 1]] - p[roof0[:, 0]], p[roof0[:, 2]] - p[roof0[:, 0]])[:, 2].sum()
    ring = np.column_stack(FRAME.from_wgs84(*np.array(outer).T))
    hole_xy = np.column_stack(FRAME.from_wgs84(*np.array(hole).T))
    assert area == pytest.approx(shapely.Polygon(ring, [hole_xy]).area, rel=1e-6)


def test_bowtie_is_repaired_and_non_polygons_skipped(tmp_path: Path) -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[113.3, 23.1], [113.301, 23.101], [113.301, 23.1], [113.3, 23.101], [113.3, 23.1]]],
    }
    path = _geojson(
        tmp_path,
        [
            ({"id": "bow", "height": 10}, bowtie),
            ({"id": "pt", "height": 10}, {"type": "Point", "coordinates": [113.3, 23.1]}),
            ({"id": "none", "height": 10}, None),
            ({"id": "ok", "height": 10}, _square(113.305, 23.1)),
        ],
    )
    fps = _read(path)
    actions = {(i.object_id, i.action) for i in fps.issues}
    assert actions == {("bow", "repaired"), ("pt", "skipped"), ("none", "skipped")}
    assert fps.objects.ids == ["bow", "ok"]
    layer, issues = fps.to_layer(FRAME)
    assert len(issues) == 3
    assert (
        np.count_nonzero((layer.cell_object == 0) & (layer.cell_surface == Surface.ROOF)) == 2
    )  # two triangles


def test_gcj02_declaration_moves_footprints_by_the_china_offset(shared_data: Path) -> None:
    path = shared_data / "guangzhou" / "huacheng-osm-buildings.geojson"
    wgs, _ = _read(path, "EPSG:4326").to_layer(FRAME)
    gcj, _ = _read(path, "gcj02").to_layer(FRAME)
    shift = np.linalg.norm(wgs.points[:, :2].mean(axis=0) - gcj.points[:, :2].mean(axis=0))
    assert 500 < shift < 700


def test_other_formats_give_the_same_buildings(tmp_path: Path, shared_data: Path) -> None:
    df = gpd.read_file(shared_data / "guangzhou" / "huacheng-osm-buildings.geojson")[
        ["id", "height", "name", "geometry"]
    ]
    df.to_file(tmp_path / "b.gpkg", engine="pyogrio")
    df.to_parquet(tmp_path / "b.parquet")
    df.to_file(tmp_path / "b.shp", engine="pyogrio", encoding="utf-8")
    for name in ("b.gpkg", "b.parquet", "b.shp"):
        fps = _read(tmp_path / name, None)  # CRS taken from the file itself
        assert len(fps) == 52, name
        assert max(fps.heights) == pytest.approx(440.2), name


def test_projected_input_and_info(tmp_path: Path, shared_data: Path) -> None:
    df = gpd.read_file(shared_data / "guangzhou" / "huacheng-osm-buildings.geojson").to_crs("EPSG:32649")
    df[["id", "height", "geometry"]].to_file(tmp_path / "utm.gpkg", engine="pyogrio")
    layer, _ = _read(tmp_path / "utm.gpkg", "EPSG:32649").to_layer(FRAME)
    assert layer.points[:, 2].max() == pytest.approx(440.2)
    with pytest.raises(
        InputError,
        match=r"utm\.gpkg: crs: found EPSG:28992 \(Amersfoort / RD New\), but the coordinates .* land at .*, "
        r"outside its area of use \(Netherlands.*coordinates look like EPSG:32649 / WGS 84 / UTM zone 49N",
    ):
        _read(tmp_path / "utm.gpkg", "EPSG:28992")
    info = footprint_info(shared_data / "guangzhou" / "huacheng-osm-buildings.geojson", "EPSG:4326")
    assert info["format"] == "geojson" and info["version"] is None and info["crs"] == "EPSG:4326"
    assert info["objects"] == {"footprint": 52} and info["triangles"] > 52 * 8
    assert len(info["bbox_wgs84"]) == 4


def test_bad_inputs_name_the_file_and_the_expectation(tmp_path: Path, shared_data: Path) -> None:
    osm = shared_data / "guangzhou" / "huacheng-osm-buildings.geojson"
    with pytest.raises(InputError, match=r"nope\.geojson: no such file"):
        _read(tmp_path / "nope.geojson")
    garbage = tmp_path / "junk.geojson"
    garbage.write_text("{ not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"junk\.geojson: cannot be read as geojson"):
        _read(garbage)
    with pytest.raises(
        InputError, match=r"EPSG:32649 .* look like lon/lat degrees, and EPSG:32649 counts metres"
    ):
        _read(osm, "EPSG:32649")
    x, y = from_wgs84(113.31, 23.12, "EPSG:32649")
    x0, y0 = float(x), float(y)
    square = {"type": "Polygon", "coordinates": [[[x0, y0], [x0 + 20, y0], [x0, y0 + 20], [x0, y0]]]}
    with pytest.raises(
        InputError,
        match=r"EPSG:4326 \(WGS 84\), but the coordinates .* are not a place on Earth.*look like EPSG:32649",
    ):
        _read(_geojson(tmp_path, [({"height": 5}, square)], "utm.geojson"), "EPSG:4326")
    with pytest.raises(InputError, match=r"height_attribute = 'hoogte' is not a property"):
        _read(osm, "EPSG:4326", height_attribute="hoogte")
    with pytest.raises(InputError, match="crs 'nonsense' is not a CRS"):
        footprint_info(osm, "nonsense")
