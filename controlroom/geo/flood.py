"""The flood what-if's water: which ground is under water at a level, and how deep.

A river that rises to a level floods the ground below that level *that the water can reach*:
the cells below the level connected (4-neighbour) to the river's own cells or to a chosen breach
point, not every low pocket behind a levee. One ``scipy.ndimage.label`` of the below-level mask
finds the connected pieces in a single C pass; the pieces touching a seed are the flood. Depth is
level minus ground there. Three ways to say the level: an absolute height (same datum as the
terrain), "+X m over a gauge's reading", or a rainfall depth that ponds in the lowest ground (a
crude volume balance over the whole grid: no drainage, no infiltration, no routing — it says
where rain would stand first, not when).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from controlroom.geo.terrain import Terrain, fill_triangles

if TYPE_CHECKING:
    from controlroom.core.city import CityLayer

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class FloodExtent:
    """Water at one level over a terrain: ``flooded`` (ny, nx) and ``depth`` (metres, 0 where dry)."""

    terrain: Terrain
    level_m: float
    flooded: Mask
    depth: F32
    how: str  # "river", "breach", "rain": where the water came from

    @property
    def n_cells(self) -> int:
        return int(np.count_nonzero(self.flooded))

    @property
    def area_km2(self) -> float:
        return self.n_cells * self.terrain.cell_area_m2 / 1e6

    @property
    def nothing_floods(self) -> bool:
        return self.n_cells == 0

    @property
    def max_depth_m(self) -> float:
        return float(self.depth.max()) if self.n_cells else 0.0

    def depth_at(self, x: npt.ArrayLike, y: npt.ArrayLike) -> F64:
        """Water depth under each point (0 where dry or outside the terrain)."""
        i, j, inside = self.terrain.index(x, y)
        out = self.depth[i, j].astype(np.float64)
        out[~inside] = 0.0
        return out


def water_mask(terrain: Terrain, water: CityLayer | None) -> Mask:
    """The terrain cells under the site's water layer (river and canal polygons, triangulated)."""
    if water is None or not water.n_triangles:
        return np.zeros(terrain.shape, bool)
    hit = np.zeros(terrain.shape, np.float32)
    fill_triangles(
        hit, terrain.x0, terrain.y0, terrain.cell, water.points, water.triangles, np.ones(len(water.points))
    )
    return hit > 0.5


def point_seed(terrain: Terrain, x: float, y: float) -> Mask:
    """A seed mask holding the one cell under a breach point (empty when it is off the terrain)."""
    seed = np.zeros(terrain.shape, bool)
    i, j, inside = terrain.index([x], [y])
    if inside[0]:
        seed[i[0], j[0]] = True
    return seed


def flood_from(terrain: Terrain, level_m: float, seeds: Mask, how: str = "river") -> FloodExtent:
    """Cells below ``level_m`` connected to any seed cell; depth = level − ground there."""
    z = terrain.z
    with np.errstate(invalid="ignore"):
        below = z < np.float32(level_m)  # NaN (no data) is never below
    start = below & seeds
    if not start.any():
        return _empty(terrain, level_m, how)
    from scipy import ndimage

    labels, n = ndimage.label(below)
    seeded = np.unique(labels[start])
    if len(seeded) <= 4:  # the usual case: a comparison per piece beats a table gather
        flooded = labels == seeded[0]
        for k in seeded[1:]:
            flooded |= labels == k
    else:
        keep = np.zeros(n + 1, bool)
        keep[seeded] = True
        flooded = keep[labels]
    return FloodExtent(terrain, float(level_m), flooded, _depth(z, level_m, flooded), how)


