"""The last few positions of every entity as one set of line segments, older parts fainter.

Off by default: at tens of thousands of vehicles trails turn the map into noise, but zoomed
in on a district they show where each unit came from. Segments (not one polyline per entity)
keep the cell array a fixed-width numpy block, built in one vectorised step per tick.
In a big fleet only the entities nearest the camera's focal point get a trail (``MAX_TRAILS``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import numpy.typing as npt

from controlroom.render.overlays.base import MeshOverlay, main_renderer
from controlroom.render.overlays.entities import GLYPH_Z_M, StoreSource, entity_colours

if TYPE_CHECKING:
    from controlroom.core.entities import EntityStore

#: Trails are drawn for at most this many entities, those nearest where the camera looks: a
#: district's worth; all 50,000 would be a million segments of noise.
MAX_TRAILS = 3000


class TrailOverlay(MeshOverlay):
    key: str = "trails"
    on_top: ClassVar[bool] = True
    default_visible: ClassVar[bool] = False

    def __init__(self, source: StoreSource, clock: Callable[[], float], title: str = "Trails") -> None:
        super().__init__(title)
        self.source = source
        self.clock = clock
        self._version = -1
        self.actor.GetProperty().SetLineWidth(1.0)  # wide lines cost a geometry shader pass

    def _nearest_rows(self, store: EntityStore) -> npt.NDArray[np.int64]:
        """Rows of the MAX_TRAILS entities nearest the camera's focal point (all when fewer)."""
        n = len(store)
        if n <= MAX_TRAILS or self.plotter is None:
            return np.arange(n, dtype=np.int64)
        fx, fy, _ = main_renderer(self.plotter).GetActiveCamera().GetFocalPoint()
        d2 = (store.x - fx) ** 2 + (store.y - fy) ** 2
        return np.argpartition(d2, MAX_TRAILS)[:MAX_TRAILS].astype(np.int64)

    def refresh(self, now: float) -> bool:
        store = self.source()
        if store is None or not self.is_visible() or store.version == self._version:
            return False
        self._version = store.version
        trails, counts = store.trails()  # (n, P, 2) oldest first; the last `count` are valid
        rows_shown = self._nearest_rows(store)
        trails, counts = trails[rows_shown], counts[rows_shown]
        n, p = trails.shape[:2]
        if n == 0 or p < 2:
            self._set_geometry(np.zeros((0, 3)), np.zeros((0, 4), np.uint8))
            return True
        j = np.arange(p - 1)
        valid = j[None, :] >= (p - counts)[:, None]  # segment j→j+1 has both ends valid
        rows, cols = np.nonzero(valid)
        if not len(rows):
            self._set_geometry(np.zeros((0, 3)), np.zeros((0, 4), np.uint8))
            return True
        start = trails[rows, cols]
        end = trails[rows, cols + 1]
        m = len(rows)
        points = np.empty((2 * m, 3))
        points[0::2, :2], points[1::2, :2] = start, end
        points[:, 2] = GLYPH_Z_M - 0.5
        age_fade = (cols + 1) / (p - 1)  # newest segment 1.0
        src = rows_shown[rows]
        alpha = np.clip(store.opacity(now)[src] * (0.15 + 0.7 * age_fade), 0, 1)
        rgba = entity_colours(store.kind[src], store.status[src], alpha)
        idx = np.arange(2 * m, dtype=np.int64).reshape(m, 2)
        lines = np.column_stack([np.full(m, 2, np.int64), idx]).ravel()
        self._set_geometry(points, np.repeat(rgba, 2, axis=0), lines=lines)
        return True
