"""One tile's content as glTF 2.0 binary, through pygltflib: mesh + per-building feature ids + attributes.

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


def _column_type(values: list[Any]) -> str:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "INT64"
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
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


def _encode_strings(values: list[Any]) -> tuple[bytes, bytes]:
    encoded = [("" if v is None else v if isinstance(v, str) else json.dumps(v)).encode() for v in values]
    offsets = np.concatenate([[0], np.cumsum([len(e) for e in encoded])]).astype(np.uint32)
    # A bufferView may not be empty: a column of only empty strings keeps one unused byte.
    return b"".join(encoded) or b"\0", offsets.tobytes()


def encode_glb(
    points: npt.ArrayLike,
    triangles: npt.ArrayLike,
    vertex_feature: npt.ArrayLike,
    features: dict[str, list[Any]],
    *,
    double_sided: bool = True,
) -> bytes:
    """GLB bytes of one mesh whose vertex i belongs to feature ``vertex_feature[i]`` (row of ``features``).

    ``double_sided=False`` only for meshes whose solids are known to face outward (``outward_solids``).
    """
    import pygltflib as g

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
        g.Accessor(
            bufferView=pos_view,
            componentType=_FLOAT,
            count=len(yup),
            type="VEC3",
            min=[float(v) for v in lo],
            max=[float(v) for v in hi],
        ),
        g.Accessor(bufferView=fid_view, componentType=_FLOAT, count=len(fid), type="SCALAR"),
        g.Accessor(bufferView=idx_view, componentType=_UINT, count=int(tris.size), type="SCALAR"),
    ]
    class_props: dict[str, Any] = {}
    table_props: dict[str, Any] = {}
    taken: set[str] = set()
    for key, values in features.items():
        pid = _property_id(key, taken)
        kind = _column_type(values)
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
            nodata = FLOAT_NODATA if kind == "FLOAT64" else np.iinfo(np.int64).min
            arr = np.array(
                [nodata if v is None else v for v in values], np.float64 if kind == "FLOAT64" else np.int64
            )
            table_props[pid] = {"values": blob.add(arr.tobytes())}
            prop["noData"] = nodata if kind == "FLOAT64" else int(nodata)
        class_props[pid] = prop
    primitive = g.Primitive(
        attributes=g.Attributes(POSITION=0, _FEATURE_ID_0=1),
        indices=2,
        mode=4,
        material=0,
        extensions={
            "EXT_mesh_features": {"featureIds": [{"featureCount": count, "attribute": 0, "propertyTable": 0}]}
        },
    )
    gltf = g.GLTF2(
        asset=g.Asset(version="2.0", generator="controlroom"),
        scene=0,
        scenes=[g.Scene(nodes=[0])],
        nodes=[g.Node(mesh=0)],
        meshes=[g.Mesh(primitives=[primitive])],
        materials=[g.Material(name="city", doubleSided=bool(double_sided))],
        accessors=accessors,
        bufferViews=[g.BufferView(**v) for v in blob.views],
        buffers=[g.Buffer(byteLength=0)],
        extensionsUsed=["EXT_mesh_features", "EXT_structural_metadata"],
        extensions={
            "EXT_structural_metadata": {
                "schema": {"id": "controlroom", "classes": {CLASS_NAME: {"properties": class_props}}},
                "propertyTables": [{"class": CLASS_NAME, "count": count, "properties": table_props}],
            }
        },
    )
    data = blob.bytes()
    gltf.buffers[0].byteLength = len(data)
    gltf.set_binary_blob(data)
    out = gltf.save_to_bytes()
    return b"".join(out) if isinstance(out, list) else bytes(out)


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
