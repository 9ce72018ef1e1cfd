"""What a flood extent reaches: buildings by ground depth, roads cut, points under water, totals.

Everything that does not depend on the level is prepared once per city (``BuildingSamples``,
``RoadSamples``), so a slider move costs one gather per sample and a segmented maximum: no Python
loop over buildings or cells. A building's ground depth is the deepest water at its footprint
corners and centre (water at any corner is at the building's wall); the thresholds that make it
*wet* or *flooded* are the site's ``[flood]`` settings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from controlroom.core.city import CityLayer
    from controlroom.core.site import FloodConfig
    from controlroom.core.vector import LineLayer
    from controlroom.geo.flood import FloodExtent
    from controlroom.geo.road_route import RoadRouter

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]

DRY, WET, FLOODED = 0, 1, 2
STATE_NAMES = ("dry", "wet", "flooded")
FOOTPRINT_BAND_M = 0.5  # vertices this close to a building's lowest point are its footprint


@dataclass(frozen=True)
class BuildingSamples:
    """Buildings (top-level objects: parts are folded into their parent) and the ground points
    where water would reach each: ``sample_x/y`` sorted by building, ``starts`` its first sample."""

    ids: list[str]
    names: list[str | None]
    x: F64  # centre of the footprint, local metres (for admin routing and "fly there")
    y: F64
    population: F64  # residents, 0 where unknown
    sample_x: F64
    sample_y: F64
    starts: I64
    #: per object of the source layer, the building it belongs to (−1: none); empty without a layer
    object_building: I64 = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def n(self) -> int:
        return len(self.ids)

    @classmethod
    def from_points(
        cls,
        building: I64,
        x: F64,
        y: F64,
        ids: list[str],
        names: list[str | None] | None = None,
        population: F64 | None = None,
    ) -> BuildingSamples:
        """From sample points tagged with their building index (0..len(ids)−1); the centre of each
        building's samples is added as one more sample."""
        n = len(ids)
        count = np.bincount(building, minlength=n).astype(np.float64)
        if np.any(count == 0):
            raise ValueError("every building needs at least one ground sample")
        cx = np.bincount(building, weights=x, minlength=n) / count
        cy = np.bincount(building, weights=y, minlength=n) / count
        b = np.concatenate([building, np.arange(n)])
        order = np.argsort(b, kind="stable")
        sx = np.concatenate([x, cx])[order]
        sy = np.concatenate([y, cy])[order]
        starts = np.searchsorted(b[order], np.arange(n)).astype(np.int64)
        pop = np.zeros(n) if population is None else np.nan_to_num(np.asarray(population, np.float64))
        return cls(list(ids), list(names) if names else [None] * n, cx, cy, pop, sx, sy, starts)

    @classmethod
    def from_layer(cls, layer: CityLayer, population_attribute: str | None = None) -> BuildingSamples:
        """From a loaded ``buildings`` layer: each object's lowest ring of vertices, by root object."""
        objs = layer.objects
        n_obj = len(objs)
        # a BuildingPart counts as its parent Building (present in the table or not)
        keys = np.array([p or oid for oid, p in zip(objs.ids, objs.parents, strict=True)], dtype=object)
        if n_obj == 0 or not layer.n_triangles:
            return cls.from_points(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), [])
        key_names, root = np.unique(keys.astype(str), return_inverse=True)
        tri_root = root[layer.cell_object.astype(np.int64)]
        roots = np.unique(tri_root)  # buildings with geometry of their own or through their parts
        v = layer.triangles.reshape(-1)
        b = np.searchsorted(roots, np.repeat(tri_root, 3))
        key = np.unique(b * len(layer.points) + v)  # each vertex once per building (shared walls:
        b, v = key // len(layer.points), key % len(layer.points)  # once for each neighbour)
        pts = layer.points[v]
        zmin = np.full(len(roots), np.inf)
        np.minimum.at(zmin, b, pts[:, 2])
        foot = pts[:, 2] <= zmin[b] + FOOTPRINT_BAND_M
        ids = [str(k) for k in key_names[roots].tolist()]
        first_obj = np.full(len(key_names), -1, np.int64)
        first_obj[root[::-1]] = np.arange(n_obj - 1, -1, -1)
        names = [objs.names[i] for i in first_obj[roots].tolist()]
        pos = np.minimum(np.searchsorted(roots, root), len(roots) - 1)
        counted = roots[pos] == root  # objects of a building that has geometry
        pop: F64 | None = None
        if population_attribute:
            values = np.array([_number(v) for v in objs.column(population_attribute)], np.float64)
            pop = np.bincount(pos[counted], weights=values[counted], minlength=len(roots)).astype(np.float64)
        samples = cls.from_points(b[foot], pts[foot, 0], pts[foot, 1], ids, names, pop)
        return replace(samples, object_building=np.where(counted, pos, -1).astype(np.int64))


