"""The sample site's ground: a river valley that slopes down to the Pearl River and its canals.

The flood what-if needs heights in the gauges' datum. The demo's river gauges read about 2.6 m
on a normal day (``feed.simulator``: alarm at 4.0 m), so the banks stand just above that, at about
3.1 m, and the ground rises away from the water towards ~7.5 m at the district's edge, with gentle
undulation that leaves a few low pockets inland (dry unless water can reach them). Beds of the
river and canals lie at −1.9 m. Deterministic: no random numbers, the same plan gives the same grid.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from controlroom.geo.terrain import Terrain

CELL_M = 10.0
BANK_M = 3.1  # ground at the water's edge: 0.5 m above the gauges' normal 2.6 m
RISE_M = 4.4  # how much higher the ground gets far from the water
RISE_SCALE_M = 700.0
BED_M = -1.9
MARGIN_M = 100.0


def valley(water: Any, half_w: float, half_h: float) -> Terrain:
    """Heights over the district (plus a margin), local metres; ``water`` is the union of the
    river, canal and (buffered) creek polygons."""
    import shapely
    from scipy import ndimage

    xs = np.arange(-half_w - MARGIN_M, half_w + MARGIN_M + CELL_M / 2, CELL_M)
    ys = np.arange(-half_h - MARGIN_M, half_h + MARGIN_M + CELL_M / 2, CELL_M)
    gx, gy = np.meshgrid(xs, ys)
    shapely.prepare(water)
    wet: npt.NDArray[np.bool_] = shapely.contains_xy(water, gx, gy)
    d = ndimage.distance_transform_edt(~wet) * CELL_M
    ripple = 0.7 * np.sin(gx / 430.0 + 0.6) * np.cos(gy / 510.0 - 0.3) + 0.3 * np.sin((gx + gy) / 260.0)
    ground = BANK_M + RISE_M * (1.0 - np.exp(-d / RISE_SCALE_M)) + ripple * (1.0 - np.exp(-d / 250.0))
    z = np.where(wet, BED_M, ground).astype(np.float32)
    return Terrain(np.round(z, 2).astype(np.float32), float(xs[0]), float(ys[0]), CELL_M, "sample valley")