def spill_levels(terrain: Terrain, seeds: Mask) -> F32:
    """Per cell, the lowest level at which water from the seeds reaches it (+inf: never, e.g. no
    data in between): the highest ground on the lowest path from a seed, the cell's own included.

    Then ``flood_from(terrain, L, seeds)`` is exactly the cells with ``spill < L``: the slider
    asks a comparison per level instead of a labelling. Computed once: the paths are those of a
    minimum spanning tree of the 4-neighbour grid weighted by the higher ground of each pair (plus
    a source joined to every seed), and the highest weight on each cell's tree path comes from
    pointer doubling (log₂ of the tree's depth passes over the grid, no Python loop per cell).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

    z = terrain.z.astype(np.float64)
    ny, nx = z.shape
    n = ny * nx
    ok = ~np.isnan(z)
    if not (seeds & ok).any():
        return np.full(z.shape, np.inf)
    base = float(np.nanmin(z)) - 1.0  # weights > 0: a sparse matrix drops zero-weight edges
    flat = z.reshape(-1) - base
    idx = np.arange(n).reshape(ny, nx)
    us, vs = [], []
    for a, b in ((idx[:, :-1], idx[:, 1:]), (idx[:-1, :], idx[1:, :])):
        keep = ok.reshape(-1)[a.reshape(-1)] & ok.reshape(-1)[b.reshape(-1)]
        us.append(a.reshape(-1)[keep])
        vs.append(b.reshape(-1)[keep])
    seed_cells = np.flatnonzero((seeds & ok).reshape(-1))
    u = np.concatenate([*us, np.full(len(seed_cells), n)])
    v = np.concatenate([*vs, seed_cells])
    w = np.concatenate([np.maximum(flat[np.concatenate(us)], flat[np.concatenate(vs)]), flat[seed_cells]])
    tree = minimum_spanning_tree(coo_matrix((w, (u, v)), shape=(n + 1, n + 1)).tocsr())
    tree = (tree + tree.T).tocsr()
    order, pred = breadth_first_order(tree, n, directed=False, return_predecessors=True)
    reached = order[1:]
    up = np.full(n + 1, n, np.int64)  # the source is its own parent
    up[reached] = pred[reached]
    # each tree edge's own height, from the heights themselves (float32, compared as flood_from does)
    zz = np.append(z.reshape(-1), -np.inf)
    high = np.full(n + 1, -np.inf)
    high[reached] = np.maximum(zz[pred[reached]], zz[reached])
    while True:  # pointer doubling: high = max weight on the path to the source
        nxt = up[up]
        high = np.maximum(high, high[up])
        if np.array_equal(nxt, up):
            break
        up = nxt
    out = np.full(n + 1, np.inf, np.float32)
    out[reached] = high[reached]
    return out[:n].reshape(ny, nx)


def flood_below(terrain: Terrain, level_m: float, spill: F32, how: str = "river") -> FloodExtent:
    """``flood_from`` through precomputed ``spill_levels``: one comparison per cell."""
    flooded = spill < np.float32(level_m)  # in float32, as flood_from compares the ground
    if not flooded.any():
        return _empty(terrain, level_m, how)
    return FloodExtent(terrain, float(level_m), flooded, _depth(terrain.z, level_m, flooded), how)


def rain_ponding(
    terrain: Terrain, rain_mm: float, exclude: Mask | None = None, runoff: float = 1.0
) -> FloodExtent:
    """Rain of ``rain_mm`` over the terrain (outside ``exclude``, e.g. the river, which carries its
    own rain away) gathered into the lowest ground: the level whose volume below it equals the
    rain's volume. Every low pocket fills, connected or not: that is what ponding means."""
    z = terrain.z
    ok = ~np.isnan(z)
    if exclude is not None:
        ok &= ~exclude
    ground = np.sort(z[ok].astype(np.float64))
    if not len(ground) or rain_mm <= 0:
        return _empty(terrain, float(ground[0]) if len(ground) else 0.0, "rain")
    volume = rain_mm / 1000.0 * runoff * len(ground)  # in cell-heights: cell area cancels out
    # filling the k lowest cells up to ground[k] holds k·ground[k] − sum(ground[:k])
    k = np.arange(1, len(ground) + 1)
    held = k * ground - np.cumsum(ground)
    n = int(np.searchsorted(held, volume, side="right"))  # cells under water
    level = (volume + float(np.sum(ground[:n]))) / n
    flooded = ok & (z < np.float32(level))
    return FloodExtent(terrain, float(level), flooded, _depth(z, level, flooded), "rain")


def _depth(z: F32, level_m: float, flooded: Mask) -> F32:
    depth = np.zeros(z.shape, np.float32)
    np.subtract(np.float32(level_m), z, out=depth, where=flooded)
    return depth


def _empty(terrain: Terrain, level_m: float, how: str) -> FloodExtent:
    return FloodExtent(
        terrain, float(level_m), np.zeros(terrain.shape, bool), np.zeros(terrain.shape, np.float32), how
    )


def river_bed_m(terrain: Terrain, seeds: Mask) -> float | None:
    """The lowest ground under the seeds: a level at or below it floods nothing."""
    z = terrain.z[seeds]
    z = z[~np.isnan(z)]
    return float(z.min()) if len(z) else None
