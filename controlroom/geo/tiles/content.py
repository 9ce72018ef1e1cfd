"""Tile content files → ``TileMesh``: glb (3D Tiles 1.1), b3dm with batch tables and i3dm (1.0).

b3dm is a 28-byte header, a feature table (``BATCH_LENGTH``, ``RTC_CENTER``), a batch table (one
column per attribute, JSON arrays or binary references) and an embedded glb. Attributes that are
objects (3DBAG's ``attributes``) are flattened into columns so a pick shows them like CityJSON
attributes. Point clouds (pnts) and composites (cmpt) are read by ``geo.tiles.pnts``. Every
failure names the file: a truncated tile, glTF 1.0 content, a format we do not draw.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np

from controlroom.geo.tiles.glb import TileContentError, TileMesh
from controlroom.geo.tiles.gltf_read import decode_glb

_COMPONENT = {
    "BYTE": np.int8,
    "UNSIGNED_BYTE": np.uint8,
    "SHORT": np.int16,
    "UNSIGNED_SHORT": np.uint16,
    "INT": np.int32,
    "UNSIGNED_INT": np.uint32,
    "FLOAT": np.float32,
    "DOUBLE": np.float64,
}
_TYPE_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}


def _json_chunk(data: bytes, start: int, length: int, name: str, what: str) -> dict[str, Any]:
    if length == 0:
        return {}
    try:
        value = json.loads(data[start : start + length].decode("utf-8").rstrip("\0 "))
    except (UnicodeDecodeError, ValueError) as exc:
        raise TileContentError(f"{name}: {what} is not valid JSON ({exc})") from None
    return value if isinstance(value, dict) else {}


def _binary_column(ref: dict[str, Any], binary: bytes, count: int, name: str, key: str) -> list[Any]:
    dt = _COMPONENT.get(str(ref.get("componentType")))
    width = _TYPE_WIDTH.get(str(ref.get("type", "SCALAR")))
    if dt is None or width is None:
        raise TileContentError(f"{name}: batch table '{key}' has an unknown componentType/type")
    off = int(ref.get("byteOffset", 0))
    need = off + np.dtype(dt).itemsize * width * count
    if need > len(binary):
        raise TileContentError(f"{name}: batch table '{key}' runs past the binary body (truncated?)")
    arr = np.frombuffer(binary, dt, width * count, off)
    return arr.tolist() if width == 1 else arr.reshape(count, width).tolist()


def _tables(
    data: bytes, pos: int, ftj: int, ftb: int, btj: int, btb: int, name: str
) -> tuple[dict[str, Any], bytes, dict[str, Any], bytes, int]:
    """The feature and batch tables after a 1.0 tile header at ``pos`` (JSON, binary each) and
    where the body after them starts: b3dm, i3dm and pnts lay them out alike."""
    feature = _json_chunk(data, pos, ftj, name, "feature table")
    ft_bin = data[pos + ftj : pos + ftj + ftb]
    pos += ftj + ftb
    batch = _json_chunk(data, pos, btj, name, "batch table")
    bt_bin = data[pos + btj : pos + btj + btb]
    return feature, ft_bin, batch, bt_bin, pos + btj + btb


def _batch_columns(batch: dict[str, Any], binary: bytes, count: int, name: str) -> dict[str, list[Any]]:
    """A batch table's columns: JSON arrays as they are, binary references read for ``count`` rows."""
    table: dict[str, list[Any]] = {}
    for key, col in batch.items():
        if key in ("extensions", "extras"):
            continue
        if isinstance(col, dict) and "byteOffset" in col:
            table[key] = _binary_column(col, binary, count, name, key)
        elif isinstance(col, list):
            table[key] = col
    return table


def _flatten(table: dict[str, list[Any]]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for key, col in table.items():
        if col and all(isinstance(v, dict) for v in col):
            keys: dict[str, None] = {}
            for v in col:
                keys.update(dict.fromkeys(v))
            for k in keys:
                out[k if k not in table else f"{key}.{k}"] = [v.get(k) for v in col]
        else:
            out[key] = col
    return out


def read_b3dm(data: bytes, name: str) -> TileMesh:
    if len(data) < 28:
        raise TileContentError(f"{name}: truncated b3dm ({len(data)} bytes, the header alone is 28)")
    magic, _version, length, ftj, ftb, btj, btb = struct.unpack_from("<4s6I", data)
    if magic != b"b3dm":
        raise TileContentError(f"{name}: not a b3dm file")
    if length > len(data):
        raise TileContentError(f"{name}: truncated b3dm ({len(data)} bytes, header says {length})")
    if btj > 0x22000000 or ftj > 0x22000000:  # legacy header (batchLength first): not in the wild since 2017
        raise TileContentError(f"{name}: legacy b3dm header; re-export the tileset with a current tool")
    feature, ft_bin, batch, bt_bin, pos = _tables(data, 28, ftj, ftb, btj, btb, name)
    count = int(feature.get("BATCH_LENGTH", 0) or 0)
    rtc = feature.get("RTC_CENTER")
    if isinstance(rtc, dict):
        off = int(rtc.get("byteOffset", 0))
        if off + 12 > len(ft_bin):
            raise TileContentError(f"{name}: RTC_CENTER runs past the feature table (truncated?)")
        rtc = list(np.frombuffer(ft_bin, np.float32, 3, off).astype(np.float64))
    mesh = decode_glb(data[pos:length], name, rtc=rtc)
    table = _batch_columns(batch, bt_bin, count, name)
    if not table and count:
        table = {"id": [str(i) for i in range(count)]}
    mesh.features = _flatten(table)
    return mesh


def _read_bytes(data: bytes, name: str, folder: Path) -> TileMesh:
    """Content by its magic, for the inner tiles of a composite (and pnts/cmpt themselves)."""
    from controlroom.geo.tiles.pnts import read_cmpt, read_pnts

    head = data[:4]
    if head == b"glTF":
        return decode_glb(data, name)
    if head == b"b3dm":
        return read_b3dm(data, name)
    if head == b"pnts":
        return read_pnts(data, name)
    if head == b"i3dm":
        from controlroom.geo.tiles.i3dm import read_i3dm

        return read_i3dm(data, name, folder)
    if head == b"cmpt":
        return read_cmpt(data, name, lambda d, n: _read_bytes(d, n, folder))
    raise TileContentError(
        f"{name}: not tile content (starts with {head!r}); expected b3dm, i3dm, pnts or cmpt"
    )


def read_tile_content(path: Path) -> TileMesh:
    """One content file; raises ``TileContentError`` naming it, or ``OSError`` when unreadable."""
    data = path.read_bytes()
    head = data[:4]
    if head == b"glTF":
        return decode_glb(data, str(path))
    if head == b"b3dm":
        return read_b3dm(data, str(path))
    if head == b"i3dm":
        from controlroom.geo.tiles.i3dm import read_i3dm

        return read_i3dm(data, str(path), path.parent)
    if head in (b"pnts", b"cmpt"):
        return _read_bytes(data, str(path), path.parent)
    if path.suffix.lower() == ".gltf":
        raise TileContentError(f"{path}: JSON glTF content is not drawn yet; convert it to .glb")
    raise TileContentError(f"{path}: not tile content (starts with {head!r}); expected glb or b3dm")
