"""i3dm (3D Tiles 1.0 instanced models: trees, street furniture) → one merged ``TileMesh``.

A 32-byte header, a feature table saying where each instance stands (``POSITION`` or
``POSITION_QUANTIZED``), how it turns (``NORMAL_UP``/``NORMAL_RIGHT``, their oct-encoded forms, or
``EAST_NORTH_UP``) and how big it is (``SCALE``, ``SCALE_NON_UNIFORM``), a batch table of per-instance
attributes, then the model: an embedded glb or the URI of one beside the tile. The glb is decoded by
pygltflib (``gltf_read``); each instance is the model turned by the columns (right, up,
right × up), scaled, and moved to its position (+ ``RTC_CENTER``), the order CesiumJS's I3dmLoader
uses. Instances are merged, so the map draws a tile of trees as one mesh and a pick names the
instance (its batch id, or its index) with its batch-table attributes.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from controlroom.geo.tiles.glb import TileContentError, TileMesh
from controlroom.geo.tiles.gltf_read import decode_glb

HEADER = 32
MAX_TRIANGLES = 4_000_000  # instances × model triangles of one tile, merged


def _array(ft: dict[str, Any], binary: bytes, key: str, dtype: Any, width: int, n: int, name: str) -> Any:
    ref = ft.get(key)
    if ref is None:
        return None
    if isinstance(ref, list):  # a global value written inline
        return np.asarray(ref, dtype)
    dt = np.dtype(dtype)
    if isinstance(ref, dict) and "componentType" in ref:
        dt = np.dtype(
            {"UNSIGNED_BYTE": np.uint8, "UNSIGNED_SHORT": np.uint16, "UNSIGNED_INT": np.uint32}.get(
                str(ref["componentType"]), dtype
            )
        )
    off = int(ref.get("byteOffset", 0)) if isinstance(ref, dict) else 0
    if off + dt.itemsize * width * n > len(binary):
        raise TileContentError(f"{name}: feature table '{key}' runs past the binary body (truncated?)")
    arr = np.frombuffer(binary, dt, width * n, off)
    return arr.reshape(n, width) if width > 1 else arr


def oct_decode(encoded: npt.NDArray[Any], range_max: int = 65535) -> npt.NDArray[np.float64]:
    """Unit vectors from oct-encoded pairs (3D Tiles ``*_OCT32P``)."""
    v = encoded.astype(np.float64) / range_max * 2.0 - 1.0
    x, y = v[:, 0].copy(), v[:, 1].copy()
    z = 1.0 - np.abs(x) - np.abs(y)
    fold = z < 0
    sx, sy = np.where(x >= 0, 1.0, -1.0), np.where(y >= 0, 1.0, -1.0)
    x[fold], y[fold] = (1.0 - np.abs(v[fold, 1])) * sx[fold], (1.0 - np.abs(v[fold, 0])) * sy[fold]
    out = np.column_stack([x, y, z])
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def _east_north_up(p: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """(N, 3, 3) rotations whose columns are east, north, up at ECEF points (WGS 84 normal)."""
    from pyproj import Transformer

    lon, lat, _h = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True).transform(
        p[:, 0], p[:, 1], p[:, 2]
    )
    lo, la = np.radians(lon), np.radians(lat)
    east = np.column_stack([-np.sin(lo), np.cos(lo), np.zeros_like(lo)])
    north = np.column_stack([-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)])
    up = np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    return np.stack([east, north, up], axis=2)


def read_i3dm(data: bytes, name: str, folder: Path | None = None) -> TileMesh:
    """One i3dm tile, instances merged; raises ``TileContentError`` naming the file."""
    if len(data) < HEADER:
        raise TileContentError(f"{name}: truncated i3dm ({len(data)} bytes, the header alone is {HEADER})")
    magic, _version, length, ftj, ftb, btj, btb, gltf_format = struct.unpack_from("<4s7I", data)
    if magic != b"i3dm":
        raise TileContentError(f"{name}: not an i3dm file")
    if length > len(data):
        raise TileContentError(f"{name}: truncated i3dm ({len(data)} bytes, header says {length})")
    from controlroom.geo.tiles.content import _batch_columns, _flatten, _tables

    ft, ft_bin, bt, bt_bin, pos = _tables(data, HEADER, ftj, ftb, btj, btb, name)
    body = data[pos:length]
    if gltf_format == 0:
        uri = body.decode("utf-8", "replace").rstrip("\0 ")
        target = (folder or Path(".")) / uri
        try:
            body = target.read_bytes()
        except OSError as exc:
            why = exc.strerror or exc
            raise TileContentError(f"{name}: its model {uri} cannot be read ({why})") from None
    n = int(ft.get("INSTANCES_LENGTH", 0) or 0)
    if n <= 0:
        raise TileContentError(f"{name}: INSTANCES_LENGTH is missing or 0")
    model = decode_glb(body, name)

    position = _array(ft, ft_bin, "POSITION", np.float32, 3, n, name)
    if position is None:
        quantized = _array(ft, ft_bin, "POSITION_QUANTIZED", np.uint16, 3, n, name)
        offset, scale = ft.get("QUANTIZED_VOLUME_OFFSET"), ft.get("QUANTIZED_VOLUME_SCALE")
        if quantized is None or offset is None or scale is None:
            raise TileContentError(
                f"{name}: no POSITION, nor POSITION_QUANTIZED with QUANTIZED_VOLUME_OFFSET/SCALE"
            )
        position = np.asarray(offset, np.float64) + quantized / 65535.0 * np.asarray(scale, np.float64)
    position = np.asarray(position, np.float64)
    if (rtc := ft.get("RTC_CENTER")) is not None:
        position = position + np.asarray(rtc, np.float64)

    up = _array(ft, ft_bin, "NORMAL_UP", np.float32, 3, n, name)
    right = _array(ft, ft_bin, "NORMAL_RIGHT", np.float32, 3, n, name)
    if up is None and (oct_up := _array(ft, ft_bin, "NORMAL_UP_OCT32P", np.uint16, 2, n, name)) is not None:
        oct_right = _array(ft, ft_bin, "NORMAL_RIGHT_OCT32P", np.uint16, 2, n, name)
        if oct_right is None:
            raise TileContentError(f"{name}: NORMAL_UP_OCT32P without NORMAL_RIGHT_OCT32P")
        up, right = oct_decode(oct_up), oct_decode(oct_right)
    if (up is None) != (right is None):
        raise TileContentError(f"{name}: NORMAL_UP and NORMAL_RIGHT must come together")
    if up is not None and right is not None:
        up, right = np.asarray(up, np.float64), np.asarray(right, np.float64)
        fwd = np.cross(right, up)
        fwd /= np.maximum(np.linalg.norm(fwd, axis=1, keepdims=True), 1e-12)
        rot = np.stack([right, up, fwd], axis=2)
    elif ft.get("EAST_NORTH_UP"):
        rot = _east_north_up(position)
    else:
        rot = np.broadcast_to(np.eye(3), (n, 3, 3))
    scale3 = np.ones((n, 3))
    if (s := _array(ft, ft_bin, "SCALE", np.float32, 1, n, name)) is not None:
        scale3 *= np.asarray(s, np.float64).reshape(-1, 1)
    if (s3 := _array(ft, ft_bin, "SCALE_NON_UNIFORM", np.float32, 3, n, name)) is not None:
        scale3 *= np.asarray(s3, np.float64)

    pts = np.asarray(model.points, np.float64)
    tris = np.asarray(model.triangles, np.int64)
    if n * len(tris) > MAX_TRIANGLES:
        raise TileContentError(
            f"{name}: {n:,} instances of a {len(tris):,}-triangle model are {n * len(tris):,} triangles; "
            f"more than {MAX_TRIANGLES:,} in one tile is not drawn (split the tile or simplify the model)"
        )
    placed = np.einsum("nij,nvj->nvi", rot, pts[None, :, :] * scale3[:, None, :]) + position[:, None, :]
    v = len(pts)
    batch_id = _array(ft, ft_bin, "BATCH_ID", np.uint16, 1, n, name)
    feature = np.arange(n) if batch_id is None else np.asarray(batch_id, np.int64)
    count = int(ft.get("BATCH_LENGTH", 0) or 0) or (int(feature.max()) + 1)
    table = _batch_columns(bt, bt_bin, count, name)
    if "id" not in table:
        table = {"id": [str(i) for i in range(count)], **table}
    mesh = TileMesh(
        points=placed.reshape(-1, 3),
        triangles=(tris[None, :, :] + v * np.arange(n)[:, None, None]).reshape(-1, 3).astype(np.uint32),
        vertex_feature=np.repeat(feature, v).astype(np.uint32),
        features=_flatten(table),
        cull_back_faces=False,  # a mirroring scale or odd normals would turn faces inside out
    )
    return mesh
