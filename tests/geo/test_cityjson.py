"""The CityJSON loader on the real files (Den Haag, Delft, Zürich) and on broken ones."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from controlroom.core.city import CITYOBJECT_LAYER, CityLayer, Surface
from controlroom.core.issues import InputError
from controlroom.geo.cityjson import CityJsonFile, cityjson_info, epsg_from_reference, read_cityjson
from controlroom.geo.crs import LocalFrame, convert

# ------------------------------------------------------------------ helpers


def _sources_counts(shared_data: Path, file_name: str) -> dict[str, int]:
    """The "N Type" counts SOURCES.md states for one file, so tests and documentation agree."""
    text = (shared_data / "SOURCES.md").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if f"`cityjson/{file_name}`" in line)
    found = re.findall(r"(\d[\d,]*) ([A-Z][A-Za-z]+)\b", row.split("|")[2])
    return {kind: int(count.replace(",", "")) for count, kind in found if kind in CITYOBJECT_LAYER}


def _triangle_areas(layer: CityLayer) -> np.ndarray:
    p = layer.points[layer.triangles]
    return np.linalg.norm(np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0]), axis=1) / 2


def _mean_z(layer: CityLayer, surface: Surface) -> float:
    tris = layer.triangles[layer.cell_surface == surface]
    return float(layer.points[tris][:, :, 2].mean())


CUBE_VERTICES = [
    [0, 0, 0],
    [10, 0, 0],
    [10, 10, 0],
    [0, 10, 0],
    [0, 0, 6],
    [10, 0, 6],
    [10, 10, 6],
    [0, 10, 6],
]
CUBE_SHELL = [
    [[0, 3, 2, 1]],  # bottom, facing down
    [[4, 5, 6, 7]],  # top
    [[0, 1, 5, 4]],
    [[1, 2, 6, 5]],
    [[2, 3, 7, 6]],
    [[3, 0, 4, 7]],
]


def _cube(lod: str | int = "1", offset: int = 0, **extra: Any) -> dict[str, Any]:
    shell = [[[i + offset for i in ring] for ring in face] for face in CUBE_SHELL]
    return {"type": "Solid", "lod": lod, "boundaries": [shell], **extra}


def _document(objects: dict[str, Any], **top: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": "CityJSON",
        "version": "2.0",
        "transform": {"scale": [0.01, 0.01, 0.01], "translate": [85000.0, 447000.0, 0.0]},
        "metadata": {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/7415"},
        "CityObjects": objects,
        "vertices": [[x * 100, y * 100, z * 100] for x, y, z in CUBE_VERTICES],
    }
    doc.update(top)
    return {k: v for k, v in doc.items() if v is not None}


def _write(tmp_path: Path, doc: dict[str, Any] | str, name: str = "city.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


# ------------------------------------------------------------------ real data


@pytest.fixture(scope="module")
def den_haag(shared_data: Path) -> CityJsonFile:
    return read_cityjson(shared_data / "cityjson" / "DenHaag_01.city.json")


@pytest.fixture(scope="module")
def zurich(shared_data: Path) -> CityJsonFile:
    return read_cityjson(shared_data / "cityjson" / "zurich_subset_lod2.city.json")


@pytest.fixture(scope="module")
def delft(shared_data: Path) -> CityJsonFile:
    return read_cityjson(shared_data / "cityjson" / "delft.city.json")


def test_den_haag_header_and_counts(den_haag: CityJsonFile, shared_data: Path) -> None:
    assert den_haag.version == "2.0"
    assert den_haag.crs == "EPSG:7415"
    assert den_haag.horizontal_crs == "EPSG:28992"
    expected = {"Building": 844, "BuildingPart": 1653, "TINRelief": 1}
    assert den_haag.object_counts() == expected
    assert _sources_counts(shared_data, "DenHaag_01.city.json") == expected
    assert len(den_haag.vertices) == 22997


def test_delft_counts_all_lod1(delft: CityJsonFile, shared_data: Path) -> None:
    expected = {
        "Building": 160,
        "Road": 143,
        "PlantCover": 126,
        "LandUse": 81,
        "GenericCityObject": 54,
        "Bridge": 3,
        "WaterBody": 3,
    }
    assert delft.version == "2.0" and delft.crs == "EPSG:7415"
    assert delft.object_counts() == expected
    assert sum(expected.values()) == 570
    assert _sources_counts(shared_data, "delft.city.json") == expected
    assert set(delft.objects.lods) == {"1"}
    assert len(delft.objects) == 570


def test_delft_layers_split_by_object_type(delft: CityJsonFile) -> None:
    layers, _ = delft.to_layers(None)
    counts = {kind: len(layer.objects) for kind, layer in layers.items()}
    assert counts == {
        "buildings": 160,
        "roads": 143,
        "water": 3,
        "vegetation": 126,
        "landuse": 81,
        "bridges": 3,
        "other": 54,
    }
    buildings = layers["buildings"]
    # LoD1 without semantics: flat tops are told apart from walls by their normals
    assert {Surface.ROOF, Surface.WALL} <= set(np.unique(buildings.cell_surface).tolist())
    # measuredHeight is the height when the file states it
    first = buildings.objects.record(0)
    assert first["height"] == first["attributes"]["measuredHeight"]


def test_zurich_header_and_counts(zurich: CityJsonFile, shared_data: Path) -> None:
    assert zurich.version == "1.1"
    assert zurich.crs == "EPSG:2056" and zurich.horizontal_crs == "EPSG:2056"
    assert zurich.object_counts() == {"Building": 49, "BuildingPart": 161}
    documented = _sources_counts(shared_data, "zurich_subset_lod2.city.json")
    assert documented == {"Building": 49, "BuildingPart": 161}


@pytest.mark.parametrize("fixture", ["den_haag", "zurich"])
def test_semantic_roofs_walls_and_grounds(fixture: str, request: pytest.FixtureRequest) -> None:
    city: CityJsonFile = request.getfixturevalue(fixture)
    layers, issues = city.to_layers(None)
    buildings = layers["buildings"]
    surfaces = np.bincount(buildings.cell_surface, minlength=len(Surface))
    assert surfaces[Surface.ROOF] > 0 and surfaces[Surface.WALL] > 0 and surfaces[Surface.GROUND] > 0
    assert _mean_z(buildings, Surface.ROOF) > _mean_z(buildings, Surface.GROUND) + 2.0
    assert not np.isnan(buildings.points).any()
    assert set(np.unique(buildings.objects.types)) == {"BuildingPart"} | (
        {"Building"} if fixture == "den_haag" else set()
    )
    assert buildings.cell_object.max() == len(buildings.objects) - 1
    assert not [i for i in issues if i.action == "skipped" and i.object_id]


def test_ground_area_of_every_building_is_positive(den_haag: CityJsonFile) -> None:
    buildings = den_haag.to_layers(None)[0]["buildings"]
    ground = buildings.cell_surface == Surface.GROUND
    area = np.bincount(
        buildings.cell_object[ground],
        weights=_triangle_areas(buildings)[ground],
        minlength=len(buildings.objects),
    )
    assert np.all(area > 0.0), np.flatnonzero(area <= 0.0)[:10]
    assert np.median(area) > 10.0
    assert np.all(_triangle_areas(buildings) > 0)


def test_den_haag_terrain_layer(den_haag: CityJsonFile) -> None:
    layers, _ = den_haag.to_layers(None)
    terrain = layers["terrain"]
    assert terrain.objects.types == ["TINRelief"]
    assert set(terrain.cell_surface.tolist()) == {Surface.TERRAIN}
    assert terrain.n_triangles == 5595


def test_parts_keep_parent_and_inherit_its_attributes(zurich: CityJsonFile) -> None:
    buildings = zurich.to_layers(None)[0]["buildings"]
    row = buildings.objects.record(0)
    assert row["type"] == "BuildingPart"
    assert row["parent"] is not None and row["parent"].startswith("UUID_")
    attrs = row["attributes"]
    assert "Herkunft" in attrs and "class" in attrs  # from the parent Building
    assert "Geomtype" in attrs  # the part's own
    assert row["height"] is not None and row["height"] > 0
    assert row["lod"] == "2"


def test_bbox_in_wgs84_lies_in_the_right_city(den_haag: CityJsonFile, zurich: CityJsonFile) -> None:
    lon0, lat0, lon1, lat1 = den_haag.bbox_wgs84()
    assert 4.2 < lon0 < lon1 < 4.5 and 52.0 < lat0 < lat1 < 52.2
    lon0, lat0, lon1, lat1 = zurich.bbox_wgs84()
    assert 8.4 < lon0 < lon1 < 8.7 and 47.3 < lat0 < lat1 < 47.5
    x0, y0, x1, y1 = den_haag.bbox_source()
    assert (x0, y0) == pytest.approx((78248.66, 457604.591), abs=0.01)
    assert 500 < x1 - x0 < 1000 and 500 < y1 - y0 < 1000


def test_compound_crs_converts_like_its_horizontal_part(den_haag: CityJsonFile) -> None:
    """EPSG:7415 (RD New + NAP) and EPSG:28992 must place x/y identically; z stays NAP metres."""
    frame = LocalFrame("EPSG:32631", 587000.0, 5773000.0, 10.0)
    layer = den_haag.to_layers(frame)[0]["buildings"]
    used = np.unique(den_haag.to_layers(None)[0]["buildings"].points, axis=0)
    x, y = convert(used[:, 0], used[:, 1], "EPSG:7415", "EPSG:32631")
    expected = np.column_stack([x - 587000.0, y - 5773000.0, used[:, 2] - 10.0])
    got = np.unique(layer.points, axis=0)
    assert got.shape == expected.shape
    np.testing.assert_allclose(np.sort(got[:, 2]), np.sort(expected[:, 2]), atol=1e-9)
    np.testing.assert_allclose(np.sort(got[:, 0]), np.sort(expected[:, 0]), atol=1e-6)
    assert np.abs(got[:, :2]).max() < 2000.0  # local metres, not UTM-sized numbers


def test_cityjson_info(shared_data: Path) -> None:
    info = cityjson_info(shared_data / "cityjson" / "zurich_subset_lod2.city.json")
    assert info["format"] == "cityjson" and info["version"] == "1.1" and info["crs"] == "EPSG:2056"
    assert info["objects"] == {"Building": 49, "BuildingPart": 161}
    assert info["triangles"] > 5000
    lon0, lat0, lon1, lat1 = info["bbox_wgs84"]
    assert 8.4 < lon0 < 8.5 < lon1 < 8.7 and 47.3 < lat0 < 47.4 < lat1 < 47.5
    json.dumps(info)  # the CLI prints it as JSON


# ------------------------------------------------------------------ synthetic: features


def test_transform_is_applied_in_float64(tmp_path: Path) -> None:
    f = read_cityjson(_write(tmp_path, _document({"b": {"type": "Building", "geometry": [_cube()]}})))
    np.testing.assert_allclose(f.vertices[6], [85010.0, 447010.0, 6.0])
    assert f.vertices.dtype == np.float64
    assert f.bbox_source() == pytest.approx((85000.0, 447000.0, 85010.0, 447010.0))


def test_lod1_block_without_semantics_is_classified_by_normals(tmp_path: Path) -> None:
    f = read_cityjson(
        _write(
            tmp_path,
            _document({"b": {"type": "Building", "geometry": [_cube()], "attributes": {"naam": "Stadhuis"}}}),
        )
    )
    layer = f.to_layers(None)[0]["buildings"]
    assert np.bincount(layer.cell_surface, minlength=4)[1:4].tolist() == [2, 8, 2]  # ground, wall, roof
    roof = layer.triangles[layer.cell_surface == Surface.ROOF]
    assert np.all(layer.points[roof][:, :, 2] == 6.0)
    record = layer.objects.record(0)
    assert record["name"] == "Stadhuis" and record["height"] == pytest.approx(6.0)
    assert _triangle_areas(layer)[layer.cell_surface == Surface.GROUND].sum() == pytest.approx(100.0)


def test_semantic_surfaces_override_normals(tmp_path: Path) -> None:
    semantics = {
        "surfaces": [
            {"type": "GroundSurface"},
            {"type": "RoofSurface"},
            {"type": "WallSurface"},
            {"type": "+MyExtensionSurface"},
        ],
        "values": [[0, 1, 2, 2, 3, None]],
    }
    doc = _document({"b": {"type": "Building", "geometry": [_cube(semantics=semantics)]}})
    layer = read_cityjson(_write(tmp_path, doc)).to_layers(None)[0]["buildings"]
    unknown_ground_wall_roof = np.bincount(layer.cell_surface, minlength=4).tolist()
    assert unknown_ground_wall_roof == [2, 2, 6, 2]


def test_lod_choice_highest_by_default_or_the_one_asked(tmp_path: Path) -> None:
    two = {"type": "Building", "geometry": [_cube("1"), _cube("2.2")]}
    only_one = {"type": "Building", "geometry": [_cube("1")]}
    path = _write(tmp_path, _document({"a": two, "b": only_one}))

    default = read_cityjson(path)
    assert default.objects.lods == ["2.2", "1"]
    assert not [i for i in default.to_layers(None)[1] if i.action == "defaulted"]

    asked = read_cityjson(path, lod="1")
    assert asked.objects.lods == ["1", "1"]

    missing = read_cityjson(path, lod="2.2")
    assert missing.objects.lods == ["2.2", "1"]
    defaulted = [i for i in missing.to_layers(None)[1] if i.action == "defaulted"]
    assert len(defaulted) == 1 and "1 object" in defaulted[0].problem and "2.2" in defaulted[0].problem


def test_cityjson_1_0_with_numeric_lod_and_urn_crs(tmp_path: Path) -> None:
    doc = _document(
        {"b": {"type": "Building", "geometry": [_cube(2)]}},
        version="1.0",
        metadata={"referenceSystem": "urn:ogc:def:crs:EPSG::7415"},
        transform=None,
    )
    doc["vertices"] = [[85000 + x, 447000 + y, z] for x, y, z in CUBE_VERTICES]
    f = read_cityjson(_write(tmp_path, doc))
    assert f.version == "1.0" and f.crs == "EPSG:7415" and f.objects.lods == ["2"]
    assert f.to_layers(None)[0]["buildings"].n_triangles == 12


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("https://www.opengis.net/def/crs/EPSG/0/7415", "EPSG:7415"),
        ("http://www.opengis.net/def/crs/EPSG/0/2056", "EPSG:2056"),
        ("urn:ogc:def:crs:EPSG::7415", "EPSG:7415"),
        ("urn:ogc:def:crs:EPSG:0:28992", "EPSG:28992"),
        ("EPSG:32649", "EPSG:32649"),
        ("https://example.org/my-crs", None),
    ],
)
def test_reference_system_forms(reference: str, expected: str | None) -> None:
    assert epsg_from_reference(reference) == expected


def test_file_without_crs_uses_the_declared_one(tmp_path: Path) -> None:
    path = _write(tmp_path, _document({"b": {"type": "Building", "geometry": [_cube()]}}, metadata={}))
    assert read_cityjson(path, crs="epsg:28992").crs == "EPSG:28992"
    with pytest.raises(InputError, match=r"city\.json: no coordinate reference system.*referenceSystem.*crs"):
        read_cityjson(path)


def test_non_building_objects_and_point_geometry(tmp_path: Path) -> None:
    road = {
        "type": "Road",
        "geometry": [{"type": "MultiSurface", "lod": "1", "boundaries": [[[0, 1, 2, 3]]]}],
    }
    lamp = {"type": "CityFurniture", "geometry": [{"type": "MultiPoint", "lod": "1", "boundaries": [4, 5]}]}
    path = _write(tmp_path, _document({"r": road, "lamp": lamp}))
    layers, issues = read_cityjson(path).to_layers(None)
    assert list(layers) == ["roads"]
    assert layers["roads"].cell_surface.tolist() == [Surface.GROUND] * 2
    skipped = [i for i in issues if "MultiPoint" in i.problem]
    assert len(skipped) == 1 and skipped[0].action == "skipped" and "1 MultiPoint" in skipped[0].problem


# ------------------------------------------------------------------ synthetic: bad input


def test_not_json_names_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, '{\n  "type": "CityJSON",\n  "version": oops\n}')
    with pytest.raises(InputError, match=r"city\.json: not valid JSON at line 3, column 14"):
        read_cityjson(path)


def test_truncated_json(tmp_path: Path) -> None:
    text = json.dumps(_document({"b": {"type": "Building", "geometry": [_cube()]}}), indent=1)
    path = _write(tmp_path, text[: len(text) // 2])
    with pytest.raises(InputError, match=r"not valid JSON at line \d+, column \d+: the JSON ends early"):
        read_cityjson(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nothere\.city\.json: cannot read the file"):
        read_cityjson(tmp_path / "nothere.city.json")


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"type": "FeatureCollection"}, r'not a CityJSON file: "type" is \'FeatureCollection\''),
        ([1, 2, 3], r"not a CityJSON file: the top level is a JSON list"),
        (_document({}, version="3.0"), r'unsupported CityJSON "version" \'3.0\'; expected one of 1.0, 1.1'),
        (_document({}, version=None), r'unsupported CityJSON "version" None'),
        (_document({"b": {"type": "Building"}}, vertices=None), r'missing "vertices"'),
        (_document({}, vertices=[[1, 2, 3], [4, 5]]), r'"vertices" must be a list of \[x, y, z\] numbers'),
        (_document({}, vertices=[[1, 2, "x"]]), r'"vertices" must be a list of \[x, y, z\] numbers'),
        (_document({}, CityObjects=None), r'missing "CityObjects"'),
        (_document({}, CityObjects=[1]), r'"CityObjects" must be an object'),
        (_document({}, metadata={"referenceSystem": "RD new"}), r"metadata.referenceSystem is 'RD new'"),
        (_document({}, transform={"scale": [1, 1]}), r'"transform" must be'),
    ],
    ids=[
        "geojson",
        "array",
        "version-3",
        "no-version",
        "no-vertices",
        "vertex-pair",
        "vertex-text",
        "no-cityobjects",
        "cityobjects-list",
        "crs-text",
        "transform",
    ],
)
def test_bad_files_raise_a_clear_error(tmp_path: Path, doc: Any, message: str) -> None:
    path = _write(tmp_path, doc, "bad.city.json")
    with pytest.raises(InputError, match=message) as caught:
        read_cityjson(path)
    assert str(caught.value).startswith(str(path))


def test_unknown_epsg_code(tmp_path: Path) -> None:
    doc = _document(
        {"b": {"type": "Building", "geometry": [_cube()]}},
        metadata={"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/999999"},
    )
    f = read_cityjson(_write(tmp_path, doc))
    with pytest.raises(InputError, match=r"unknown coordinate reference system EPSG:999999"):
        f.bbox_wgs84()


def test_index_out_of_range_skips_only_that_object(tmp_path: Path) -> None:
    broken = _cube()
    broken["boundaries"][0][2][0][1] = 99
    doc = _document(
        {
            "good": {"type": "Building", "geometry": [_cube()]},
            "broken": {"type": "Building", "geometry": [broken]},
            "negative": {"type": "Building", "geometry": [_cube(offset=-20)]},
        }
    )
    layers, issues = read_cityjson(_write(tmp_path, doc)).to_layers(None)
    assert layers["buildings"].objects.ids == ["good"]
    assert layers["buildings"].n_triangles == 12
    problems = {i.object_id: i for i in issues}
    assert problems["broken"].action == "skipped"
    assert "vertex index 99 out of range (the file has 8 vertices)" in problems["broken"].problem
    assert "vertex index -20" in problems["negative"].problem


def test_malformed_objects_are_skipped_with_an_issue(tmp_path: Path) -> None:
    doc = _document(
        {
            "good": {"type": "Building", "geometry": [_cube()]},
            "text-index": {
                "type": "Building",
                "geometry": [{"type": "MultiSurface", "lod": "1", "boundaries": [[["a", "b", "c"]]]}],
            },
            "flat-solid": {
                "type": "Building",
                "geometry": [{"type": "Solid", "lod": "1", "boundaries": [0, 1, 2]}],
            },
            "no-type": {"geometry": [_cube()]},
        }
    )
    layers, issues = read_cityjson(_write(tmp_path, doc)).to_layers(None)
    assert layers["buildings"].objects.ids == ["good"]
    skipped = {i.object_id for i in issues if i.action == "skipped"}
    assert skipped == {"text-index", "flat-solid", "no-type"}


def test_degenerate_polygons_are_skipped_and_counted(tmp_path: Path) -> None:
    collinear = {"type": "MultiSurface", "lod": "1", "boundaries": [[[0, 1, 1]], [[0, 1, 2, 3]], [[4, 4, 4]]]}
    doc = _document(
        {
            "b": {"type": "Building", "geometry": [collinear]},
            "flat": {
                "type": "Building",
                "geometry": [{"type": "MultiSurface", "lod": "1", "boundaries": [[[0, 0, 0]]]}],
            },
        }
    )
    layers, issues = read_cityjson(_write(tmp_path, doc)).to_layers(None)
    assert layers["buildings"].objects.ids == ["b"]
    assert layers["buildings"].n_triangles == 2
    counted = [i for i in issues if "degenerate" in i.problem]
    assert len(counted) == 1 and counted[0].problem.startswith("3 polygon(s)")
    assert any(i.object_id == "flat" and i.action == "skipped" for i in issues)


def test_broken_semantics_fall_back_to_normals(tmp_path: Path) -> None:
    bad = _cube(semantics={"surfaces": [{"type": "RoofSurface"}], "values": [[0, 0, 7]]})
    layers, issues = read_cityjson(
        _write(tmp_path, _document({"b": {"type": "Building", "geometry": [bad]}}))
    ).to_layers(None)
    assert np.bincount(layers["buildings"].cell_surface, minlength=4)[1:4].tolist() == [2, 8, 2]
    assert [i.action for i in issues] == ["repaired"]
