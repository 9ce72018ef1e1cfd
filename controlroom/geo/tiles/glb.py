"""One tile's content as glTF 2.0 binary: mesh + per-building feature ids + attributes.

Written so any 3D Tiles 1.1 reader (CesiumJS, QGIS) picks buildings: each vertex carries its
feature id (``_FEATURE_ID_0``, ``EXT_mesh_features``) and feature i's attributes are row i of an
``EXT_structural_metadata`` property table. glTF is y-up; the local frame is z-up (east, north,
up), so positions are stored as (x, z, −y) as the 3D Tiles spec expects. No normals: glTF readers
compute flat ones, which is what extruded buildings want, and it halves the bytes.

The material says whether back faces may be culled (glTF ``doubleSided``): single-sided only where
the writer checked that every solid is wound outward, since a reader that culls (CesiumJS, ours)
would otherwise show holes. Culling halves what software GL rasterises among closed buildings.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

CLASS_NAME = "feature"
BUILTIN = ("id", "type", "name", "height", "lod", "parent")
FLOAT_NODATA = -3.0e38  # the property table's "no value" for numbers (JSON has no NaN)
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963
_FLOAT, _UINT = 5126, 5125


class TileContentError(ValueError):
    """Tile content that cannot be read (truncated, not glTF 2.0, no triangles)."""


@dataclass
class TileMesh:
    """Decoded content: z-up local points, triangles, per-vertex feature ids and the feature table."""

    points: npt.NDArray[np.floating[Any]]  # (V, 3)
    triangles: npt.NDArray[np.uint32]  # (T, 3)
    vertex_feature: npt.NDArray[np.uint32]  # (V,)
    features: dict[str, list[Any]] = field(default_factory=dict)  # column → one value per feature
    cull_back_faces: bool = False  # every primitive's material is single-sided (glTF's default)
    point_cloud: bool = False  # points to draw as points (pnts): no triangles
    colours: npt.NDArray[np.uint8] | None = None  # (V, 3) per-point colour of a point cloud

    @property
    def n_features(self) -> int:
        return len(next(iter(self.features.values()), []))

    @property
    def nbytes(self) -> int:
        return int(self.points.nbytes + self.triangles.nbytes + self.vertex_feature.nbytes)

    def record(self, feature: int) -> dict[str, Any]:
        return {k: v[feature] for k, v in self.features.items()}


def _property_id(key: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_]", "_", key) or "_"
    if not re.match(r"[A-Za-z_]", base):
        base = "_" + base
    pid, k = base, 2
    while pid in taken:
        pid, k = f"{base}_{k}", k + 1
    taken.add(pid)
    return pid


def column_type(values: Any) -> str:
    """INT64, FLOAT64 or STRING for a column (bools and mixed values are text), decided in C."""
    import pandas as pd

    kind = pd.api.types.infer_dtype(np.asarray(values, dtype=object), skipna=True)
    if kind == "integer":
        return "INT64"
    if kind in ("floating", "mixed-integer-float", "decimal"):
        return "FLOAT64"
    return "STRING"


class _Blob:
    """The single binary buffer: 8-byte aligned views (EXT_structural_metadata needs 8)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.views: list[dict[str, Any]] = []

    def add(self, data: bytes, target: int | None = None) -> int:
        pad = (-self.size) % 8
        if pad:
            self.parts.append(b"\0" * pad)
            self.size += pad
        view: dict[str, Any] = {"buffer": 0, "byteOffset": self.size, "byteLength": len(data)}
        if target is not None:
            view["target"] = target
        self.views.append(view)
        self.parts.append(data)
        self.size += len(data)
        return len(self.views) - 1

    def bytes(self) -> bytes:
        return b"".join(self.parts) + b"\0" * ((-self.size) % 8)


def _as_text(v: Any) -> str:
    return "" if v is None else v if isinstance(v, str) else json.dumps(v)


def _encode_strings(values: Any) -> tuple[bytes, bytes]:
    """UTF-8 bytes and UINT32 offsets of a text column, built by Arrow (C) rather than per value."""
    import pyarrow as pa

    try:
        arr = pa.array(values, type=pa.string(), from_pandas=True).fill_null("")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = pa.array([_as_text(v) for v in values], type=pa.string())
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    _validity, offs, data = arr.buffers()
    offsets = np.frombuffer(offs, np.int32, len(arr) + 1, arr.offset * 4) if offs is not None else None
    if offsets is None or not len(arr):
        return b"\0", np.zeros(len(arr) + 1, np.uint32).tobytes()
    start, stop = int(offsets[0]), int(offsets[-1])
    raw = b"" if data is None else data.to_pybytes()[start:stop]
    # A bufferView may not be empty: a column of only empty strings keeps one unused byte.
    return raw or b"\0", (offsets - start).astype(np.uint32).tobytes()


