"""Loading a whole site into one frame, and the disk cache that makes the second start quick."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from controlroom.core.city import CityModel
from controlroom.core.issues import InputError
from controlroom.geo import mesh_cache
from controlroom.geo.city_loader import load_city, load_city_file
from tests.geo.site_files import huacheng_site


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CONTROLROOM_CACHE_DIR", str(folder))
    return folder / "meshes"


def _assert_same(a: CityModel, b: CityModel) -> None:
    assert a.origin == b.origin and a.crs == b.crs
    assert (
        a.layers.keys() == b.layers.keys()
        and a.lines.keys() == b.lines.keys()
        and a.points.keys() == b.points.keys()
    )
    for k, la in a.layers.items():
        lb = b.layers[k]
        for name in ("points", "triangles", "cell_object", "cell_surface"):
            np.testing.assert_array_equal(getattr(la, name), getattr(lb, name))
            assert getattr(la, name).dtype == getattr(lb, name).dtype
        assert la.objects == lb.objects
    for k, ln in a.lines.items():
        np.testing.assert_array_equal(ln.points, b.lines[k].points)
        np.testing.assert_array_equal(ln.offsets, b.lines[k].offsets)
        np.testing.assert_array_equal(ln.cell_feature, b.lines[k].cell_feature)
        assert ln.features == b.lines[k].features
    for k, pt in a.points.items():
        np.testing.assert_array_equal(pt.points, b.points[k].points)
        assert pt.features == b.points[k].features
    assert [str(i) for i in a.issues] == [str(i) for i in b.issues]


def test_site_loads_every_layer_in_one_frame(tmp_path: Path, shared_data: Path, cache: Path) -> None:
    site = huacheng_site(tmp_path, shared_data)
    seen: list[tuple[float, str]] = []
    model = load_city(site, progress=lambda f, msg: seen.append((f, msg)))
    assert model.crs == "EPSG:32649"
    buildings = model.layers["buildings"]
    assert buildings.object_counts() == {"footprint": 52}
    assert buildings.points[:, 2].max() == pytest.approx(440.2)
    # Origin at the centre of the buildings: they sit around (0, 0).
    x0, x1, y0, y1, _, _ = model.bounds()
    assert abs(x0 + x1) < 50 and abs(y0 + y1) < 50 and x1 - x0 < 1500
    assert model.lines["roads"].n_lines == 104
    assert len(model.lines["boundary:district"].features) == 11
    assert model.points["poi"].n_points == 382
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert all(isinstance(m, str) and m for _, m in seen)
    assert len(model.sources) == 4


def test_second_load_comes_from_the_cache_unchanged(tmp_path: Path, shared_data: Path, cache: Path) -> None:
    site = huacheng_site(tmp_path, shared_data)
    first = load_city(site)
    entries = sorted(cache.glob("*.npz"))
    assert len(entries) == 4  # one per source
    stamps = [p.stat().st_mtime_ns for p in entries]
    second = load_city(site)
    _assert_same(first, second)
    assert [p.stat().st_mtime_ns for p in entries] == stamps  # read, not rebuilt
    uncached = load_city(site, use_cache=False)
    _assert_same(first, uncached)


def test_corrupt_cache_entries_are_rebuilt(tmp_path: Path, shared_data: Path, cache: Path) -> None:
    site = huacheng_site(tmp_path, shared_data)
    first = load_city(site)
    npz = sorted(cache.glob("*.npz"))
    sidecars = sorted(cache.glob("*.msgpack"))
    npz[0].write_bytes(b"not a zip file")
    raw = bytearray(npz[1].read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # a flipped bit inside the array data (CRC mismatch)
    npz[1].write_bytes(bytes(raw))
    sidecars[2].write_bytes(sidecars[2].read_bytes()[:10])
    again = load_city(site)
    _assert_same(first, again)
    for p in npz[:3]:
        assert mesh_cache.load_bundle(p.stem) is not None  # rewritten and readable


def test_edited_source_file_is_not_served_stale(tmp_path: Path, shared_data: Path, cache: Path) -> None:
    copy = tmp_path / "b.geojson"
    shutil.copy(shared_data / "guangzhou" / "huacheng-osm-buildings.geojson", copy)
    site = huacheng_site(tmp_path, shared_data, buildings=copy)
    assert load_city(site).layers["buildings"].points[:, 2].max() == pytest.approx(440.2)
    doc = json.loads(copy.read_text(encoding="utf-8"))
    for f in doc["features"]:
        if f["properties"].get("height") in ("440.2", 440.2):
            f["properties"]["height"] = "500"
    copy.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert load_city(site).layers["buildings"].points[:, 2].max() == pytest.approx(500)


def test_same_kind_layers_from_several_sources_merge(tmp_path: Path, shared_data: Path, cache: Path) -> None:
    gz = shared_data / "guangzhou" / "huacheng-osm-buildings.geojson"
    site = huacheng_site(
        tmp_path, shared_data, extra_city=f'\n[[city_model]]\npath = "{gz}"\ncrs = "gcj02"\n'
    )
    buildings = load_city(site, use_cache=False).layers["buildings"]
    assert len(buildings.objects) == 104
    assert buildings.cell_object.max() == 103
    assert buildings.objects.ids[0] == buildings.objects.ids[52]


def test_use_cache_false_writes_nothing(tmp_path: Path, shared_data: Path, cache: Path) -> None:
    load_city(huacheng_site(tmp_path, shared_data), use_cache=False)
    assert not cache.exists() or not any(cache.iterdir())


def test_bare_files_pick_their_own_metric_frame(shared_data: Path, cache: Path) -> None:
    osm = load_city_file(shared_data / "guangzhou" / "huacheng-osm-buildings.geojson", "EPSG:4326")
    assert osm.crs == "EPSG:32649"  # UTM zone of a lon/lat file's centre
    assert osm.layers["buildings"].points[:, 2].max() == pytest.approx(440.2)
    at = load_city_file(
        shared_data / "guangzhou" / "huacheng-osm-buildings.geojson",
        "EPSG:4326",
        origin_wgs84=(113.31, 23.12),
    )
    assert at.origin != osm.origin


def test_cityjson_file_loads_and_caches(shared_data: Path, cache: Path) -> None:
    path = shared_data / "cityjson" / "DenHaag_01.city.json"
    first = load_city_file(path)
    assert first.crs == "EPSG:28992"  # horizontal part of the file's EPSG:7415
    assert first.layers["buildings"].n_triangles > 10_000
    assert "terrain" in first.layers
    _assert_same(first, load_city_file(path))


def test_bad_bare_files_raise_input_errors(tmp_path: Path, cache: Path) -> None:
    with pytest.raises(InputError, match=r"nothing\.geojson: no such file"):
        load_city_file(tmp_path / "nothing.geojson")
    (tmp_path / "x.geojson").write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    with pytest.raises(InputError, match="is not a CRS"):
        load_city_file(tmp_path / "x.geojson", "EPSG:banana")
