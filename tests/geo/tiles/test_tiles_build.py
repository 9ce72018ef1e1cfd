"""Our tiles: a 3D Tiles 1.1 tileset that round-trips the city and passes the Khronos validator."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from controlroom.core.city import CityModel
from controlroom.geo.crs import LocalFrame
from controlroom.geo.tiles.build import build_tileset
from controlroom.geo.tiles.gltf_read import decode_glb
from controlroom.geo.tiles.tileset import read_tileset

ROOT = Path(__file__).resolve().parents[3]
VALIDATOR = ROOT / "tools" / "gltf-validator" / "node_modules" / "gltf-validator"


@pytest.fixture(scope="module")
def denhaag(shared_data: Path) -> CityModel:
    from controlroom.geo.city_loader import load_city_file

    return load_city_file(shared_data / "cityjson" / "DenHaag_01.city.json", use_cache=False)


@pytest.fixture(scope="module")
def denhaag_tiles(denhaag: CityModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiles") / "denhaag"
    build_tileset(list(denhaag.layers.values()), LocalFrame.of_model(denhaag), out, max_features_per_leaf=300)
    return out


def _leaf_contents(folder: Path) -> list[Path]:
    ts = read_tileset(folder)
    return [c for t in ts.tiles if not t.children for c in t.contents]


def test_denhaag_round_trips_ids_attributes_and_triangles(denhaag: CityModel, denhaag_tiles: Path) -> None:
    ts = read_tileset(denhaag_tiles)
    assert ts.version == "1.1" and ts.levels >= 3 and not ts.issues
    got: dict[str, dict[str, object]] = {}
    triangles = 0
    for path in _leaf_contents(denhaag_tiles):
        mesh = decode_glb(path.read_bytes(), str(path))
        triangles += len(mesh.triangles)
        for i in range(mesh.n_features):
            got[str(mesh.features["id"][i])] = mesh.record(i)
    assert triangles == denhaag.n_triangles
    for layer in denhaag.layers.values():
        objects = layer.objects
        for i in np.unique(layer.cell_object).tolist():
            rec = got[objects.ids[i]]
            assert rec["type"] == objects.types[i] and rec["parent"] == objects.parents[i]
            assert rec["height"] == pytest.approx(objects.heights[i])
            for key, value in objects.attributes[i].items():
                assert rec[key] == value, (objects.ids[i], key)


def test_leaf_geometry_sits_where_the_city_is(denhaag: CityModel, denhaag_tiles: Path) -> None:
    lo = np.full(3, np.inf)
    hi = np.full(3, -np.inf)
    for path in _leaf_contents(denhaag_tiles):
        pts = decode_glb(path.read_bytes(), str(path)).points
        lo, hi = np.minimum(lo, pts.min(0)), np.maximum(hi, pts.max(0))
    x0, x1, y0, y1, z0, z1 = denhaag.bounds()
    assert np.allclose(lo, [x0, y0, z0], atol=0.01) and np.allclose(hi, [x1, y1, z1], atol=0.01)


def test_parents_are_coarser_stand_ins_naming_real_buildings(denhaag: CityModel, denhaag_tiles: Path) -> None:
    ts = read_tileset(denhaag_tiles)
    root = decode_glb(ts.root.contents[0].read_bytes(), "root")
    assert ts.root.geometric_error > 0 and len(root.triangles) < denhaag.n_triangles / 4
    ids = set(denhaag.layers["buildings"].objects.ids)
    assert set(map(str, root.features["id"])) <= ids | set(denhaag.layers["terrain"].objects.ids)
    for tile in ts.tiles:  # every child is more exact than its parent
        for c in tile.children:
            assert ts.tiles[c].geometric_error < tile.geometric_error


@pytest.mark.skipif(
    shutil.which("node") is None or not VALIDATOR.is_dir(), reason="node or gltf-validator missing"
)
def test_our_glb_passes_the_khronos_validator(denhaag_tiles: Path) -> None:
    ts = read_tileset(denhaag_tiles)
    files = [str(ts.root.contents[0])] + [str(p) for p in _leaf_contents(denhaag_tiles)[:3]]
    run = subprocess.run(
        ["node", str(ROOT / "scripts" / "gltf-validate.js"), *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    reports = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(reports) == len(files)
    for r in reports:
        assert r["errors"] == 0, r["messages"]
        assert r["warnings"] == 0, r["messages"]


def test_tiles_build_and_info_cli(tmp_path: Path) -> None:
    from controlroom.app.big_city import generate
    from controlroom.app.cli import main

    site = generate(tmp_path / "city", n=20_000)
    out = tmp_path / "tiles"
    assert main(["tiles", "build", "--site", str(site), "--out", str(out), "--quiet"]) == 0
    run = subprocess.run(
        [sys.executable, "-m", "controlroom.app.cli", "tiles", "info", str(out), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    info = json.loads(run.stdout)
    assert set(info) >= {"version", "tiles", "levels", "features", "bytes", "bbox_wgs84"}
    assert info["version"] == "1.1" and info["features"] == 20_000 and info["levels"] >= 2
    lon0, lat0, lon1, lat1 = info["bbox_wgs84"]
    assert lon0 < 113.32 < lon1 and lat0 < 23.11 < lat1  # the generated city is centred there
    assert info["bytes"] == sum(f.stat().st_size for f in out.rglob("*") if f.is_file())


def test_tiles_written_by_several_processes_equal_one_process(denhaag: CityModel, tmp_path: Path) -> None:
    """Forked writers (the CLI and bench default on a multi-core machine) change nothing written."""
    layers, frame = list(denhaag.layers.values()), LocalFrame.of_model(denhaag)
    one = build_tileset(layers, frame, tmp_path / "one", max_features_per_leaf=300, workers=1)
    two = build_tileset(layers, frame, tmp_path / "two", max_features_per_leaf=300, workers=2)
    assert (one.tiles, one.features, one.bytes) == (two.tiles, two.features, two.bytes)
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*") if p.is_file())
    assert len(files) > one.tiles  # tileset.json and at least one content per tile
    for rel in files:
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "two" / rel).read_bytes(), rel
