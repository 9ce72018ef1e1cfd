"""Which district a point lies in, from the site's district boundary rings (local frame).

The briefing counts incidents by district; the boundaries are already loaded as closed polylines
(``LineLayer`` "boundary:district" with each feature's name), so an even-odd test over those
rings answers without GIS libraries. Qt-free.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from controlroom.core.vector import LineLayer

_NAME_KEYS = ("name", "NAME", "name_zh", "code")


def _feature_name(feature: dict[str, Any], index: int) -> str:
    for key in _NAME_KEYS:
        value = feature.get(key)
        if value not in (None, ""):
            return str(value)
    return f"#{index}"


class DistrictLocator:
    """``locate(x, y)`` → the district's name, or "" outside every district."""

    def __init__(self, layer: LineLayer | None) -> None:
        self._rings: list[tuple[str, npt.NDArray[np.float64]]] = []
        if layer is None:
            return
        for i in range(layer.n_lines):
            pts = layer.points[layer.offsets[i] : layer.offsets[i + 1], :2]
            if len(pts) < 3:
                continue
            f = int(layer.cell_feature[i])
            name = _feature_name(layer.features[f] if f < len(layer.features) else {}, f)
            self._rings.append((name, np.asarray(pts, np.float64)))

    def __len__(self) -> int:
        return len(self._rings)

    def names(self) -> list[str]:
        return sorted({name for name, _ in self._rings})

    def locate(self, x: float, y: float) -> str:
        hits: dict[str, int] = {}
        for name, ring in self._rings:
            if _inside(ring, x, y):
                hits[name] = hits.get(name, 0) + 1
        # a feature with holes is several rings: odd count = inside
        for name, n in hits.items():
            if n % 2 == 1:
                return name
        return ""


def _inside(ring: npt.NDArray[np.float64], x: float, y: float) -> bool:
    xs, ys = ring[:, 0], ring[:, 1]
    xj, yj = np.roll(xs, 1), np.roll(ys, 1)
    crosses = (ys > y) != (yj > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        xint = (xj - xs) * (y - ys) / (yj - ys) + xs
    return bool(np.count_nonzero(crosses & (x < xint)) % 2)
