"""City layers → a quadtree of tiles written as a 3D Tiles 1.1 tileset (tileset.json + glb).

Why a tree: one merged mesh of 1 M buildings is 11.8 M triangles, ~2.9 s a frame on software GL.
Leaves hold the full-detail merged mesh of the objects whose centre falls in them; every parent
holds a stand-in of all its descendants: one box per cell of a 32 × 32 grid over the tile, with the
cell's built footprint area (area-preserving, so density reads right from afar) and its
area-weighted height. A stand-in box carries the tallest building of its cell as its feature, so a
pick on a coarse tile still names a real building. The geometric error of a tile is its cell
diagonal: how far, in metres, any stand-in vertex can be from the detail it replaces.

No Qt and no VTK: runs in a worker (progress through a plain callback) or from the CLI.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from controlroom.core.city import CityLayer, CityObjects
from controlroom.geo.crs import LocalFrame
from controlroom.geo.tiles.columns import describe_table
from controlroom.geo.tiles.glb import column_type, encode_glb, outward_solids

ProgressFn = Callable[[float, str], None]
FORMAT_VERSION = 2  # bump when the written tiles change for the same input (part of the cache key)
GRID = 32  # stand-in cells per parent tile side
MAX_FEATURES_PER_LEAF = 2500
MAX_LEVEL = 12


@dataclass
class Node:
    level: int
    x: int
    y: int
    bounds: tuple[float, float, float, float]  # xmin, ymin, xmax, ymax of the quadtree cell
    objects: dict[str, npt.NDArray[np.int64]] = field(default_factory=dict)  # layer → object rows (leaves)
    children: list[Node] = field(default_factory=list)

    @property
    def is_leaf(self) -> bool:
        return not self.children


@dataclass
class _LayerStats:
    """Per-object figures the stand-ins are made of (filled while the leaves are written)."""

    anchor: npt.NDArray[np.float64]  # (N, 2) centre of the object's triangles
    lo: npt.NDArray[np.float64]  # (N, 3)
    hi: npt.NDArray[np.float64]  # (N, 3)
    area: npt.NDArray[np.float64]  # (N,) projected area of up-facing triangles


def _anchors(layer: CityLayer) -> npt.NDArray[np.float64]:
    n = len(layer.objects) or (int(layer.cell_object.max()) + 1 if layer.n_triangles else 0)
    counts = np.bincount(layer.cell_object, minlength=n).astype(np.float64)
    out = np.zeros((n, 2))
    for axis in (0, 1):
        c = np.zeros(layer.n_triangles)
        for k in range(3):
            c += layer.points[layer.triangles[:, k], axis]
        out[:, axis] = np.bincount(layer.cell_object, weights=c / 3, minlength=n) / np.maximum(counts, 1)
    return out


def _split(
    node: Node,
    anchors: dict[str, npt.NDArray[np.float64]],
    rows: dict[str, npt.NDArray[np.int64]],
    max_leaf: int,
) -> None:
    total = sum(len(r) for r in rows.values())
    if total <= max_leaf or node.level >= MAX_LEVEL:
        node.objects = rows
        return
    x0, y0, x1, y1 = node.bounds
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    for qx in (0, 1):
        for qy in (0, 1):
            sub: dict[str, npt.NDArray[np.int64]] = {}
            for kind, r in rows.items():
                a = anchors[kind][r]
                inx = (a[:, 0] >= xm) if qx else (a[:, 0] < xm)
                iny = (a[:, 1] >= ym) if qy else (a[:, 1] < ym)
                if (hit := r[inx & iny]).size:
                    sub[kind] = hit
            if sub:
                b = (xm if qx else x0, ym if qy else y0, x1 if qx else xm, y1 if qy else ym)
                child = Node(node.level + 1, node.x * 2 + qx, node.y * 2 + qy, b)
                _split(child, anchors, sub, max_leaf)
                node.children.append(child)


@dataclass
class _Table:
    """A layer's object table as columns, built once: a tile's table is then one take per column.

    Each column's kind (INT64, FLOAT64, STRING) is decided over the whole layer, so every tile of
    the tileset types a column alike; numeric columns are numpy arrays (NaN = no value).
    """

    columns: dict[str, npt.NDArray[Any]]
    kinds: dict[str, str]

    @classmethod
    def of(cls, objects: CityObjects) -> _Table:
        import pandas as pd

        n = len(objects)
        raw: dict[str, Sequence[Any]] = {
            "id": objects.ids,
            "type": objects.types,
            "name": objects.names,
            "height": objects.heights,
            "lod": objects.lods,
            "parent": objects.parents,
        }
        for k in objects.attribute_names():
            raw[k if k not in raw else f"attributes.{k}"] = [a.get(k) for a in objects.attributes]
        columns: dict[str, npt.NDArray[Any]] = {}
        kinds: dict[str, str] = {}
        for name, values in raw.items():
            arr = np.fromiter(values, dtype=object, count=n)
            kind = column_type(arr)
            missing = pd.isna(arr)
            try:
                if kind == "FLOAT64":
                    arr = np.where(missing, np.nan, arr).astype(np.float64)
                elif kind == "INT64" and not missing.any():
                    arr = arr.astype(np.int64)
            except (OverflowError, TypeError, ValueError):  # ints past int64: kept as text
                kind = "STRING"
            columns[name], kinds[name] = arr, kind
        return cls(columns, kinds)

    def rows(self, rows: npt.NDArray[np.int64]) -> dict[str, npt.NDArray[Any]]:
        return {k: v[rows] for k, v in self.columns.items()}


def _leaf_mesh(
    layer: CityLayer, tri_rows: npt.NDArray[np.int64], rows: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.int64], tuple[Any, Any, Any]]:
    """Points, triangles and per-vertex local feature of the leaf, and its objects' lo, hi, area."""
    tris = layer.triangles[tri_rows]
    local = np.searchsorted(rows, layer.cell_object[tri_rows])
    # A vertex shared by two objects (BuildingParts) is split so each vertex has one feature id.
    key = tris * len(rows) + local[:, None]
    uniq, inverse = np.unique(key.ravel(), return_inverse=True)
    points = layer.points[uniq // len(rows)]
    vfeat = uniq % len(rows)
    new_tris = inverse.reshape(-1, 3)
    lo = np.full((len(rows), 3), np.inf)
    hi = np.full((len(rows), 3), -np.inf)
    np.minimum.at(lo, vfeat, points)
    np.maximum.at(hi, vfeat, points)
    a, b, c = points[new_tris[:, 0]], points[new_tris[:, 1]], points[new_tris[:, 2]]
    cross_z = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    n = np.cross(b - a, c - a)
    up = n[:, 2] > 0.5 * np.linalg.norm(n, axis=1)
    area = np.bincount(local[up], weights=cross_z[up] / 2, minlength=len(rows))
    return points, new_tris, vfeat, (lo, hi, area)


def _stand_in(
    node: Node, rows: npt.NDArray[np.int64], stats: _LayerStats, objects: CityObjects
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Area-preserving boxes per grid cell; returns points, triangles, vertex feature, feature rows."""
    x0, y0, x1, y1 = node.bounds
    cell = max(x1 - x0, y1 - y0) / GRID
    a = stats.anchor[rows]
    ci = np.clip(((a[:, 0] - x0) / cell).astype(np.int64), 0, GRID - 1)
    cj = np.clip(((a[:, 1] - y0) / cell).astype(np.int64), 0, GRID - 1)
    key = ci * GRID + cj
    cells, inv = np.unique(key, return_inverse=True)
    k = len(cells)
    area = np.maximum(stats.area[rows], 1.0)
    tot = np.bincount(inv, weights=area, minlength=k)
    top = np.bincount(inv, weights=area * stats.hi[rows, 2], minlength=k) / tot
    base = np.full(k, np.inf)
    np.minimum.at(base, inv, stats.lo[rows, 2])
    cx = np.bincount(inv, weights=area * a[:, 0], minlength=k) / tot
    cy = np.bincount(inv, weights=area * a[:, 1], minlength=k) / tot
    bx0, by0 = np.full(k, np.inf), np.full(k, np.inf)
    bx1, by1 = np.full(k, -np.inf), np.full(k, -np.inf)
    np.minimum.at(bx0, inv, stats.lo[rows, 0])
    np.minimum.at(by0, inv, stats.lo[rows, 1])
    np.maximum.at(bx1, inv, stats.hi[rows, 0])
    np.maximum.at(by1, inv, stats.hi[rows, 1])
    bw, bh = np.maximum(bx1 - bx0, 0.5), np.maximum(by1 - by0, 0.5)
    scale = np.minimum(np.sqrt(tot / (bw * bh)), 1.0)
    hw, hh = bw * scale / 2, bh * scale / 2
    cx = np.clip(cx, bx0 + hw, bx1 - hw)
    cy = np.clip(cy, by0 + hh, by1 - hh)
    # Tallest object of each cell stands for it (its id and attributes).
    order = np.lexsort((-stats.hi[rows, 2], inv))
    first = np.concatenate([[0], np.flatnonzero(np.diff(inv[order])) + 1])
    rep = rows[order[first]]
    corners_x = np.stack([cx - hw, cx + hw, cx + hw, cx - hw], axis=1)
    corners_y = np.stack([cy - hh, cy - hh, cy + hh, cy + hh], axis=1)
    pts = np.empty((k, 8, 3))
    pts[:, :4, 0], pts[:, 4:, 0] = corners_x, corners_x
    pts[:, :4, 1], pts[:, 4:, 1] = corners_y, corners_y
    pts[:, :4, 2], pts[:, 4:, 2] = base[:, None], top[:, None]
    quad = []
    for j in range(4):
        n = (j + 1) % 4
        quad += [[j, n, n + 4], [j, n + 4, j + 4]]
    box = np.array([*quad, [4, 5, 6], [4, 6, 7]], np.int64)
    tris = (box[None, :, :] + 8 * np.arange(k)[:, None, None]).reshape(-1, 3)
    return pts.reshape(-1, 3), tris, np.repeat(np.arange(k), 8), rep


def _box(x0: float, y0: float, z0: float, x1: float, y1: float, z1: float) -> list[float]:
    """A 3D Tiles ``box``: centre, then the three half-axis vectors."""
    hx, hy, hz = (x1 - x0) / 2, (y1 - y0) / 2, max((z1 - z0) / 2, 0.01)
    return [(x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2, hx, 0, 0, 0, hy, 0, 0, 0, hz]


def enu_to_ecef(frame: LocalFrame) -> list[float]:
    """Column-major 4×4 taking local (east, north, up) metres at the frame origin to ECEF."""
    from pyproj import Transformer

    to_ecef = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)
    lon, lat = frame.to_wgs84(np.array([0.0, 1000.0, 0.0]), np.array([0.0, 0.0, 1000.0]))
    ex, ey, ez = to_ecef.transform(lon, lat, np.zeros(3) + frame.origin[2])
    o = np.array([ex[0], ey[0], ez[0]])
    east = np.array([ex[1], ey[1], ez[1]]) - o
    north = np.array([ex[2], ey[2], ez[2]]) - o
    east /= np.linalg.norm(east)
    north -= east * (north @ east)
    north /= np.linalg.norm(north)
    up = np.cross(east, north)
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = east, north, up, o
    return [float(v) for v in m.T.ravel()]


@dataclass
class _Job:
    """What a tile writer reads; a forked worker sees it copy-on-write, nothing is pickled."""

    tmp: Path
    nodes: list[Node]
    leaves: list[Node]
    index: dict[int, int]  # id(node) → position in nodes
    by_kind: dict[str, CityLayer]
    tables: dict[str, _Table]
    stats: dict[str, _LayerStats]
    tri_groups: dict[str, dict[int, npt.NDArray[np.int64]]]


@dataclass
class _Written:
    node: int
    uri: str
    nbytes: int
    triangles: int
    z: tuple[float, float]


_JOB: _Job | None = None  # what forked writers read (set only around a pool's life)
_FORKING = threading.Lock()  # one pool at a time sets _JOB
_T = TypeVar("_T")


def default_workers() -> int:
    """One writer per core, but only from a process with one thread: forking a process whose
    other threads may hold locks (the app's GUI, feeds) can hang the child, so there it is 1."""
    return max(1, min(os.cpu_count() or 1, 8)) if threading.active_count() == 1 else 1


def _map(fn: Callable[[_Job, int], _T], job: _Job, items: Sequence[int], workers: int) -> Iterator[_T]:
    """``fn(job, i)`` over ``items`` in this process, or in ``workers`` forked ones (unordered)."""
    if workers <= 1 or len(items) < 2:
        for i in items:
            yield fn(job, i)
        return
    import multiprocessing

    global _JOB
    with _FORKING:
        _JOB = job  # forked children see it copy-on-write: nothing big is pickled
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                chunk = max(1, len(items) // (workers * 16))
                yield from pool.imap_unordered(partial(_in_child, fn), items, chunksize=chunk)
        finally:
            _JOB = None


def _in_child(fn: Callable[[_Job, int], _T], i: int) -> _T:
    assert _JOB is not None
    return fn(_JOB, i)


def _emit(
    job: _Job, node: Node, kind: str, pts: Any, tris: Any, vfeat: Any, table: dict[str, Any]
) -> _Written:
    rel = f"content/{kind}/{node.level}/{node.x}_{node.y}.glb"
    single = outward_solids(pts, tris, vfeat)
    data = encode_glb(pts, tris, vfeat, table, double_sided=not single, kinds=job.tables[kind].kinds)
    path = job.tmp / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    z = (float(pts[:, 2].min()), float(pts[:, 2].max()))
    return _Written(job.index[id(node)], rel, len(data), len(tris), z)


def _write_leaf(job: _Job, li: int) -> tuple[list[_Written], list[tuple[str, npt.NDArray[np.int64], Any]]]:
    leaf = job.leaves[li]
    items, measured = [], []
    for kind, rows in leaf.objects.items():
        pts, tris, vfeat, stats = _leaf_mesh(job.by_kind[kind], job.tri_groups[kind][li], rows)
        items.append(_emit(job, leaf, kind, pts, tris, vfeat, job.tables[kind].rows(rows)))
        measured.append((kind, rows, stats))
    return items, measured


def _descendants(node: Node) -> dict[str, list[npt.NDArray[np.int64]]]:
    if node.is_leaf:
        return {k: [r] for k, r in node.objects.items()}
    acc: dict[str, list[npt.NDArray[np.int64]]] = {}
    for c in node.children:
        for k, v in _descendants(c).items():
            acc.setdefault(k, []).extend(v)
    return acc


def _write_parent(job: _Job, ni: int) -> list[_Written]:
    node = job.nodes[ni]
    items = []
    for kind, parts in _descendants(node).items():
        rows = np.sort(np.concatenate(parts))
        pts, tris, vfeat, rep = _stand_in(node, rows, job.stats[kind], job.by_kind[kind].objects)
        items.append(_emit(job, node, kind, pts, tris, vfeat, job.tables[kind].rows(rep)))
    return items


@dataclass
class BuildResult:
    path: Path
    tiles: int
    levels: int
    features: int
    bytes: int
    seconds: float


def build_tileset(
    layers: Sequence[CityLayer],
    frame: LocalFrame,
    out: Path,
    *,
    max_features_per_leaf: int = MAX_FEATURES_PER_LEAF,
    progress: ProgressFn | None = None,
    source: str = "",
    workers: int | None = None,
) -> BuildResult:
    """Write ``out/tileset.json`` and ``out/content/…glb``; replaces a previous build in ``out``.

    ``workers`` processes write the tiles (default ``default_workers()``).
    """
    t0 = time.perf_counter()
    layers = [ly for ly in layers if ly.n_triangles]
    if not layers:
        raise ValueError("nothing to tile: no layer has triangles")
    by_kind = {ly.kind: ly for ly in layers}
    stats: dict[str, _LayerStats] = {}
    for ly in layers:
        n = len(ly.objects)
        stats[ly.kind] = _LayerStats(_anchors(ly), np.zeros((n, 3)), np.zeros((n, 3)), np.zeros(n))
    allpts = np.concatenate([ly.points for ly in layers])
    lo3, hi3 = allpts.min(0), allpts.max(0)
    del allpts
    side = float(max(hi3[0] - lo3[0], hi3[1] - lo3[1], 1.0)) * 1.0001
    root = Node(0, 0, 0, (float(lo3[0]), float(lo3[1]), float(lo3[0]) + side, float(lo3[1]) + side))
    # Objects without triangles (empty geometry) have no place in the tree.
    rows0 = {
        k: np.flatnonzero(np.bincount(by_kind[k].cell_object, minlength=len(s.anchor)) > 0).astype(np.int64)
        for k, s in stats.items()
    }
    _split(root, {k: s.anchor for k, s in stats.items()}, rows0, max_features_per_leaf)

    nodes: list[Node] = []

    def walk(node: Node) -> None:
        nodes.append(node)
        for c in node.children:
            walk(c)

    walk(root)
    leaves = [nd for nd in nodes if nd.is_leaf]
    # Triangles of each layer grouped by leaf, one argsort per layer.
    tri_groups: dict[str, dict[int, npt.NDArray[np.int64]]] = {}
    for kind, ly in by_kind.items():
        leaf_of = np.full(len(ly.objects), -1, np.int64)
        for li, leaf in enumerate(leaves):
            if kind in leaf.objects:
                leaf_of[leaf.objects[kind]] = li
        tri_leaf = leaf_of[ly.cell_object]
        order = np.argsort(tri_leaf, kind="stable")
        bounds = np.searchsorted(tri_leaf[order], np.arange(len(leaves) + 1))
        tri_groups[kind] = {li: order[bounds[li] : bounds[li + 1]] for li in range(len(leaves))}

    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "content").mkdir(parents=True)
    total_bytes = 0
    features = 0
    content: dict[int, list[dict[str, Any]]] = {}
    zrange: dict[int, tuple[float, float]] = {}
    triangles: dict[int, int] = {}
    n_nodes = len(nodes)
    index = {id(nd): i for i, nd in enumerate(nodes)}
    job = _Job(
        tmp,
        nodes,
        leaves,
        index,
        by_kind,
        {k: _Table.of(ly.objects) for k, ly in by_kind.items()},
        stats,
        tri_groups,
    )
    if workers is None:
        workers = default_workers()
    written = 0

    def collect(items: list[_Written]) -> None:
        nonlocal total_bytes, written
        for w in items:
            content.setdefault(w.node, []).append({"uri": w.uri})
            triangles[w.node] = triangles.get(w.node, 0) + w.triangles
            old = zrange.get(w.node, w.z)
            zrange[w.node] = (min(old[0], w.z[0]), max(old[1], w.z[1]))
            total_bytes += w.nbytes
        written += 1
        if progress is not None and written % 8 == 0:
            progress(0.9 * written / n_nodes, f"Tiles {written:,} of {n_nodes:,}")

    # Leaves first (they measure their objects for the stand-ins), then every parent.
    for items, measured in _map(_write_leaf, job, range(len(leaves)), workers):
        collect(items)
        for kind, rows, (lo, hi, area) in measured:
            st = stats[kind]
            st.lo[rows], st.hi[rows], st.area[rows] = lo, hi, area
            features += len(rows)
    parents = [i for i, nd in enumerate(nodes) if not nd.is_leaf]
    for items in _map(_write_parent, job, parents, workers):
        collect(items)
    columns = {k: describe_table(job.tables[k].rows(rows0[k])) for k in by_kind if k == "buildings"}

    def tile_json(node: Node) -> dict[str, Any]:
        x0, y0, x1, y1 = node.bounds
        z0, z1 = zrange.get(index[id(node)], (0.0, 0.0))
        kids = [tile_json(c) for c in node.children]
        for c in kids:  # content boxes: children may poke out of the quadtree cell (centre rule)
            cx, cy, cz, hx, hy, hz = (c["boundingVolume"]["box"][i] for i in (0, 1, 2, 3, 7, 11))
            x0, x1 = min(x0, cx - hx), max(x1, cx + hx)
            y0, y1 = min(y0, cy - hy), max(y1, cy + hy)
            z0, z1 = min(z0, cz - hz), max(z1, cz + hz)
        cell = max(node.bounds[2] - node.bounds[0], node.bounds[3] - node.bounds[1]) / GRID
        tile: dict[str, Any] = {
            "boundingVolume": {"box": _box(x0, y0, z0, x1, y1, z1)},
            "geometricError": 0.0 if node.is_leaf else round(cell * 1.4142, 3),
            "refine": "REPLACE",
        }
        items = content.get(index[id(node)], [])
        if len(items) == 1:
            tile["content"] = items[0]
        elif items:
            tile["contents"] = items
        if kids:
            tile["children"] = kids
        if index[id(node)] in triangles:  # lets a viewer keep a frame's triangle count in check first
            tile["extras"] = {"triangles": triangles[index[id(node)]]}
        return tile

    root_json = tile_json(root)
    root_json["transform"] = enu_to_ecef(frame)
    levels = max(nd.level for nd in nodes) + 1
    doc = {
        "asset": {"version": "1.1", "generator": "controlroom"},
        "geometricError": round(float(root_json["geometricError"]) * 2 or side, 3),
        "root": root_json,
        "extras": {
            "controlroom": {
                "format": FORMAT_VERSION,
                "crs": frame.crs,
                "origin": list(frame.origin),
                "layers": {k: len(ly.objects) for k, ly in by_kind.items()},
                # What colour-by needs for a scale that does not change as tiles stream (geo.tiles.columns).
                "columns": columns,
                "features": features,
                "tiles": n_nodes,
                "levels": levels,
                "source": source,
            }
        },
    }
    text = json.dumps(doc, separators=(",", ":"))
    (tmp / "tileset.json").write_text(text, encoding="utf-8")
    total_bytes += len(text)
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp.rename(out)
    if progress is not None:
        progress(1.0, f"Wrote {n_nodes:,} tiles")
    return BuildResult(out / "tileset.json", n_nodes, levels, features, total_bytes, time.perf_counter() - t0)
