"""A city standing on its terrain: the ground drawn under it, and everything lifted onto that ground.

A site with ``[terrain]`` gets its ground as one merged mesh (``terrain_layer``: the terrain grid
coarsened to at most ``DISPLAY_TRIANGLES`` triangles, so it costs the software-GL frame little),
and every layer drawn on flat ground is lifted onto *that drawn* surface, not the finer grid, so
nothing floats above it or sinks into it: a footprint building by the lowest ground under its
corners (it stands on the downhill side, its walls go into the slope uphill), roads, boundary
lines and POIs by the ground under each vertex, a river or canal polygon to one flat surface at
the ground along its banks. A CityJSON model's own heights are absolute already (its buildings and
its ``TINRelief`` share one datum) and are left as they are. ``Ground.height`` is what the live
map's glyphs (units, cameras, incidents) stand on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from controlroom.core.city import CityLayer, CityObjects, Surface
from controlroom.core.vector import LineLayer, PointLayer
from controlroom.geo.terrain import Terrain

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
DISPLAY_TRIANGLES = 60_000  # the drawn ground: a few % of a software-GL frame (the sample site: ~40 k)


@dataclass(frozen=True)
class Ground:
    """Heights at grid nodes: node (i, j) at local (x0 + j·cell, y0 + i·cell); no NaN."""

    z: F32
    x0: float
    y0: float
    cell: float

    def height(self, x: npt.ArrayLike, y: npt.ArrayLike) -> F64:
        """Bilinear ground height under each point (the edge's height beyond the grid)."""
        ny, nx = self.z.shape
        fx = np.clip((np.asarray(x, np.float64) - self.x0) / self.cell, 0.0, nx - 1.0)
        fy = np.clip((np.asarray(y, np.float64) - self.y0) / self.cell, 0.0, ny - 1.0)
        j = np.minimum(fx.astype(np.int64), max(nx - 2, 0))
        i = np.minimum(fy.astype(np.int64), max(ny - 2, 0))
        tx, ty = fx - j, fy - i
        j1, i1 = np.minimum(j + 1, nx - 1), np.minimum(i + 1, ny - 1)
        z = self.z
        bottom = z[i, j] * (1 - tx) + z[i, j1] * tx
        top = z[i1, j] * (1 - tx) + z[i1, j1] * tx
        return np.asarray(bottom * (1 - ty) + top * ty, np.float64)


def display_ground(terrain: Terrain, max_triangles: int = DISPLAY_TRIANGLES) -> Ground:
    """The terrain's nodes every ``step`` cells (two triangles a cell ≤ ``max_triangles``); holes
    without data take the nearest known height, so the drawn ground has no gaps."""
    from scipy import ndimage

    ny, nx = terrain.shape
    step = max(1, math.ceil(math.sqrt(2 * ny * nx / max_triangles)))
    z = terrain.z[::step, ::step]
    hole = np.isnan(z)
    if hole.all():
        z = np.zeros_like(z)
    elif hole.any():
        idx = ndimage.distance_transform_edt(hole, return_distances=False, return_indices=True)
        z = z[tuple(idx)]
    return Ground(np.ascontiguousarray(z, np.float32), terrain.x0, terrain.y0, terrain.cell * step)


def terrain_layer(ground: Ground, name: str = "terrain") -> CityLayer:
    """The drawn ground as one ``terrain`` layer (one object, two triangles a grid cell)."""
    ny, nx = ground.z.shape
    xs = ground.x0 + ground.cell * np.arange(nx)
    ys = ground.y0 + ground.cell * np.arange(ny)
    gx, gy = np.meshgrid(xs, ys)
    points = np.column_stack([gx.ravel(), gy.ravel(), ground.z.ravel().astype(np.float64)])
    node = np.arange(ny * nx).reshape(ny, nx)[:-1, :-1].ravel()
    a, b, c, d = node, node + 1, node + nx + 1, node + nx
    triangles = np.concatenate([np.column_stack([a, b, c]), np.column_stack([a, c, d])]).astype(np.int64)
    objects = CityObjects()
    objects.append(name, "TINRelief", name=name)
    m = len(triangles)
    return CityLayer(
        "terrain", points, triangles, np.zeros(m, np.int32), np.full(m, Surface.TERRAIN, np.uint8), objects
    )


def lift_objects(layer: CityLayer, ground: Ground) -> CityLayer:
    """Each object of a layer built on z = 0 raised by the lowest ground under its corners."""
    if not layer.n_triangles:
        return layer
    h = ground.height(layer.points[:, 0], layer.points[:, 1])
    n = max(len(layer.objects), int(layer.cell_object.max()) + 1)
    low = np.full(n, np.inf)
    tri_low = h[layer.triangles].min(axis=1)
    np.minimum.at(low, layer.cell_object, tri_low)
    owner = np.full(len(layer.points), -1, np.int64)
    owner[layer.triangles.ravel()] = np.repeat(layer.cell_object, 3)
    lift = np.where(owner >= 0, low[np.maximum(owner, 0)], 0.0)
    points = layer.points.copy()
    points[:, 2] += np.where(np.isfinite(lift), lift, 0.0)
    return replace(layer, points=points)


def flatten_objects(layer: CityLayer, ground: Ground) -> CityLayer:
    """Each object (a river, a canal) made one flat surface at the mean ground along its edge,
    kept ``z`` above it (the layer's own small draping offset)."""
    if not layer.n_triangles:
        return layer
    h = ground.height(layer.points[:, 0], layer.points[:, 1])
    owner = np.full(len(layer.points), -1, np.int64)
    owner[layer.triangles.ravel()] = np.repeat(layer.cell_object, 3)
    used = owner >= 0
    n = int(owner.max()) + 1
    mean = np.bincount(owner[used], weights=h[used], minlength=n) / np.maximum(
        np.bincount(owner[used], minlength=n), 1
    )
    points = layer.points.copy()
    points[used, 2] += mean[owner[used]]
    return replace(layer, points=points)


def lift_lines(layer: LineLayer, ground: Ground) -> LineLayer:
    if not len(layer.points):
        return layer
    points = layer.points.copy()
    points[:, 2] += ground.height(points[:, 0], points[:, 1])
    return replace(layer, points=points)


def lift_points(layer: PointLayer, ground: Ground) -> PointLayer:
    if not len(layer.points):
        return layer
    points = np.asarray(layer.points, np.float64).copy()
    points[:, 2] += ground.height(points[:, 0], points[:, 1])
    return replace(layer, points=points)
