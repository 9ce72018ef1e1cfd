"""3D Tiles 1.0 point clouds (pnts) and composites (cmpt) → ``TileMesh``.

A pnts tile is the 28-byte header of every 1.0 format, a feature table (``POINTS_LENGTH``,
``POSITION`` or ``POSITION_QUANTIZED`` with its volume, ``RGB``/``RGBA``/``RGB565``,
``BATCH_ID``, ``RTC_CENTER``) and a batch table of per-point or per-batch attributes; positions
are already in the tile frame (z-up, no glTF axis swap). The mesh it gives has points and no
triangles (``TileMesh.point_cloud``), so the map draws it as points.

A cmpt tile is a header and inner tiles (b3dm, i3dm, pnts, cmpt) one after the other; their
meshes are merged into one (feature ids re-based, attribute columns aligned), so a composite is
one tile like any other. Every failure names the file and, for a composite, the inner tile.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from controlroom.geo.tiles.content import _batch_columns, _flatten, _tables
from controlroom.geo.tiles.glb import TileContentError, TileMesh


def _ft_array(
    feature: dict[str, Any], binary: bytes, key: str, dtype: Any, width: int, count: int, name: str
) -> npt.NDArray[Any] | None:
    ref = feature.get(key)
    if ref is None:
        return None
    if isinstance(ref, list):  # JSON values (allowed for small tables)
        return np.asarray(ref, dtype).reshape(count, width) if width > 1 else np.asarray(ref, dtype)
    if not isinstance(ref, dict) or "byteOffset" not in ref:
        raise TileContentError(f"{name}: feature table '{key}' is not a binary reference")
    off = int(ref["byteOffset"])
    need = off + np.dtype(dtype).itemsize * width * count
    if need > len(binary):
        raise TileContentError(f"{name}: feature table '{key}' runs past the binary body (truncated?)")
    arr = np.frombuffer(binary, dtype, width * count, off)
    return arr.reshape(count, width) if width > 1 else arr


def _vec3(feature: dict[str, Any], key: str, name: str) -> npt.NDArray[np.float64] | None:
    value = feature.get(key)
    if value is None:
        return None
    try:
        arr = np.asarray(value, np.float64).reshape(3)
    except (TypeError, ValueError):
        raise TileContentError(
            f"{name}: feature table '{key}' should be 3 numbers, found {value!r}"
        ) from None
    return arr


def _header(data: bytes, magic: bytes, name: str) -> tuple[int, int, int, int, int]:
    kind = magic.decode()
    if len(data) < 28:
        raise TileContentError(f"{name}: truncated {kind} ({len(data)} bytes, the header alone is 28)")
    got, _version, length, ftj, ftb, btj, btb = struct.unpack_from("<4s6I", data)
    if got != magic:
        raise TileContentError(f"{name}: not a {kind} file")
    if length > len(data) or 28 + ftj + ftb + btj + btb > length:
        raise TileContentError(f"{name}: truncated {kind} ({len(data)} bytes, header says {length})")
    return length, ftj, ftb, btj, btb


def read_pnts(data: bytes, name: str) -> TileMesh:
    """A point cloud tile: points (+ RTC_CENTER), their colours, and per-point or per-batch attributes."""
    _length, ftj, ftb, btj, btb = _header(data, b"pnts", name)
    feature, ft_bin, batch, bt_bin, _end = _tables(data, 28, ftj, ftb, btj, btb, name)
    n = int(feature.get("POINTS_LENGTH", 0) or 0)
    if n <= 0:
        raise TileContentError(f"{name}: pnts without POINTS_LENGTH; expected the number of points")
    points = _ft_array(feature, ft_bin, "POSITION", np.float32, 3, n, name)
    if points is None:
        quantized = _ft_array(feature, ft_bin, "POSITION_QUANTIZED", np.uint16, 3, n, name)
        offset = _vec3(feature, "QUANTIZED_VOLUME_OFFSET", name)
        scale = _vec3(feature, "QUANTIZED_VOLUME_SCALE", name)
        if quantized is None or offset is None or scale is None:
            raise TileContentError(
                f"{name}: pnts has neither POSITION nor POSITION_QUANTIZED with "
                "QUANTIZED_VOLUME_OFFSET and QUANTIZED_VOLUME_SCALE"
            )
        pts = offset + quantized.astype(np.float64) * (scale / 65535.0)
    else:
        pts = points.astype(np.float64)
    if (rtc := _vec3(feature, "RTC_CENTER", name)) is not None:
        pts = pts + rtc
    colours = _colours(feature, ft_bin, n, name)
    batch_id = _ft_array(feature, ft_bin, "BATCH_ID", _batch_dtype(feature), 1, n, name)
    count = int(feature.get("BATCH_LENGTH", 0) or 0) if batch_id is not None else n
    table = _batch_columns(batch, bt_bin, count, name)
    # Without BATCH_ID each point is its own feature (the batch table is then per point).
    vertex_feature = np.arange(n, dtype=np.uint32) if batch_id is None else batch_id.astype(np.uint32)
    return TileMesh(
        pts,
        np.empty((0, 3), np.uint32),
        vertex_feature,
        _flatten(table),
        point_cloud=True,
        colours=colours,
    )


def _batch_dtype(feature: dict[str, Any]) -> Any:
    ref = feature.get("BATCH_ID")
    kind = ref.get("componentType", "UNSIGNED_SHORT") if isinstance(ref, dict) else "UNSIGNED_SHORT"
    return {"UNSIGNED_BYTE": np.uint8, "UNSIGNED_SHORT": np.uint16, "UNSIGNED_INT": np.uint32}.get(
        kind, np.uint16
    )


def _colours(feature: dict[str, Any], binary: bytes, n: int, name: str) -> npt.NDArray[np.uint8] | None:
    rgba = _ft_array(feature, binary, "RGBA", np.uint8, 4, n, name)
    if rgba is not None:
        return np.ascontiguousarray(rgba[:, :3])
    rgb = _ft_array(feature, binary, "RGB", np.uint8, 3, n, name)
    if rgb is not None:
        return np.ascontiguousarray(rgb)
    packed = _ft_array(feature, binary, "RGB565", np.uint16, 1, n, name)
    if packed is not None:
        p = packed.astype(np.uint32)
        r, g, b = (p >> 11) & 31, (p >> 5) & 63, p & 31
        return np.column_stack([r * 255 // 31, g * 255 // 63, b * 255 // 31]).astype(np.uint8)
    if (constant := feature.get("CONSTANT_RGBA")) is not None:
        return np.tile(np.asarray(constant, np.uint8)[:3], (n, 1))
    return None


def read_cmpt(data: bytes, name: str, read_inner: Callable[[bytes, str], TileMesh]) -> TileMesh:
    """A composite: its inner tiles read by ``read_inner`` and merged into one mesh."""
    if len(data) < 16:
        raise TileContentError(f"{name}: truncated cmpt ({len(data)} bytes, the header alone is 16)")
    magic, _version, length, count = struct.unpack_from("<4s3I", data)
    if magic != b"cmpt":
        raise TileContentError(f"{name}: not a cmpt file")
    if length > len(data):
        raise TileContentError(f"{name}: truncated cmpt ({len(data)} bytes, header says {length})")
    meshes: list[TileMesh] = []
    pos = 16
    for i in range(count):
        if pos + 12 > length:
            raise TileContentError(f"{name}: inner tile {i} of {count} is missing (truncated?)")
        inner_len = struct.unpack_from("<I", data, pos + 8)[0]
        if inner_len < 12 or pos + inner_len > length:
            raise TileContentError(f"{name}: inner tile {i} runs past the composite (truncated?)")
        meshes.append(read_inner(data[pos : pos + inner_len], f"{name} [inner tile {i}]"))
        pos += inner_len
    if not meshes:
        raise TileContentError(f"{name}: composite with no inner tiles")
    return merge_meshes(meshes, name)


def merge_meshes(meshes: list[TileMesh], name: str = "composite") -> TileMesh:
    """One mesh of several: point and feature indices re-based, columns aligned (None where absent)."""
    if len(meshes) == 1:
        return meshes[0]
    if len({m.point_cloud for m in meshes}) > 1:
        raise TileContentError(
            f"{name}: mixes point clouds and meshes, which are not drawn together; "
            "expected inner tiles of one kind (split the composite)"
        )
    base_v = np.cumsum([0] + [len(m.points) for m in meshes[:-1]])
    sizes = [
        max(m.n_features, int(m.vertex_feature.max()) + 1 if len(m.vertex_feature) else 0) for m in meshes
    ]
    base_f = np.cumsum([0, *sizes[:-1]])
    keys: dict[str, None] = {}
    for m in meshes:
        keys.update(dict.fromkeys(m.features))
    features: dict[str, list[Any]] = {k: [] for k in keys}
    for m, size in zip(meshes, sizes, strict=True):
        for k in keys:
            col = m.features.get(k, [])
            features[k].extend(list(col) + [None] * (size - len(col)))
    colours = None
    if any(m.colours is not None for m in meshes):
        colours = np.concatenate(
            [
                m.colours if m.colours is not None else np.full((len(m.points), 3), 200, np.uint8)
                for m in meshes
            ]
        )
    return TileMesh(
        np.concatenate([np.asarray(m.points, np.float64) for m in meshes]),
        np.concatenate(
            [m.triangles.astype(np.uint32) + np.uint32(b) for m, b in zip(meshes, base_v, strict=True)]
        ),
        np.concatenate(
            [m.vertex_feature.astype(np.uint32) + np.uint32(b) for m, b in zip(meshes, base_f, strict=True)]
        ),
        features,
        cull_back_faces=all(m.cull_back_faces for m in meshes),
        point_cloud=meshes[0].point_cloud,
        colours=colours,
    )