def _glb(doc: dict[str, Any], blob: bytes) -> bytes:
    """The GLB container: 12-byte header, JSON chunk (space-padded), BIN chunk (zero-padded)."""
    text = json.dumps(doc, separators=(",", ":")).encode()
    text += b" " * ((-len(text)) % 4)
    blob += b"\0" * ((-len(blob)) % 4)
    total = 12 + 8 + len(text) + 8 + len(blob)
    return b"".join(
        [
            struct.pack("<4sII", b"glTF", 2, total),
            struct.pack("<I4s", len(text), b"JSON"),
            text,
            struct.pack("<I4s", len(blob), b"BIN\0"),
            blob,
        ]
    )


def encode_glb(
    points: npt.ArrayLike,
    triangles: npt.ArrayLike,
    vertex_feature: npt.ArrayLike,
    features: Mapping[str, Any],
    *,
    double_sided: bool = True,
    kinds: Mapping[str, str] | None = None,
) -> bytes:
    """GLB bytes of one mesh whose vertex i belongs to feature ``vertex_feature[i]`` (row of ``features``).

    ``features`` maps a column to one value per feature (a list or an array); ``kinds`` may fix a
    column's type (INT64, FLOAT64, STRING) so every tile of a tileset agrees. ``double_sided=False``
    only for meshes whose solids are known to face outward (``outward_solids``). The JSON is
    written directly (a dict, no object model): at a thousand tiles a build that is most of its time.
    """
    pts = np.asarray(points, np.float32).reshape(-1, 3)
    tris = np.ascontiguousarray(np.asarray(triangles, np.uint32).reshape(-1, 3))
    fid = np.asarray(vertex_feature, np.float32).reshape(-1)
    yup = np.ascontiguousarray(np.column_stack([pts[:, 0], pts[:, 2], -pts[:, 1]]), np.float32)
    count = len(next(iter(features.values()), []))
    blob = _Blob()
    pos_view = blob.add(yup.tobytes(), _ARRAY_BUFFER)
    fid_view = blob.add(fid.tobytes(), _ARRAY_BUFFER)
    idx_view = blob.add(tris.tobytes(), _ELEMENT_ARRAY_BUFFER)
    lo, hi = (yup.min(0), yup.max(0)) if len(yup) else (np.zeros(3), np.zeros(3))
    accessors = [
        {
            "bufferView": pos_view,
            "componentType": _FLOAT,
            "count": len(yup),
            "type": "VEC3",
            "min": [float(v) for v in lo],
            "max": [float(v) for v in hi],
        },
        {"bufferView": fid_view, "componentType": _FLOAT, "count": len(fid), "type": "SCALAR"},
        {"bufferView": idx_view, "componentType": _UINT, "count": int(tris.size), "type": "SCALAR"},
    ]
    class_props: dict[str, Any] = {}
    table_props: dict[str, Any] = {}
    taken: set[str] = set()
    for key, values in features.items():
        pid = _property_id(key, taken)
        kind = (kinds or {}).get(key) or column_type(values)
        prop: dict[str, Any] = {"type": "STRING" if kind == "STRING" else "SCALAR", "name": key}
        if kind == "STRING":
            data, offsets = _encode_strings(values)
            table_props[pid] = {
                "values": blob.add(data),
                "stringOffsets": blob.add(offsets),
                "stringOffsetType": "UINT32",
            }
            prop["noData"] = ""
        else:
            prop["componentType"] = kind
            nodata = FLOAT_NODATA if kind == "FLOAT64" else int(np.iinfo(np.int64).min)
            table_props[pid] = {"values": blob.add(_numbers(values, kind, nodata).tobytes())}
            prop["noData"] = nodata
        class_props[pid] = prop
    primitive = {
        "attributes": {"POSITION": 0, "_FEATURE_ID_0": 1},
        "indices": 2,
        "mode": 4,
        "material": 0,
        "extensions": {
            "EXT_mesh_features": {"featureIds": [{"featureCount": count, "attribute": 0, "propertyTable": 0}]}
        },
    }
    data = blob.bytes()
    doc = {
        "asset": {"version": "2.0", "generator": "controlroom"},
        "scene": 0,
        "scenes": [{"nodes": [0]}],
        "nodes": [{"mesh": 0}],
        "meshes": [{"primitives": [primitive]}],
        "materials": [{"name": "city", "doubleSided": bool(double_sided)}],
        "accessors": accessors,
        "bufferViews": blob.views,
        "buffers": [{"byteLength": len(data)}],
        "extensionsUsed": ["EXT_mesh_features", "EXT_structural_metadata"],
        "extensions": {
            "EXT_structural_metadata": {
                "schema": {"id": "controlroom", "classes": {CLASS_NAME: {"properties": class_props}}},
                "propertyTables": [{"class": CLASS_NAME, "count": count, "properties": table_props}],
            }
        },
    }
    return _glb(doc, data)


