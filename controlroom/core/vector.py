"""Flat GIS layers in the local frame: polylines (roads, boundaries) and points (POIs).

Areas (water, land use) are triangulated into a ``CityLayer`` instead, so they render as one
mesh like everything else. Polylines are stored CSR-style (points + offsets), which is what VTK
wants and keeps 100k road segments in a handful of arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt


@dataclass
class LineLayer:
    """Polylines: line i runs over points[offsets[i]:offsets[i+1]]; line i is feature cell_feature[i]."""

    kind: str  # "roads", "boundary:district", ...
    points: npt.NDArray[np.float64]  # (N, 3) local metres
    offsets: npt.NDArray[np.int64]  # (K + 1,)
    cell_feature: npt.NDArray[np.int32]  # (K,)
    features: list[dict[str, Any]] = field(default_factory=list)

    @property
    def n_lines(self) -> int:
        return max(len(self.offsets) - 1, 0)

    @classmethod
    def empty(cls, kind: str) -> LineLayer:
        return cls(kind, np.empty((0, 3)), np.zeros(1, np.int64), np.empty(0, np.int32))

    def vtk_lines(self) -> npt.NDArray[np.int64]:
        """VTK's flat cell array: [n0, i0, i1, ..., n1, j0, ...]."""
        counts = np.diff(self.offsets)
        out = np.empty(len(counts) + len(self.points), np.int64)
        starts = self.offsets[:-1] + np.arange(len(counts))
        out[starts] = counts
        mask = np.ones(len(out), bool)
        mask[starts] = False
        out[mask] = np.arange(len(self.points))
        return out


@dataclass
class PointLayer:
    """Point features (POIs, cameras, units) in the local frame."""

    kind: str
    points: npt.NDArray[np.float64]  # (N, 3)
    features: list[dict[str, Any]] = field(default_factory=list)

    @property
    def n_points(self) -> int:
        return len(self.points)
