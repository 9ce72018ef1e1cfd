"""Where the fleet is dense: a smoothed count of entities per grid cell as a translucent sheet.

A regular grid of vertices over the city's extent, each carrying an RGBA colour from a small
heat ramp, so the GPU interpolates a smooth picture from a coarse grid (128 × 128 cells). The
counts are a 2D histogram blurred by a separable box filter (numpy, a millisecond at 50k
entities); it is recomputed at most once a second, which is as fast as density really changes.
It is a soft wash, never a lid: the ramp tops out at ``MAX_ALPHA`` so streets and blocks show
through the hottest spot, and the scale is set by a high percentile of the occupied cells (not
the single busiest one), so one crowded depot does not leave the rest of the city blank.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from controlroom.render.overlays.base import F64, U8, MeshOverlay
from controlroom.render.overlays.entities import StoreSource

MAX_ALPHA = 125  # ~50 % at the hottest: a wash over the city, not a sheet on it
HEAT_RAMP = np.array(  # count fraction → colour: transparent blue → cyan → yellow → red
    [[0, 40, 120, 0], [0, 170, 255, 55], [255, 230, 0, 95], [255, 60, 30, MAX_ALPHA]], np.float32
)
SCALE_PERCENTILE = 98.0
UPDATE_PERIOD_S = 1.0
SHEET_Z_M = 1.0


def _box_blur(grid: F64, radius: int) -> F64:
    if radius <= 0:
        return grid
    k = np.ones(2 * radius + 1) / (2 * radius + 1)
    out = np.apply_along_axis(lambda r: np.convolve(r, k, mode="same"), 0, grid)
    return np.apply_along_axis(lambda r: np.convolve(r, k, mode="same"), 1, out)


def heat_colours(density: F64) -> U8:
    """Density scaled to 0..1 → RGBA through the ramp (linear between its stops)."""
    stops = np.linspace(0.0, 1.0, len(HEAT_RAMP))
    d = np.clip(density.ravel(), 0.0, 1.0)
    rgba = np.column_stack([np.interp(d, stops, HEAT_RAMP[:, c]) for c in range(4)])
    return rgba.astype(np.uint8)


class HeatmapOverlay(MeshOverlay):
    key: str = "heatmap"
    default_visible: ClassVar[bool] = False

    def __init__(
        self,
        source: StoreSource,
        bounds: tuple[float, float, float, float],
        title: str = "Density heatmap",
        cells: int = 128,
        blur_cells: int = 3,
    ) -> None:
        super().__init__(title)
        self.source = source
        x0, x1, y0, y1 = bounds
        self.bounds = (x0, x1, y0, y1)
        self.cells = cells
        self.blur_cells = blur_cells
        self._last = -np.inf
        self._version = -1
        self.density = np.zeros((cells + 1, cells + 1))
        gx, gy = np.meshgrid(np.linspace(x0, x1, cells + 1), np.linspace(y0, y1, cells + 1))
        self._points = np.column_stack([gx.ravel(), gy.ravel(), np.full(gx.size, SHEET_Z_M)])
        v = np.arange((cells + 1) ** 2, dtype=np.int64).reshape(cells + 1, cells + 1)
        quads = np.stack([v[:-1, :-1], v[:-1, 1:], v[1:, 1:], v[1:, :-1]], axis=-1).reshape(-1, 4)
        self._faces = np.column_stack([np.full(len(quads), 4, np.int64), quads]).ravel()
        self._built = False

    def refresh(self, now: float) -> bool:
        store = self.source()
        if store is None or not self.is_visible():
            return False
        if now - self._last < UPDATE_PERIOD_S or store.version == self._version:
            return False
        self._last, self._version = now, store.version
        x0, x1, y0, y1 = self.bounds
        c = self.cells + 1
        counts, _, _ = np.histogram2d(store.y, store.x, bins=c, range=[[y0, y1], [x0, x1]])
        density = _box_blur(counts, self.blur_cells)
        occupied = density[density > 0]
        peak = float(np.percentile(occupied, SCALE_PERCENTILE)) if len(occupied) else 0.0
        self.density = np.clip(density / peak, 0.0, 1.0) if peak > 0 else density
        rgba = heat_colours(self.density)
        self._set_geometry(self._points, rgba, faces=None if self._built else self._faces)
        self._built = True
        return True
