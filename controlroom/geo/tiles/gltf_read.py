"""glTF 2.0 (GLB) content → one triangle mesh with feature ids and attributes, through pygltflib.

Reads ours and the field's: node transforms, ``CESIUM_RTC``, ``_BATCHID`` (3D Tiles 1.0) or
``EXT_mesh_features`` feature ids, and ``EXT_structural_metadata`` property tables (3D Tiles 1.1).
Returns z-up coordinates (glTF is y-up). pygltflib, not trimesh: trimesh rejects the ``data:,``
buffers that 3DBAG's b3dm tiles carry.
"""

from __future__ import annotations

import itertools
import struct
from typing import Any

import numpy as np
import numpy.typing as npt

from controlroom.geo.tiles.glb import TileContentError, TileMesh

_DTYPES = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}
_Y_UP_TO_Z_UP = np.array([[1, 0, 0, 0], [0, 0, -1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], np.float64)


def _load(data: bytes, name: str) -> Any:
    import pygltflib as g

    if len(data) < 20 or data[:4] != b"glTF":
        raise TileContentError(f"{name}: not a GLB file (no 'glTF' magic)")
    version = struct.unpack_from("<I", data, 4)[0]
    if version != 2:
        raise TileContentError(
            f"{name}: glTF {version}.0 content; only glTF 2.0 is read. Convert the tileset to glTF 2.0 "
            "(e.g. `npx 3d-tiles-tools upgrade`) and point the site at the result"
        )
    if struct.unpack_from("<I", data, 8)[0] > len(data):
        raise TileContentError(
            f"{name}: truncated ({len(data)} bytes, header says {struct.unpack_from('<I', data, 8)[0]})"
        )
    try:
        gltf = g.GLTF2.load_from_bytes(data)
    except Exception as exc:  # pygltflib raises many kinds on damaged input
        raise TileContentError(f"{name}: unreadable glTF ({type(exc).__name__}: {exc})") from None
    return gltf


def _buffer_bytes(gltf: Any, index: int, name: str) -> bytes:
    buf = gltf.buffers[index]
    if buf.uri is None:
        blob = gltf.binary_blob()
        if blob is None:
            raise TileContentError(f"{name}: buffer {index} has no data")
        return bytes(blob)
    if buf.uri.startswith("data:"):
        if buf.uri.startswith("data:,"):  # 3DBAG's empty data URI: the GLB chunk holds the bytes
            blob = gltf.binary_blob()
            return bytes(blob) if blob is not None else b""
        return bytes(gltf.decode_data_uri(buf.uri))
    raise TileContentError(f"{name}: external buffer {buf.uri!r} is not supported in tile content")


def _view(gltf: Any, buffers: dict[int, bytes], index: int, name: str) -> tuple[bytes, int, int | None]:
    view = gltf.bufferViews[index]
    if view.buffer not in buffers:
        buffers[view.buffer] = _buffer_bytes(gltf, view.buffer, name)
    off = view.byteOffset or 0
    data = buffers[view.buffer]
    if off + view.byteLength > len(data):
        raise TileContentError(f"{name}: bufferView {index} runs past the end of its buffer (truncated?)")
    return data, off, view.byteStride


def read_accessor(gltf: Any, buffers: dict[int, bytes], index: int, name: str) -> npt.NDArray[Any]:
    acc = gltf.accessors[index]
    dtype = np.dtype(_DTYPES[acc.componentType])
    width = _WIDTH[acc.type]
    if acc.bufferView is None:
        return np.zeros((acc.count, width), dtype)
    data, off, stride = _view(gltf, buffers, acc.bufferView, name)
    off += acc.byteOffset or 0
    item = dtype.itemsize * width
    if stride and stride != item:
        if off + stride * (acc.count - 1) + item > len(data):
            raise TileContentError(f"{name}: accessor {index} runs past its buffer (truncated?)")
        raw = np.ndarray((acc.count, width), dtype, buffer=data, offset=off, strides=(stride, dtype.itemsize))
        return np.array(raw)
    if off + item * acc.count > len(data):
        raise TileContentError(f"{name}: accessor {index} runs past its buffer (truncated?)")
    return np.frombuffer(data, dtype, acc.count * width, off).reshape(acc.count, width).copy()


def _node_matrix(node: Any) -> npt.NDArray[np.float64]:
    if node.matrix:
        return np.asarray(node.matrix, np.float64).reshape(4, 4).T
    m = np.eye(4)
    if node.scale:
        m = np.diag([*node.scale, 1.0]) @ m
    if node.rotation:
        x, y, z, w = node.rotation
        r = np.array(
            [
                [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
            ]
        )
        rot = np.eye(4)
        rot[:3, :3] = r
        m = rot @ m
    if node.translation:
        t = np.eye(4)
        t[:3, 3] = node.translation
        m = t @ m
    return m


def _property_table(gltf: Any, buffers: dict[int, bytes], name: str) -> dict[str, list[Any]]:
    ext = (gltf.extensions or {}).get("EXT_structural_metadata")
    if not ext or not ext.get("propertyTables"):
        return {}
    table = ext["propertyTables"][0]
    schema = ext.get("schema") or {}
    cls = (schema.get("classes") or {}).get(table["class"], {}).get("properties", {})
    count = int(table["count"])
    out: dict[str, list[Any]] = {}
    for pid, prop in table.get("properties", {}).items():
        spec = cls.get(pid, {})
        key = spec.get("name", pid)
        nodata = spec.get("noData")
        data, off, _ = _view(gltf, buffers, prop["values"], name)
        if spec.get("type") == "STRING":
            odt = {"UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64}[
                prop.get("stringOffsetType", "UINT32")
            ]
            odata, ooff, _ = _view(gltf, buffers, prop["stringOffsets"], name)
            offsets = np.frombuffer(odata, odt, count + 1, ooff).astype(np.int64)
            values: list[Any] = [
                data[off + a : off + b].decode("utf-8") for a, b in itertools.pairwise(offsets.tolist())
            ]
        elif spec.get("type") == "SCALAR":
            dt = {
                "FLOAT64": np.float64,
                "FLOAT32": np.float32,
                "INT64": np.int64,
                "INT32": np.int32,
                "UINT32": np.uint32,
                "INT16": np.int16,
                "UINT16": np.uint16,
                "INT8": np.int8,
                "UINT8": np.uint8,
            }[spec["componentType"]]
            values = np.frombuffer(data, dt, count, off).tolist()
        else:
            continue  # enums, vectors, arrays: not used by the city layers
        out[key] = [None if (nodata is not None and v == nodata) else v for v in values]
    return out


def decode_glb(data: bytes, name: str, *, rtc: npt.ArrayLike | None = None) -> TileMesh:
    """All triangle primitives of the default scene, merged, in z-up coordinates.

    ``rtc`` (a b3dm feature table's ``RTC_CENTER``) and ``CESIUM_RTC`` are added after the y-up
    → z-up turn, as the 3D Tiles spec orders it.
    """
    gltf = _load(data, name)
    buffers: dict[int, bytes] = {}
    center = np.zeros(3)
    ext_rtc = (gltf.extensions or {}).get("CESIUM_RTC")
    if ext_rtc and "center" in ext_rtc:
        center = center + np.asarray(ext_rtc["center"], np.float64)
    if rtc is not None:
        center = center + np.asarray(rtc, np.float64)
    pts_parts: list[npt.NDArray[np.float64]] = []
    tri_parts: list[npt.NDArray[np.int64]] = []
    fid_parts: list[npt.NDArray[np.int64]] = []
    base = 0
    single_sided = True

    def visit(node_index: int, parent: npt.NDArray[np.float64]) -> None:
        nonlocal base, single_sided
        node = gltf.nodes[node_index]
        m = parent @ _node_matrix(node)
        if node.mesh is not None:
            for prim in gltf.meshes[node.mesh].primitives:
                if (prim.mode if prim.mode is not None else 4) != 4 or prim.attributes.POSITION is None:
                    continue
                pos = read_accessor(gltf, buffers, prim.attributes.POSITION, name).astype(np.float64)
                n = len(pos)
                if prim.indices is not None:
                    flat = read_accessor(gltf, buffers, prim.indices, name).reshape(-1).astype(np.int64)
                else:
                    flat = np.arange(n, dtype=np.int64)
                idx = flat[: len(flat) // 3 * 3].reshape(-1, 3)
                if len(idx) and (idx.max() >= n):
                    raise TileContentError(f"{name}: triangle index {int(idx.max())} past {n} vertices")
                fid_acc = _feature_attribute(prim)
                fid = (
                    read_accessor(gltf, buffers, fid_acc, name).reshape(-1).astype(np.int64)
                    if fid_acc is not None
                    else np.zeros(n, np.int64)
                )
                material = gltf.materials[prim.material] if prim.material is not None else None
                if (material is not None and material.doubleSided) or np.linalg.det(m[:3, :3]) < 0:
                    single_sided = False  # a mirroring node flips the winding: draw both sides
                world = (np.column_stack([pos, np.ones(n)]) @ m.T)[:, :3]
                pts_parts.append(world)
                tri_parts.append(idx + base)
                fid_parts.append(fid)
                base += n
        for child in node.children or []:
            visit(child, m)

    scene = gltf.scenes[gltf.scene or 0] if gltf.scenes else None
    roots = scene.nodes if scene is not None else list(range(len(gltf.nodes)))
    for r in roots:
        visit(r, _Y_UP_TO_Z_UP)
    if not pts_parts:
        raise TileContentError(f"{name}: no triangle meshes in the glTF")
    points = np.concatenate(pts_parts) + center
    return TileMesh(
        points=points.astype(np.float64),
        triangles=np.concatenate(tri_parts).astype(np.uint32),
        vertex_feature=np.concatenate(fid_parts).astype(np.uint32),
        features=_property_table(gltf, buffers, name),
        cull_back_faces=single_sided,
    )


def _feature_attribute(prim: Any) -> int | None:
    attrs = prim.attributes.__dict__
    ext = (prim.extensions or {}).get("EXT_mesh_features")
    if ext:
        for spec in ext.get("featureIds", []):
            if "attribute" in spec and f"_FEATURE_ID_{spec['attribute']}" in attrs:
                return int(attrs[f"_FEATURE_ID_{spec['attribute']}"])
    for key in ("_BATCHID", "BATCHID", "_FEATURE_ID_0"):
        if attrs.get(key) is not None:
            return int(attrs[key])
    return None
