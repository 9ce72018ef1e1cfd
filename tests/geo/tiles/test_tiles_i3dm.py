"""i3dm instances: a real glTF tree placed, turned and scaled per instance, as CesiumJS places them."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from controlroom.geo.tiles.content import read_tile_content
from controlroom.geo.tiles.glb import TileContentError
from controlroom.geo.tiles.gltf_read import decode_glb

TREE = "1.1_MetadataGranularities/tree-beech-1-0.glb"


def _pad(b: bytes, fill: bytes = b" ") -> bytes:
    return b + fill * (-len(b) % 8)


def _i3dm(ft: dict, ft_bin: bytes, bt: dict, body: bytes, gltf_format: int = 1) -> bytes:
    ftj, btj = _pad(json.dumps(ft).encode()), _pad(json.dumps(bt).encode())
    ft_bin, body = _pad(ft_bin, b"\0"), body
    length = 32 + len(ftj) + len(ft_bin) + len(btj) + len(body)
    head = struct.pack("<4s7I", b"i3dm", 1, length, len(ftj), len(ft_bin), len(btj), 0, gltf_format)
    return head + ftj + ft_bin + btj + body


def _oct(v: np.ndarray) -> np.ndarray:
    p = v / np.abs(v).sum(axis=1, keepdims=True)
    x, y = p[:, 0].copy(), p[:, 1].copy()
    neg = p[:, 2] < 0
    sx, sy = np.where(x >= 0, 1.0, -1.0), np.where(y >= 0, 1.0, -1.0)
    x[neg], y[neg] = (1 - np.abs(p[neg, 1])) * sx[neg], (1 - np.abs(p[neg, 0])) * sy[neg]
    return np.round((np.column_stack([x, y]) + 1) / 2 * 65535).astype(np.uint16)


@pytest.fixture(scope="module")
def tree(shared_data: Path) -> bytes:
    return (shared_data / "3dtiles" / TREE).read_bytes()


def _model_triangles(glb: bytes) -> int:
    """Counted with pygltflib directly, not through our decoder."""
    import pygltflib

    g = pygltflib.GLTF2.load_from_bytes(glb)
    return sum(
        g.accessors[p.indices].count // 3 for m in g.meshes for p in m.primitives if p.mode in (None, 4)
    )


def test_instances_are_placed_turned_scaled_and_pickable(tree: bytes, tmp_path: Path) -> None:
    n = 3
    position = np.array([[0, 0, 0], [50, 0, 0], [0, 80, 5]], np.float32)
    up = np.array([[0, 0, 1], [0, 0, 1], [1, 0, 0]], np.float32)
    right = np.array([[1, 0, 0], [0, 1, 0], [0, 1, 0]], np.float32)
    scale = np.array([[1, 1, 1], [2, 2, 2], [1, 3, 1]], np.float32)
    batch = np.array([2, 0, 1], np.uint16)
    body = position.tobytes() + up.tobytes() + right.tobytes() + scale.tobytes() + batch.tobytes()
    o = 36
    ft = {
        "INSTANCES_LENGTH": n,
        "RTC_CENTER": [1000.0, 2000.0, 3.0],
        "POSITION": {"byteOffset": 0},
        "NORMAL_UP": {"byteOffset": o},
        "NORMAL_RIGHT": {"byteOffset": 2 * o},
        "SCALE_NON_UNIFORM": {"byteOffset": 3 * o},
        "BATCH_ID": {"byteOffset": 4 * o, "componentType": "UNSIGNED_SHORT"},
    }
    bt = {"species": ["beech", "lime", "spruce"], "height": [12.0, 9.5, 20.0]}
    path = tmp_path / "trees.i3dm"
    path.write_bytes(_i3dm(ft, body, bt, tree))
    mesh = read_tile_content(path)
    model = decode_glb(tree, TREE)
    v = len(model.points)
    assert len(mesh.triangles) == n * _model_triangles(tree)
    for i in range(n):
        fwd = np.cross(right[i], up[i])
        expected = (
            np.asarray(ft["RTC_CENTER"])
            + position[i]
            + np.outer(model.points[:, 0] * scale[i, 0], right[i])
            + np.outer(model.points[:, 1] * scale[i, 1], up[i])
            + np.outer(model.points[:, 2] * scale[i, 2], fwd)
        )
        assert np.allclose(mesh.points[i * v : (i + 1) * v], expected, atol=1e-4)
        assert set(mesh.vertex_feature[i * v : (i + 1) * v].tolist()) == {int(batch[i])}
    assert mesh.record(2) == {"id": "2", "species": "spruce", "height": 20.0}  # instance 0 → batch 2


def test_quantized_positions_oct_normals_and_an_external_model(tree: bytes, tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    n = 40
    offset, extent = np.array([-500.0, -500.0, 0.0]), np.array([1000.0, 1000.0, 30.0])
    q = rng.integers(0, 65535, (n, 3)).astype(np.uint16)
    up = np.tile([0.0, 0.0, 1.0], (n, 1))
    angle = rng.uniform(0, 2 * np.pi, n)
    right = np.column_stack([np.cos(angle), np.sin(angle), np.zeros(n)])
    body = q.tobytes() + b"\0\0" + _oct(up).tobytes() + _oct(right).tobytes()
    ft = {
        "INSTANCES_LENGTH": n,
        "QUANTIZED_VOLUME_OFFSET": offset.tolist(),
        "QUANTIZED_VOLUME_SCALE": extent.tolist(),
        "POSITION_QUANTIZED": {"byteOffset": 0},
        "NORMAL_UP_OCT32P": {"byteOffset": n * 6 + 2},
        "NORMAL_RIGHT_OCT32P": {"byteOffset": n * 6 + 2 + n * 4},
    }
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "tree.glb").write_bytes(tree)
    path = tmp_path / "trees.i3dm"
    path.write_bytes(_i3dm(ft, body, {}, _pad(b"models/tree.glb"), gltf_format=0))
    mesh = read_tile_content(path)
    model = decode_glb(tree, TREE)
    v = len(model.points)
    where = offset + q / 65535.0 * extent
    for i in (0, 17, n - 1):
        fwd = np.cross(right[i], up[i])
        expected = where[i] + np.outer(model.points[:, 0], right[i]) + np.outer(model.points[:, 1], up[i])
        expected += np.outer(model.points[:, 2], fwd)
        assert np.allclose(mesh.points[i * v : (i + 1) * v], expected, atol=0.02)  # oct: ~1e-4 rad
    assert mesh.n_features == n and mesh.features["id"][17] == "17"


def test_broken_i3dm_tiles_are_named(tree: bytes, tmp_path: Path) -> None:
    ok = _i3dm({"INSTANCES_LENGTH": 1, "POSITION": {"byteOffset": 0}}, bytes(12), {}, tree)
    cases = {
        "truncated.i3dm": ok[: len(ok) // 2],
        "empty.i3dm": _i3dm({"INSTANCES_LENGTH": 0}, b"", {}, tree),
        "nowhere.i3dm": _i3dm({"INSTANCES_LENGTH": 1}, b"", {}, tree),
        "lost.i3dm": _i3dm(
            {"INSTANCES_LENGTH": 1, "POSITION": {"byteOffset": 0}}, bytes(12), {}, b"x.glb", 0
        ),
    }
    expected = {
        "truncated.i3dm": "truncated i3dm",
        "empty.i3dm": "INSTANCES_LENGTH is missing or 0",
        "nowhere.i3dm": "no POSITION",
        "lost.i3dm": "its model x.glb cannot be read",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(TileContentError, match=expected[name]) as err:
            read_tile_content(tmp_path / name)
        assert name in str(err.value)
