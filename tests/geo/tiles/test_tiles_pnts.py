"""Point clouds (pnts) and composites (cmpt) are read and drawn, and broken ones are named.

The files are written here byte by byte from the 3D Tiles 1.0 spec (header, feature table, batch
table), independently of the reader.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from controlroom.geo.tiles.content import read_tile_content
from controlroom.geo.tiles.glb import TileContentError, encode_glb


def _pad(b: bytes, fill: bytes = b" ") -> bytes:
    return b + fill * ((-len(b)) % 8)


def _tile(magic: bytes, feature: dict, ft_bin: bytes, batch: dict, bt_bin: bytes, body: bytes = b"") -> bytes:
    ftj, btj = _pad(json.dumps(feature).encode()), _pad(json.dumps(batch).encode()) if batch else b""
    ftb, btb = _pad(ft_bin, b"\0"), _pad(bt_bin, b"\0")
    length = 28 + len(ftj) + len(ftb) + len(btj) + len(btb) + len(body)
    head = struct.pack("<4s6I", magic, 1, length, len(ftj), len(ftb), len(btj), len(btb))
    return head + ftj + ftb + btj + btb + body


def _cmpt(*tiles: bytes) -> bytes:
    return struct.pack("<4s3I", b"cmpt", 1, 16 + sum(len(t) for t in tiles), len(tiles)) + b"".join(tiles)


def _cloud(n: int = 50) -> tuple[bytes, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    q = rng.integers(0, 65536, (n, 3)).astype(np.uint16)
    rgb = rng.integers(0, 256, (n, 3)).astype(np.uint8)
    intensity = rng.random(n).astype(np.float32)
    offset, scale, rtc = [10.0, 20.0, 0.0], [100.0, 50.0, 30.0], [1000.0, 2000.0, 5.0]
    ft_bin = q.tobytes() + b"\0" * ((-q.nbytes) % 8) + rgb.tobytes()
    feature = {
        "POINTS_LENGTH": n,
        "POSITION_QUANTIZED": {"byteOffset": 0},
        "QUANTIZED_VOLUME_OFFSET": offset,
        "QUANTIZED_VOLUME_SCALE": scale,
        "RGB": {"byteOffset": q.nbytes + (-q.nbytes) % 8},
        "RTC_CENTER": rtc,
    }
    batch = {"intensity": {"byteOffset": 0, "componentType": "FLOAT", "type": "SCALAR"}}
    expected = np.asarray(offset) + q * (np.asarray(scale) / 65535.0) + np.asarray(rtc)
    return _tile(b"pnts", feature, ft_bin, batch, intensity.tobytes()), expected, rgb, intensity


def _b3dm(shift: float, ids: list[str]) -> bytes:
    pts = np.array([[0, 0, 0], [10, 0, 0], [0, 10, 0], [10, 10, 5]], float) + shift
    tris = np.array([[0, 1, 2], [1, 3, 2]])
    glb = encode_glb(pts, tris, [0, 0, 1, 1], {"id": ids})
    return _tile(b"b3dm", {"BATCH_LENGTH": len(ids)}, b"", {"name": ids}, b"", glb)


def test_a_point_cloud_is_read_with_positions_colours_and_attributes(tmp_path: Path) -> None:
    data, expected, rgb, intensity = _cloud()
    (path := tmp_path / "cloud.pnts").write_bytes(data)
    mesh = read_tile_content(path)
    assert mesh.point_cloud and len(mesh.triangles) == 0
    assert np.allclose(mesh.points, expected, atol=1e-6)
    assert mesh.colours is not None and (mesh.colours == rgb).all()
    assert np.allclose(mesh.features["intensity"], intensity)
    assert (mesh.vertex_feature == np.arange(len(expected))).all()


def test_a_composite_merges_its_inner_tiles(tmp_path: Path) -> None:
    (path := tmp_path / "two.cmpt").write_bytes(_cmpt(_b3dm(0, ["a", "b"]), _b3dm(100, ["c", "d"])))
    mesh = read_tile_content(path)
    assert len(mesh.triangles) == 4 and len(mesh.points) == 8
    assert mesh.features["name"] == ["a", "b", "c", "d"]
    # the second tile's features follow the first's: its triangle over x ≥ 100 is feature 2 or 3
    second = mesh.vertex_feature[mesh.triangles[2:, 0]]
    assert set(second.tolist()) <= {2, 3} and mesh.points[mesh.triangles[2:]].min() >= 100


def test_broken_point_clouds_and_composites_are_named(tmp_path: Path) -> None:
    data, *_ = _cloud()
    (cut := tmp_path / "cut.cmpt").write_bytes(_cmpt(_b3dm(0, ["a", "b"]), data)[:-40])
    with pytest.raises(TileContentError, match=r"cut\.cmpt.*truncated"):
        read_tile_content(cut)
    bad = _tile(b"pnts", {"POINTS_LENGTH": 50}, b"", {}, b"")
    (nopos := tmp_path / "nopos.pnts").write_bytes(bad)
    with pytest.raises(TileContentError, match=r"nopos\.pnts: pnts has neither POSITION"):
        read_tile_content(nopos)
    (mixed := tmp_path / "mixed.cmpt").write_bytes(_cmpt(_b3dm(0, ["a", "b"]), data))
    with pytest.raises(TileContentError, match=r"mixed\.cmpt: mixes point clouds and meshes"):
        read_tile_content(mixed)


def test_a_point_cloud_tile_is_drawn_as_coloured_points(tmp_path: Path) -> None:
    from vtkmodules.util.numpy_support import vtk_to_numpy

    from controlroom.geo.tiles.select import Camera
    from controlroom.geo.tiles.tileset import read_tileset
    from controlroom.render.tiled_city import TiledCity, load_tile

    data, expected, rgb, _ = _cloud(200)
    (tmp_path / "cloud.pnts").write_bytes(data)
    lo, hi = expected.min(0), expected.max(0)
    c, h = (lo + hi) / 2, (hi - lo) / 2 + 1
    box = [*c, h[0], 0, 0, 0, h[1], 0, 0, 0, h[2]]
    doc = {
        "asset": {"version": "1.0"},
        "geometricError": 100,
        "root": {"boundingVolume": {"box": box}, "geometricError": 0, "content": {"uri": "cloud.pnts"}},
    }
    (tmp_path / "tileset.json").write_text(json.dumps(doc))
    ts = read_tileset(tmp_path)
    loaded = load_tile(ts, 0, np.eye(4))
    assert not loaded.errors
    poly = loaded.parts[0].polydata
    assert poly.GetNumberOfCells() == 200 and poly.GetNumberOfPoints() == 200
    assert (vtk_to_numpy(poly.GetCellData().GetArray("rgb")) == rgb).all()
    city = TiledCity(ts, np.eye(4), 1 << 30)  # the map streams it like any tile
    centre = tuple(map(float, c))
    city.update(
        Camera((centre[0], centre[1] - 300, centre[2] + 300), centre, (0.0, 0.0, 1.0), 30.0, (800, 600))
    )
    assert city.shown == [0] and not city.errors
