"""Real 3D Tiles: 1.0 b3dm (batch tables, RTC, regions, ADD), 1.1 implicit tiling, multiple contents."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from controlroom.geo.tiles.content import read_tile_content
from controlroom.geo.tiles.glb import TileContentError
from controlroom.geo.tiles.tileset import read_tileset


def _glb_of(data: bytes) -> bytes:
    if data[:4] == b"b3dm":
        _, _, length, ftj, ftb, btj, btb = struct.unpack_from("<4s6I", data)
        return data[28 + ftj + ftb + btj + btb : length]
    return data


def _triangles(data: bytes) -> int:
    """Triangles of a glb counted straight from its JSON chunk (independent of our reader)."""
    glb = _glb_of(data)
    (json_len,) = struct.unpack_from("<I", glb, 12)
    doc = json.loads(glb[20 : 20 + json_len])
    total = 0
    for mesh in doc["meshes"]:
        for prim in mesh["primitives"]:
            if prim.get("mode", 4) != 4:
                continue
            acc = prim.get("indices", prim["attributes"]["POSITION"])
            total += doc["accessors"][acc]["count"] // 3
    return total


def _batch_length(data: bytes) -> int:
    _, _, _, ftj, *_ = struct.unpack_from("<4s6I", data)
    return int(json.loads(data[28 : 28 + ftj])["BATCH_LENGTH"])


@pytest.fixture(scope="module")
def tiles_dir(shared_data: Path) -> Path:
    return shared_data / "3dtiles"


def test_b3dm_city_tileset_reads_tiles_features_and_triangles(tiles_dir: Path) -> None:
    folder = tiles_dir / "1.0_TilesetWithRequestVolume_city"
    ts = read_tileset(folder)
    assert ts.version == "1.0" and len(ts.tiles) == 5 and not ts.issues
    assert ts.root.refine == "ADD" and len(ts.root.children) == 4
    contents = [c for t in ts.tiles for c in t.contents]
    assert sorted(c.name for c in contents) == sorted(p.name for p in folder.glob("*.b3dm"))
    features = 0
    for path in contents:
        data = path.read_bytes()
        mesh = read_tile_content(path)
        assert len(mesh.triangles) == _triangles(data)
        assert mesh.n_features == _batch_length(data)
        assert set(mesh.features) >= {"id", "Longitude", "Latitude", "Height"}
        assert set(mesh.vertex_feature.tolist()) == set(range(mesh.n_features))
        features += mesh.n_features
        # RTC_CENTER applied: ECEF metres inside the tile's region (its box in ECEF)
        tile = next(t for t in ts.tiles if path in t.contents)
        assert (mesh.points >= tile.box_min - 1).all() and (mesh.points <= tile.box_max + 1).all()
    assert features == 40


def test_real_dutch_buildings_from_3dbag_with_nested_attributes(tiles_dir: Path) -> None:
    path = tiles_dir / "b3dm" / "nederland3d_6825.b3dm"
    data = path.read_bytes()
    mesh = read_tile_content(path)
    assert mesh.n_features == _batch_length(data) == 467
    assert len(mesh.triangles) == _triangles(data)
    assert mesh.features["id"][0].startswith("UUID_")
    assert "Maximale dakhoogte" in mesh.features  # from the nested `attributes` objects
    r = np.linalg.norm(mesh.points, axis=1)
    assert (abs(r - 6.37e6) < 3e4).all()  # CESIUM_RTC + node matrix: on the Earth's surface


def test_surface_features_and_string_numbers(tiles_dir: Path) -> None:
    path = tiles_dir / "b3dm" / "with_batch.b3dm"
    mesh = read_tile_content(path)
    assert mesh.n_features == 12 and len(mesh.triangles) == _triangles(path.read_bytes())
    assert set(mesh.features["surfaceType"]) >= {"roof"}


def test_implicit_quadtree_with_subtrees(tiles_dir: Path) -> None:
    folder = tiles_dir / "1.1_SparseImplicitQuadtree"
    ts = read_tileset(folder)
    assert not ts.issues and ts.levels == 6
    contents = [c for t in ts.tiles for c in t.contents]
    assert sorted(c.name for c in contents) == sorted(p.name for p in (folder / "content").glob("*.glb"))
    for t in ts.tiles:  # each content named by its own level and coordinates
        for c in t.contents:
            assert c.name.startswith(f"content_{t.level}__")
    for t in ts.tiles:
        for k in t.children:
            child = ts.tiles[k]
            assert child.level == t.level + 1
            assert (child.box_min >= t.box_min - 1e-9).all() and (child.box_max <= t.box_max + 1e-9).all()


def test_multiple_contents_per_tile(tiles_dir: Path) -> None:
    folder = tiles_dir / "1.1_MetadataGranularities"
    ts = read_tileset(folder)
    with_content = [t for t in ts.tiles if t.contents]
    assert len(with_content) == 4 and all(len(t.contents) == 5 for t in with_content)
    total = sum(len(read_tile_content(c).triangles) for t in with_content for c in t.contents)
    assert total == sum(_triangles(c.read_bytes()) for t in with_content for c in t.contents)


def test_gltf_1_inside_b3dm_is_named_with_what_to_do(tiles_dir: Path, tmp_path: Path) -> None:
    data = bytearray((tiles_dir / "1.0_TilesetWithRequestVolume_city" / "ll.b3dm").read_bytes())
    _, _, _, ftj, ftb, btj, btb = struct.unpack_from("<4s6I", data)
    glb_at = 28 + ftj + ftb + btj + btb
    data[glb_at + 4 : glb_at + 8] = (1).to_bytes(4, "little")
    bad = tmp_path / "osgb_tile.b3dm"
    bad.write_bytes(bytes(data))
    with pytest.raises(TileContentError) as err:
        read_tile_content(bad)
    assert "osgb_tile.b3dm" in str(err.value) and "glTF 1.0" in str(err.value) and "upgrade" in str(err.value)
    truncated = tmp_path / "short.b3dm"
    truncated.write_bytes(bytes(data[: len(data) // 3]))
    with pytest.raises(TileContentError, match=r"short\.b3dm: truncated"):
        read_tile_content(truncated)


def test_a_3d_tiles_site_streams_with_pickable_batch_attributes(tiles_dir: Path, tmp_path: Path) -> None:
    from controlroom.core.site import load_site
    from controlroom.geo.city_loader import load_city
    from controlroom.render.tiled_city import TiledCity, local_from_tileset

    folder = tiles_dir / "1.0_TilesetWithRequestVolume_city"
    site_toml = tmp_path / "site.toml"
    site_toml.write_text(
        f'schema = 1\n[site]\nname = "t"\ntitle = "T"\ncrs = "EPSG:32618"\n'
        f'[[city_model]]\npath = "{folder / "tileset.json"}"\n',
        encoding="utf-8",
    )
    site = load_site(site_toml)
    assert site.streams_tiles and site.city_model[0].resolved_format == "3dtiles"
    model = load_city(site)
    assert model.tilesets == [str((folder / "tileset.json").resolve())]  # the site resolves paths
    ts = read_tileset(folder)
    city = TiledCity(ts, local_from_tileset(ts, model.crs, model.origin), 64 << 20)
    lo, hi = city.index.lo[0], city.index.hi[0]
    assert np.abs(lo[:2]).max() < 500 and np.abs(hi[:2]).max() < 500  # the site frame is centred on it
    from controlroom.geo.tiles.select import Camera

    centre = (lo + hi) / 2
    city.update(Camera(tuple(centre + np.array([0, -1, 800])), tuple(centre), (0, 0, 1), 30, (800, 600)))
    assert len(city.shown) == 4  # ADD: the four children (the root has no content)
    part = city.cache.items[city.shown[0]][0].parts[0]
    f = 3
    xy = part.points[part.triangles[part.cell_feature == f]].reshape(-1, 3)[:, :2].mean(0)
    got = city.pick_ray(np.array([*xy, 500.0]), np.array([0.0, 0.0, -1.0]))
    assert got is not None and got.record["id"] == part.features["id"][f]
    assert got.record["Height"] == pytest.approx(part.features["Height"][f])
