"""Where the fleet is dense: a smoothed count of entities per grid cell as a translucent sheet.

One textured quad over the city's extent: the texture is a coarse grid (129 × 129 texels), each
an RGBA colour from a small heat ramp, and the GPU's bilinear filter smooths it. Two triangles
instead of a vertex grid: on software GL a 33,000-triangle sheet cost three times as much to
draw, and a refresh only rewrites the texels in place. The
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
        import pyvista as pv
        from vtkmodules.util.numpy_support import numpy_to_vtk
        from vtkmodules.vtkCommonDataModel import vtkImageData
        from vtkmodules.vtkRenderingCore import vtkTexture

        self.source = source
        x0, x1, y0, y1 = bounds
        self.bounds = (x0, x1, y0, y1)
        self.cells = cells
        self.blur_cells = blur_cells
        self._last = -np.inf
        self._version = -1
        c = cells + 1
        self.density = np.zeros((c, c))
        #: Texels, row-major from the south-west corner (x fastest), written in place on refresh.
        self.texels = np.zeros((c * c, 4), np.uint8)
        self._image = vtkImageData()
        self._image.SetDimensions(c, c, 1)
        self._image.GetPointData().SetScalars(numpy_to_vtk(self.texels, deep=False))
        self.texture = vtkTexture()
        self.texture.SetInputData(self._image)
        self.texture.InterpolateOn()
        self.texture.EdgeClampOn()
        quad = np.array([[x0, y0, SHEET_Z_M], [x1, y0, SHEET_Z_M], [x1, y1, SHEET_Z_M], [x0, y1, SHEET_Z_M]])
        self.mesh.points = quad
        self.mesh.faces = np.array([4, 0, 1, 2, 3])
        self.mesh.active_texture_coordinates = pv.pyvista_ndarray(
            np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
        )
        self.actor.GetMapper().ScalarVisibilityOff()
        self.actor.SetTexture(self.texture)

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
        self.texels[:] = heat_colours(self.density)
        self._image.GetPointData().GetScalars().Modified()
        self._image.Modified()
        return True

    def colour_at(self, x: float, y: float) -> U8:
        """The texel drawn over a site point (what a test or a tooltip reads)."""
        x0, x1, y0, y1 = self.bounds
        c = self.cells + 1
        i = int(np.clip(round((x - x0) / (x1 - x0) * (c - 1)), 0, c - 1))
        j = int(np.clip(round((y - y0) / (y1 - y0) * (c - 1)), 0, c - 1))
        return self.texels[j * c + i].copy()