def _numbers(values: Any, kind: str, nodata: float) -> npt.NDArray[Any]:
    """A numeric column with ``nodata`` for missing values (None, and NaN in float columns)."""
    arr = np.asarray(values)
    if arr.dtype == object:
        missing = np.array([v is None for v in arr.tolist()], bool)
        arr = np.where(missing, nodata, arr)
    out = arr.astype(np.float64 if kind == "FLOAT64" else np.int64)
    if kind == "FLOAT64":
        out[np.isnan(out)] = nodata
    return out


def outward_solids(
    points: npt.ArrayLike, triangles: npt.ArrayLike, vertex_feature: npt.ArrayLike, *, tolerance: float = 1e-3
) -> bool:
    """Whether culling back faces is safe: neighbours wound alike and each feature wound outward.

    Consistent winding: no edge (vertices of one feature matched by position to ``tolerance``
    metres) is used twice in the same direction. Outward: each feature's signed volume, taken
    about a point on its lowest level, is positive; open bottoms (extruded footprints) add nothing
    there, so they pass, as do up-facing open sheets (terrain), which lose only their underside.
    Flat things (no volume: water, roads) stay double-sided.
    """
    pts = np.asarray(points, np.float64).reshape(-1, 3)
    tris = np.asarray(triangles, np.int64).reshape(-1, 3)
    vf = np.asarray(vertex_feature, np.int64).reshape(-1)
    if not len(tris):
        return False
    # Vertices are matched within a feature: two buildings sharing a wall do not meet here.
    q = np.round(pts / tolerance).astype(np.int64)
    order = np.lexsort((q[:, 2], q[:, 1], q[:, 0], vf))
    cols = np.column_stack([vf, q])[order]
    new_group = np.concatenate([[True], (cols[1:] != cols[:-1]).any(axis=1)])
    vid = np.empty(len(pts), np.int64)
    vid[order] = np.cumsum(new_group) - 1
    t = vid[tris]
    a_, b_ = np.concatenate([t[:, 0], t[:, 1], t[:, 2]]), np.concatenate([t[:, 1], t[:, 2], t[:, 0]])
    keep = a_ != b_
    key = np.sort(a_[keep] * len(pts) + b_[keep])
    if len(key) > 1 and (key[1:] == key[:-1]).any():
        return False
    feat = vf[tris[:, 0]]
    n = int(feat.max()) + 1
    count = np.maximum(np.bincount(vf, minlength=n), 1)
    ref = np.column_stack(
        [
            np.bincount(vf, weights=pts[:, 0], minlength=n) / count,
            np.bincount(vf, weights=pts[:, 1], minlength=n) / count,
            np.full(n, np.inf),
        ]
    )
    by = np.argsort(vf, kind="stable")
    starts = np.flatnonzero(np.concatenate([[True], vf[by][1:] != vf[by][:-1]]))
    ref[vf[by][starts], 2] = np.minimum.reduceat(pts[by, 2], starts)
    r = ref[feat]
    a, b, c = pts[tris[:, 0]] - r, pts[tris[:, 1]] - r, pts[tris[:, 2]] - r
    vol = np.bincount(feat, weights=(a * np.cross(b, c)).sum(1) / 6, minlength=n)
    used = np.bincount(feat, minlength=n) > 0
    return bool((vol[used] > 1e-6).all())
