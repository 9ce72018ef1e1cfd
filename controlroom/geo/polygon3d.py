"""Planar 3D polygons (with holes) → triangles: one at a time, or a whole city in one batch.

CityJSON surfaces are planar 3D polygons whose rings are lists of vertex indices. Most are
triangles or convex quads that need no ear clipping: those are fanned in bulk with numpy. The
rest (concave, with holes, with repeated or collinear vertices) are projected onto their
best-fit plane (Newell normal, dominant axis dropped) and ear-clipped with mapbox_earcut.
Triangles keep the winding of the source's outer ring, so outward-facing solid faces stay
outward-facing and face normals stay meaningful for shading and roof/wall classification.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import mapbox_earcut
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Columns = tuple[FloatArray, FloatArray, FloatArray]  # x, y, z: gathers on 1D columns are ~10x faster
IntArray = npt.NDArray[np.int64]

_DEGENERATE = 1e-9  # twice-area / squared perimeter below this: no area at all
_REFLEX_SIN = 1e-9  # a corner turning back by more than this (sine) makes a polygon non-convex
_PLANAR_TOL = 0.01  # metres off its plane a vertex of a fanned polygon may be
_STRAIGHT_SIN = 1e-6  # a corner this close to straight may leave a zero-area fan triangle
_SLIVER = 1e-10  # triangle twice-area / sum of squared edges below this: a collinear sliver
_EMPTY = np.empty((0, 3), np.int64)
# the two coordinates kept when dropping axis 0, 1 or 2
_KEEP_AXES = np.array([[1, 2], [0, 2], [0, 1]], np.int64)


def newell_normal(points: npt.ArrayLike) -> FloatArray:
    """Unnormalised Newell normal of a closed ring: robust for non-convex and nearly planar
    rings; its length is twice the ring's area."""
    p = np.asarray(points, np.float64).reshape(-1, 3)
    q = np.roll(p, -1, axis=0)
    return np.array(
        [
            np.sum((p[:, 1] - q[:, 1]) * (p[:, 2] + q[:, 2])),
            np.sum((p[:, 2] - q[:, 2]) * (p[:, 0] + q[:, 0])),
            np.sum((p[:, 0] - q[:, 0]) * (p[:, 1] + q[:, 1])),
        ]
    )


def _distinct_ring_vertices(ring: FloatArray) -> IntArray:
    """Indices of a ring's vertices after dropping repeats of the next vertex (incl. closure)."""
    if len(ring) == 0:
        return np.empty(0, np.int64)
    scale = max(1.0, float(np.ptp(ring, axis=0).max()))
    step = np.abs(np.roll(ring, -1, axis=0) - ring).max(axis=1)
    return np.flatnonzero(step > 1e-12 * scale).astype(np.int64)


def _has_area(normal: FloatArray, ring: FloatArray) -> bool:
    perimeter = float(np.linalg.norm(np.roll(ring, -1, axis=0) - ring, axis=1).sum())
    return bool(np.linalg.norm(normal) > _DEGENERATE * perimeter * perimeter) and perimeter > 0.0