def _number(value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return 0.0
    return out if np.isfinite(out) else 0.0


def building_depths(extent: FloodExtent, samples: BuildingSamples) -> F64:
    """The deepest water at each building's footprint (0 for a dry one)."""
    if not samples.n:
        return np.zeros(0)
    d = extent.depth_at(samples.sample_x, samples.sample_y)
    return np.maximum.reduceat(d, samples.starts)


def classify(depth: F64, config: FloodConfig) -> I8:
    """0 dry, 1 wet (water at the door, ground floor wet), 2 flooded (ground floor under water)."""
    out = np.zeros(len(depth), np.int8)
    out[depth >= config.wet_depth_m] = WET
    out[depth >= config.flooded_depth_m] = FLOODED
    return out


@dataclass(frozen=True)
class RoadSamples:
    """Points along every road at most ``step`` apart, each standing for ``length_m`` of road."""

    x: F64
    y: F64
    length_m: F64
    line: I64  # the road polyline each sample lies on
    names: list[str]  # per polyline
    #: the piece of road each sample stands for, (n, 4): x0, y0, x1, y1 (for drawing cut roads)
    pieces: F64 = field(default_factory=lambda: np.zeros((0, 4)))

    @classmethod
    def from_layer(cls, layer: LineLayer, step_m: float = 5.0) -> RoadSamples:
        pts = np.asarray(layer.points[:, :2], np.float64)
        if layer.n_lines == 0 or len(pts) < 2:
            return cls(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, np.int64), [])
        line_of_point = np.repeat(np.arange(layer.n_lines), np.diff(layer.offsets))
        a = np.arange(len(pts) - 1)
        a = a[line_of_point[a] == line_of_point[a + 1]]
        seg = pts[a + 1] - pts[a]
        length = np.hypot(seg[:, 0], seg[:, 1])
        n = np.maximum(np.ceil(length / step_m).astype(np.int64), 1)
        s = np.repeat(np.arange(len(a)), n)
        k = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
        t = (k + 0.5) / n[s]
        xy = pts[a[s]] + seg[s] * t[:, None]
        p0 = pts[a[s]] + seg[s] * (k / n[s])[:, None]
        p1 = pts[a[s]] + seg[s] * ((k + 1) / n[s])[:, None]
        feats = layer.features
        names = []
        for i in range(layer.n_lines):
            f = feats[int(layer.cell_feature[i])] if i < len(layer.cell_feature) and feats else {}
            names.append(str(f.get("name") or ""))
        return cls(
            xy[:, 0],
            xy[:, 1],
            (length / n)[s],
            line_of_point[a[s]].astype(np.int64),
            names,
            np.hstack([p0, p1]),
        )


def cut_road_samples(extent: FloodExtent, roads: RoadSamples, cut_depth_m: float) -> npt.NDArray[np.bool_]:
    """Which road samples stand in water deeper than ``cut_depth_m``."""
    return extent.depth_at(roads.x, roads.y) > cut_depth_m


def in_water(extent: FloodExtent, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[npt.NDArray[np.bool_], F64]:
    """Points (cameras, units, POIs) standing in water, and the depth there."""
    d = extent.depth_at(x, y)
    return d > 0, d


def road_closures(router: RoadRouter, extent: FloodExtent, cut_depth_m: float) -> tuple[I64, I64]:
    """The road graph's edges (u, v) with water deeper than ``cut_depth_m`` at an end or midway:
    the edges dispatch routing must not use while this what-if is applied."""
    coo = router.graph.tocoo()
    u, v = coo.row.astype(np.int64), coo.col.astype(np.int64)
    keep = u < v
    u, v = u[keep], v[keep]
    a, b = router.xy[u], router.xy[v]
    deep = np.zeros(len(u), bool)
    for t in (0.0, 0.5, 1.0):
        p = a + (b - a) * t
        deep |= extent.depth_at(p[:, 0], p[:, 1]) > cut_depth_m
    return u[deep], v[deep]


def group_totals(
    keys: Sequence[str] | npt.NDArray[Any], values: Mapping[str, F64]
) -> dict[str, dict[str, float]]:
    """Sum each value array by key (district, street or grid name; "" stays as "")."""
    keys_arr = np.asarray(keys, dtype=object).astype(str)
    if not len(keys_arr):
        return {}
    uniq, inverse = np.unique(keys_arr, return_inverse=True)
    sums = {
        name: np.bincount(inverse, weights=np.asarray(v, np.float64), minlength=len(uniq))
        for name, v in values.items()
    }
    return {str(k): {name: float(s[i]) for name, s in sums.items()} for i, k in enumerate(uniq.tolist())}
