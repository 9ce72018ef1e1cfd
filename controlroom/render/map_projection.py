"""Where a picture's camera put the world: for painting names over an off-screen render later.

An off-screen picture (``snapshot``, the brief's map) is a PNG; the names, legend, north arrow
and scale bar are painted over it afterwards by the Qt side (``qt.map_image``, the live map's own
``MapDecor``), once the plotter is gone. This keeps the camera's projection as numbers, so that
painter can place each name exactly where the live map would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from controlroom.render.overlays.base import main_renderer

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class MapProjection:
    """World (local frame, metres) → image pixels (top-left origin) of one rendered picture."""

    matrix: tuple[tuple[float, ...], ...]  # the camera's composite projection (world → clip), 4×4
    size: tuple[int, int]  # the picture's width and height in pixels
    focal: tuple[float, float, float]  # what the camera looks at (for the scale bar and north)
    right: tuple[float, float]  # the camera's right vector on the ground

    @classmethod
    def of(cls, plotter: Any) -> MapProjection:
        """The projection of ``plotter``'s camera now (call before closing the plotter)."""
        renderer = main_renderer(plotter)
        camera = renderer.GetActiveCamera()
        width, height = renderer.GetRenderWindow().GetActualSize()
        m = camera.GetCompositeProjectionTransformMatrix(width / max(height, 1), -1.0, 1.0)
        fx, fy, fz = camera.GetFocalPoint()
        px, py, _pz = camera.GetPosition()
        dx, dy = fx - px, fy - py
        norm = float(np.hypot(dx, dy))
        right = (dy / norm, -dx / norm) if norm > 1e-6 else (1.0, 0.0)
        return cls(
            tuple(tuple(float(m.GetElement(i, j)) for j in range(4)) for i in range(4)),
            (int(width), int(height)),
            (float(fx), float(fy), float(fz)),
            (float(right[0]), float(right[1])),
        )

    def project(self, world: F64) -> F64:
        """World points (n, 3) → image pixels (n, 2), top-left origin; NaN behind the camera."""
        pts = np.asarray(world, np.float64).reshape(-1, 3)
        clip = np.c_[pts, np.ones(len(pts))] @ np.asarray(self.matrix).T
        w = clip[:, 3]
        with np.errstate(divide="ignore", invalid="ignore"):
            inv_w = np.where(w > 0, 1.0 / w, np.nan)
        width, height = self.size
        out = np.empty((len(pts), 2))
        out[:, 0] = (clip[:, 0] * inv_w + 1.0) * 0.5 * width
        out[:, 1] = height - (clip[:, 1] * inv_w + 1.0) * 0.5 * height
        return out