def _wind_like(cols: Columns, tris: IntArray, normal: FloatArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
    """Flip triangles whose winding disagrees with ``normal`` ((m, 3) or (1, 3)); the mask
    marks the ones with an area (collinear slivers are False)."""
    x, y, z = cols
    a, b, c = tris[:, 0], tris[:, 1], tris[:, 2]
    abx, aby, abz = x[b] - x[a], y[b] - y[a], z[b] - z[a]
    acx, acy, acz = x[c] - x[a], y[c] - y[a], z[c] - z[a]
    cx, cy, cz = aby * acz - abz * acy, abz * acx - abx * acz, abx * acy - aby * acx
    flip = cx * normal[:, 0] + cy * normal[:, 1] + cz * normal[:, 2] < 0.0
    if flip.any():
        tris = tris.copy()
        tris[flip, 1], tris[flip, 2] = c[flip], b[flip]
    size = abx**2 + aby**2 + abz**2 + acx**2 + acy**2 + acz**2 + (acx - abx) ** 2 + (acy - aby) ** 2
    size += (acz - abz) ** 2
    return tris, np.sqrt(cx * cx + cy * cy + cz * cz) > _SLIVER * size


def _earcut(uv: FloatArray, ring_ends: npt.NDArray[np.uint32]) -> IntArray:
    return mapbox_earcut.triangulate_float64(uv, ring_ends).astype(np.int64).reshape(-1, 3)


def triangulate_polygon(ring_points: Sequence[npt.ArrayLike]) -> IntArray:
    """Triangulate one planar 3D polygon: outer ring first, then holes (each (n, 3), not closed,
    a repeated closing vertex is tolerated). Returns (k, 3) indices into the concatenated input
    rings, wound like the outer ring; empty when the polygon has no area. Repeated vertices are
    skipped, holes without area are ignored, collinear slivers are dropped."""
    rings = [np.asarray(r, np.float64).reshape(-1, 3) for r in ring_points]
    if not rings:
        return _EMPTY.copy()
    offsets = np.cumsum([0] + [len(r) for r in rings[:-1]])
    kept: list[IntArray] = []
    normal = np.zeros(3)
    for i, ring in enumerate(rings):
        keep = _distinct_ring_vertices(ring)
        ring_normal = newell_normal(ring[keep]) if len(keep) >= 3 else np.zeros(3)
        if len(keep) < 3 or not _has_area(ring_normal, ring[keep]):
            if i == 0:
                return _EMPTY.copy()
            continue  # a hole without area removes nothing
        if i == 0:
            normal = ring_normal
        kept.append(keep + offsets[i])
    selected = np.concatenate(kept)
    points = np.concatenate(rings)
    axis = int(np.argmax(np.abs(normal)))
    uv = np.ascontiguousarray(points[selected][:, _KEEP_AXES[axis]])
    ends = np.cumsum([len(k) for k in kept]).astype(np.uint32)
    tris = selected[_earcut(uv, ends)]
    cols = (points[:, 0], points[:, 1], points[:, 2])
    tris, has_area = _wind_like(cols, tris, normal[None, :])
    return tris[has_area]


@dataclass
class TriangleBatch:
    """Triangles of many polygons over one shared vertex array."""

    triangles: IntArray  # (M, 3) vertex indices
    polygon: IntArray  # (M,) source polygon of each triangle
    normals: FloatArray  # (P, 3) unit normal per polygon (zeros where degenerate)
    degenerate: npt.NDArray[np.bool_]  # (P,) polygons that produced no triangle


@dataclass
class _Rings:
    """The flat ring layout plus what is derived from it once and shared by both paths."""

    index: IntArray  # vertex index per position
    start: IntArray  # first position per ring
    length: IntArray  # positions per ring
    first: IntArray  # first ring per polygon
    count: IntArray  # rings per polygon
    repeats: npt.NDArray[np.bool_]  # ring has a vertex equal to its successor


def triangulate_polygons(
    vertices: FloatArray,
    ring_index: IntArray,
    ring_length: IntArray,
    polygon_rings: IntArray,
) -> TriangleBatch:
    """Triangulate many polygons given as flat index arrays (the CityJSON boundary layout):
    ``ring_index`` concatenates every ring's vertex indices, ``ring_length`` has one entry per
    ring, ``polygon_rings`` the number of rings (outer first) per polygon. Indices must be valid.
    Keep ``vertices`` near the origin (subtract an offset) for well-conditioned normals."""
    cols: Columns = tuple(np.ascontiguousarray(vertices[:, k], np.float64) for k in range(3))  # type: ignore[assignment]
    ring_length = np.asarray(ring_length, np.int64)
    polygon_rings = np.asarray(polygon_rings, np.int64)
    n_rings, n_polys = len(ring_length), len(polygon_rings)
    ring_start = np.zeros(n_rings, np.int64)
    np.cumsum(ring_length[:-1], out=ring_start[1:])
    first_ring = np.zeros(n_polys, np.int64)
    np.cumsum(polygon_rings[:-1], out=first_ring[1:])
    has_ring = polygon_rings > 0
    outer = np.where(has_ring, np.minimum(first_ring, max(n_rings - 1, 0)), 0)

    # Per position: this vertex p, the next one q in its ring, the edge p→q.
    nonempty = ring_length > 0
    starts = ring_start[nonempty]
    nxt = np.arange(1, len(ring_index) + 1)
    nxt[(ring_start + ring_length - 1)[nonempty]] = starts
    px, py, pz = (c[ring_index] for c in cols)
    qx, qy, qz = px[nxt], py[nxt], pz[nxt]
    ex, ey, ez = qx - px, qy - py, qz - pz
    edge = np.sqrt(ex * ex + ey * ey + ez * ez)

    # Per ring: Newell normal, perimeter and whether a vertex repeats its successor.
    ring_normal = np.zeros((n_rings, 3))
    ring_perimeter = np.zeros(n_rings)
    ring_repeats = np.zeros(n_rings, bool)
    if len(ring_index):
        ring_normal[nonempty, 0] = np.add.reduceat(-ey * (pz + qz), starts)
        ring_normal[nonempty, 1] = np.add.reduceat(-ez * (px + qx), starts)
        ring_normal[nonempty, 2] = np.add.reduceat(-ex * (py + qy), starts)
        ring_perimeter[nonempty] = np.add.reduceat(edge, starts)
        repeat = (ring_index == ring_index[nxt]) | (edge == 0.0)
        ring_repeats[nonempty] = np.logical_or.reduceat(repeat, starts)
    rings = _Rings(ring_index, ring_start, ring_length, first_ring, polygon_rings, ring_repeats)

    normal = np.where(has_ring[:, None], ring_normal[outer], 0.0)
    twice_area = np.sqrt((normal * normal).sum(axis=1))
    n_outer = np.where(has_ring, ring_length[outer], 0)
    degenerate = (n_outer < 3) | (twice_area <= _DEGENERATE * ring_perimeter[outer] ** 2)
    unit = np.zeros_like(normal)
    np.divide(normal, twice_area[:, None], out=unit, where=~degenerate[:, None])

    # A single-ring polygon with no reflex corner whose vertices lie on its plane is fanned.
    position_poly = np.repeat(np.repeat(np.arange(n_polys), polygon_rings), ring_length)
    ux, uy, uz = unit[:, 0][position_poly], unit[:, 1][position_poly], unit[:, 2][position_poly]
    fx, fy, fz = ex[nxt], ey[nxt], ez[nxt]
    turn = (ey * fz - ez * fy) * ux + (ez * fx - ex * fz) * uy + (ex * fy - ey * fx) * uz
    corner = edge * edge[nxt]
    ring_first = np.repeat(ring_start, ring_length)
    off_plane = np.abs((px - px[ring_first]) * ux + (py - py[ring_first]) * uy + (pz - pz[ring_first]) * uz)
    ring_bent = np.zeros(n_rings, bool)
    ring_straight = np.zeros(n_rings, bool)
    if len(ring_index):
        bent = (turn < -_REFLEX_SIN * corner) | (off_plane > _PLANAR_TOL)
        ring_bent[nonempty] = np.logical_or.reduceat(bent, starts)
        ring_straight[nonempty] = np.logical_or.reduceat(turn <= _STRAIGHT_SIN * corner, starts)
    fanned = (polygon_rings == 1) & ~degenerate & ~ring_repeats[outer] & ~ring_bent[outer]
    fan_polys = np.flatnonzero(fanned)
    per_poly = n_outer[fan_polys] - 2
    step = _ranges(np.ones(len(fan_polys), np.int64), per_poly)
    apex = np.repeat(ring_start[outer[fan_polys]], per_poly)
    tris = ring_index[np.column_stack([apex, apex + step, apex + step + 1])]
    owner = np.repeat(fan_polys, per_poly)
    check = ring_straight[outer[owner]]  # straight corners can give zero-area fan triangles
    if check.any():
        _, has_area = _wind_like(cols, tris[check], unit[owner[check]])
        keep = np.ones(len(tris), bool)
        keep[np.flatnonzero(check)[~has_area]] = False
        tris, owner = tris[keep], owner[keep]
    tri_parts: list[IntArray] = [tris]
    poly_parts: list[IntArray] = [owner]

    rest = np.flatnonzero(~fanned & ~degenerate)
    if len(rest):
        tris, owner = _ear_clip(cols, rings, unit, rest)
        tri_parts.append(tris)
        poly_parts.append(owner)
    triangles = np.concatenate(tri_parts)
    polygon = np.concatenate(poly_parts)
    produced = np.zeros(n_polys, bool)
    produced[polygon] = True
    return TriangleBatch(triangles, polygon, unit, ~produced)


def _ear_clip(cols: Columns, rings: _Rings, unit: FloatArray, polys: IntArray) -> tuple[IntArray, IntArray]:
    """Ear-clip the polygons the fan could not take, projected onto their dominant plane.
    Projection and ring ends are prepared for all of them at once, so the loop does nothing
    but call earcut on array slices (a city has thousands of such polygons)."""
    first, count = rings.first[polys], rings.count[polys]
    last = first + count - 1
    start = rings.start[first]
    size = rings.start[last] + rings.length[last] - start
    ring_ids = _ranges(first, count)
    dirty = np.zeros(len(polys), bool)
    ring_dirty = rings.repeats[ring_ids] | (rings.length[ring_ids] < 3)
    dirty[np.repeat(np.arange(len(polys)), count)[ring_dirty]] = True

    positions = _ranges(start, size)
    vids = rings.index[positions]
    x, y, z = (c[vids] for c in cols)
    axis = np.repeat(np.argmax(np.abs(unit[polys]), axis=1), size)  # the axis to drop
    uv = np.column_stack([np.where(axis == 0, y, x), np.where(axis == 2, y, z)])
    local_start = np.zeros(len(polys), np.int64)
    np.cumsum(size[:-1], out=local_start[1:])
    ends = (rings.start[ring_ids] + rings.length[ring_ids] - np.repeat(start, count)).astype(np.uint32)
    ends_start = np.zeros(len(polys), np.int64)
    np.cumsum(count[:-1], out=ends_start[1:])

    results: list[npt.NDArray[np.uint32]] = []
    earcut = mapbox_earcut.triangulate_float64
    spans = zip(
        local_start.tolist(),
        (local_start + size).tolist(),
        ends_start.tolist(),
        (ends_start + count).tolist(),
        dirty.tolist(),
        strict=True,
    )
    for a, b, ea, eb, is_dirty in spans:
        if is_dirty:
            points = np.column_stack([x[a:b], y[a:b], z[a:b]])
            results.append(triangulate_polygon(np.split(points, ends[ea : eb - 1])).astype(np.uint32).ravel())
        else:
            results.append(earcut(uv[a:b], ends[ea:eb]))
    counts = np.fromiter(map(len, results), np.int64, count=len(results)) // 3
    if not counts.sum():
        return _EMPTY.copy(), np.empty(0, np.int64)
    local = np.concatenate(results).astype(np.int64).reshape(-1, 3)
    slot = np.repeat(np.arange(len(polys)), counts)
    tris = vids[local + local_start[slot, None]]
    tris, keep = _wind_like(cols, tris, unit[polys[slot]])
    return tris[keep], polys[slot][keep]


def _ranges(starts: IntArray, lengths: IntArray) -> IntArray:
    """Concatenated ``arange(start, start + length)`` for every pair, without a Python loop."""
    total = int(lengths.sum())
    if total == 0:
        return np.empty(0, np.int64)
    steps = np.ones(total, np.int64)
    heads = np.zeros(len(lengths), np.int64)
    np.cumsum(lengths[:-1], out=heads[1:])
    nonzero = lengths > 0
    steps[heads[nonzero]] = starts[nonzero] - np.concatenate([[0], (starts + lengths - 1)[nonzero][:-1]])
    return np.cumsum(steps)
