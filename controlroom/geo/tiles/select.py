"""Which tiles to draw for a camera, and a tile cache that never holds more than its byte budget.

Selection is the 3D Tiles rule: walk down from the root, skip tiles outside the view frustum, and
refine a tile while its screen-space error (geometric error in pixels at its distance) is above
the threshold. What is drawn is then made hole-free: a wanted tile that is not loaded yet is
stood in for by its nearest loaded ancestor (its descendants are hidden meanwhile, so nothing is
drawn twice), so coarse parents stay until their children are ready.

The budget is a hard cap (CesiumJS #6226: its cache overflows). A tile is admitted only when its
exact size fits after evicting least-recently-used tiles that are not drawn; when the wanted set
cannot fit, the selection threshold is raised until it does (coarser tiles), and
``budget_bound`` says so for the status strip.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from controlroom.geo.tiles.tileset import Tileset

FloatArray = npt.NDArray[np.float64]


@dataclass
class TileIndex:
    """A tileset's tiles as arrays in the view's local frame (z-up metres around the site origin)."""

    lo: FloatArray  # (N, 3) axis-aligned bounds in the local frame
    hi: FloatArray
    error: FloatArray  # (N,) geometric error (m)
    children: list[list[int]]
    parent: list[int | None]
    refine_add: list[bool]
    has_content: list[bool]
    level: list[int]

    @classmethod
    def of(cls, ts: Tileset, to_local: FloatArray) -> TileIndex:
        """``to_local``: 4×4 from the tileset frame (ECEF for field data) to the local frame."""
        n = len(ts.tiles)
        lo, hi = np.zeros((n, 3)), np.zeros((n, 3))
        for t in ts.tiles:
            c = np.array(
                [
                    [x, y, z, 1.0]
                    for x in (t.box_min[0], t.box_max[0])
                    for y in (t.box_min[1], t.box_max[1])
                    for z in (t.box_min[2], t.box_max[2])
                ]
            )
            local = (c @ to_local.T)[:, :3]
            lo[t.index], hi[t.index] = local.min(0), local.max(0)
        return cls(
            lo,
            hi,
            np.array([t.geometric_error for t in ts.tiles]),
            [list(t.children) for t in ts.tiles],
            [t.parent for t in ts.tiles],
            [t.refine == "ADD" for t in ts.tiles],
            [bool(t.contents) for t in ts.tiles],
            [t.level for t in ts.tiles],
        )


@dataclass(frozen=True)
class Camera:
    position: tuple[float, float, float]
    focal_point: tuple[float, float, float]
    view_up: tuple[float, float, float]
    view_angle_deg: float  # vertical field of view
    size: tuple[int, int]  # viewport pixels (width, height)

    def planes(self) -> FloatArray:
        """Four side planes (n·x + d ≥ 0 inside) of the view frustum; near/far are left open."""
        p = np.asarray(self.position, np.float64)
        f = np.asarray(self.focal_point, np.float64) - p
        f /= np.linalg.norm(f) or 1.0
        up = np.asarray(self.view_up, np.float64)
        right = np.cross(f, up)
        right /= np.linalg.norm(right) or 1.0
        up = np.cross(right, f)
        ty = math.tan(math.radians(self.view_angle_deg) / 2)
        tx = ty * self.size[0] / max(self.size[1], 1)
        normals = [f * tx + right, f * tx - right, f * ty + up, f * ty - up]
        out = np.zeros((4, 4))
        for i, n in enumerate(normals):
            n = n / np.linalg.norm(n)
            out[i, :3], out[i, 3] = n, -n @ p
        return out


def select(index: TileIndex, camera: Camera, max_sse: float) -> list[int]:
    """Tiles to draw at full readiness: visible, and refined until their error is ≤ ``max_sse`` pixels."""
    planes = camera.planes()
    pos = np.asarray(camera.position)
    # Visibility and distance for every tile at once (a tile box is tested by its positive corner).
    pcorner = np.where(planes[None, :, :3] >= 0, index.hi[:, None, :], index.lo[:, None, :])
    visible = ((pcorner * planes[None, :, :3]).sum(2) + planes[None, :, 3] >= 0).all(1)
    nearest = np.clip(pos, index.lo, index.hi)
    dist = np.maximum(np.linalg.norm(nearest - pos, axis=1), 1e-3)
    k = camera.size[1] / (2 * math.tan(math.radians(camera.view_angle_deg) / 2))
    sse = index.error * k / dist
    out: list[int] = []
    stack = [0]
    while stack:
        t = stack.pop()
        if not visible[t]:
            continue
        kids = index.children[t]
        refine = bool(kids) and sse[t] > max_sse
        if (not refine or index.refine_add[t]) and index.has_content[t]:
            out.append(t)
        if refine:
            stack.extend(kids)
    return out


def covering(index: TileIndex, wanted: Sequence[int], loaded: set[int]) -> list[int]:
    """What to draw now: each wanted tile, or its nearest loaded ancestor until it is loaded."""
    show: set[int] = set()
    for t in wanted:
        a: int | None = t
        while a is not None and a not in loaded:
            a = index.parent[a]
        if a is not None:
            show.add(a)
    # A drawn REPLACE ancestor hides its drawn descendants (never the stand-in and the detail at once).
    drawn = set(show)
    for t in list(show):
        a = index.parent[t]
        while a is not None:
            if a in drawn and not index.refine_add[a]:
                show.discard(t)
                break
            a = index.parent[a]
    return sorted(show)


@dataclass
class TileCache:
    """LRU of decoded tiles under a hard byte budget."""

    budget: int
    items: OrderedDict[int, tuple[Any, int]] = field(default_factory=OrderedDict)
    bytes: int = 0
    peak: int = 0
    refused: int = 0

    def __contains__(self, tile: int) -> bool:
        return tile in self.items

    def get(self, tile: int) -> Any:
        value, _ = self.items[tile]
        self.items.move_to_end(tile)
        return value

    def touch(self, tiles: Sequence[int]) -> None:
        for t in tiles:
            if t in self.items:
                self.items.move_to_end(t)

    def admit(self, tile: int, value: Any, size: int, pinned: set[int]) -> list[int]:
        """Add a tile, evicting LRU tiles outside ``pinned``; returns the evicted tiles.

        Raises ``MemoryError`` (and changes nothing) when it would not fit even after evicting
        every unpinned tile.
        """
        if tile in self.items:
            return []
        free_able = sum(s for t, (_, s) in self.items.items() if t not in pinned)
        if self.bytes - free_able + size > self.budget:
            self.refused += 1
            raise MemoryError(f"tile {tile}: {size:,} bytes do not fit the {self.budget:,}-byte budget")
        evicted: list[int] = []
        for t in list(self.items):
            if self.bytes + size <= self.budget:
                break
            if t not in pinned:
                _, s = self.items.pop(t)
                self.bytes -= s
                evicted.append(t)
        self.items[tile] = (value, size)
        self.bytes += size
        self.peak = max(self.peak, self.bytes)
        assert self.bytes <= self.budget
        return evicted


def fit_threshold(
    index: TileIndex, camera: Camera, max_sse: float, sizes: Sequence[int], budget: int, limit: float = 4096.0
) -> tuple[list[int], float]:
    """The selection at the lowest threshold ≥ ``max_sse`` whose (estimated) size fits the budget."""
    sse = max_sse
    while True:
        wanted = select(index, camera, sse)
        if sum(sizes[t] for t in wanted) <= budget or sse >= limit:
            return wanted, sse
        sse *= 1.5
