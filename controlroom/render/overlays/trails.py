"""The last few positions of each entity as one polyline, older parts fainter.

Off by default: at tens of thousands of vehicles trails turn the map into noise, but zoomed
in on a district they show where each unit came from. One polyline of ``trail_points``
vertices per entity (a short trail repeats its oldest point) keeps the cell array a
fixed-width numpy block, built once and reused while the count stays, at half the vertices of
separate segments. In a big fleet only the ``MAX_TRAILS`` entities nearest the camera's focal
point get one, and a trail shorter on screen than ``MIN_TRAIL_PX`` (hidden under its own glyph)
is not drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import numpy.typing as npt

from controlroom.render.overlays.base import MeshOverlay, main_renderer, project_xy
from controlroom.render.overlays.entities import GLYPH_Z_M, StoreSource, entity_colours

if TYPE_CHECKING:
    from controlroom.core.entities import EntityStore

#: Trails are drawn for at most this many entities, those nearest where the camera looks: a
#: district's worth; all 50,000 would be a million segments of noise.
MAX_TRAILS = 1000
MIN_TRAIL_PX = 3.0


class TrailOverlay(MeshOverlay):
    key: str = "trails"
    on_top: ClassVar[bool] = True
    default_visible: ClassVar[bool] = False

    def __init__(self, source: StoreSource, clock: Callable[[], float], title: str = "Trails") -> None:
        super().__init__(title)
        self.source = source
        self.clock = clock
        self._version = -1
        self._lines_n = (-1, -1)  # (trails, points each) the line cells were built for
        self.actor.GetProperty().SetLineWidth(1.0)  # wide lines cost a geometry shader pass

    def _nearest_rows(self, store: EntityStore) -> npt.NDArray[np.int64]:
        """Rows of the MAX_TRAILS entities nearest the camera's focal point (all when fewer)."""
        n = len(store)
        if n <= MAX_TRAILS or self.plotter is None:
            return np.arange(n, dtype=np.int64)
        fx, fy, _ = main_renderer(self.plotter).GetActiveCamera().GetFocalPoint()
        d2 = (store.x - fx) ** 2 + (store.y - fy) ** 2
        return np.sort(np.argpartition(d2, MAX_TRAILS)[:MAX_TRAILS]).astype(np.int64)

    def _long_enough(
        self, trails: npt.NDArray[np.float32], counts: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.bool_]:
        """Per trail: it reaches ``MIN_TRAIL_PX`` beyond its newest point on screen.

        A shorter one lies under its own glyph or dot (a parked car, or any car seen from far
        out): drawing it costs as much as a visible one and shows nothing.
        """
        if self.plotter is None or not len(trails):
            return np.ones(len(trails), bool)
        p = trails.shape[1]
        oldest = trails[np.arange(len(trails)), p - counts]
        ends = np.concatenate([oldest, trails[:, -1]]).astype(np.float64)
        display = project_xy(self.plotter, ends[:, 0], ends[:, 1], GLYPH_Z_M)
        k = len(trails)
        with np.errstate(invalid="ignore"):
            length = np.hypot(*(display[:k] - display[k:]).T)
        return length >= MIN_TRAIL_PX

    def refresh(self, now: float) -> bool:
        store = self.source()
        if store is None or not self.is_visible() or store.version == self._version:
            return False
        self._version = store.version
        rows = self._nearest_rows(store)
        trails, counts = store.trails(rows)  # (k, P, 2) oldest first; the last `count` are valid
        keep = counts >= 2
        rows, trails, counts = rows[keep], trails[keep], counts[keep]
        keep = self._long_enough(trails, counts)
        rows, trails, counts = rows[keep], trails[keep], counts[keep]
        k, p = trails.shape[:2]
        if k == 0:
            self._set_geometry(np.zeros((0, 3)), np.zeros((0, 4), np.uint8))
            self._lines_n = (-1, -1)
            return True
        # one polyline of P vertices per entity; the unfilled start repeats the oldest valid point
        j = np.arange(p)
        idx = np.maximum(j[None, :], (p - counts)[:, None])
        points = np.empty((k, p, 3), np.float32)
        points[..., :2] = trails[np.arange(k)[:, None], idx]
        points[..., 2] = GLYPH_Z_M - 0.5
        age_fade = 0.15 + 0.7 * (j / (p - 1))  # newest vertex 0.85, oldest 0.15
        alpha = store.opacity(now, rows)[:, None] * age_fade[None, :]
        kind = np.repeat(store.kind[rows], p)
        status = np.repeat(store.status[rows], p)
        rgba = entity_colours(kind, status, alpha.ravel())
        lines = None
        if (k, p) != self._lines_n:
            vertex = np.arange(k * p, dtype=np.int64).reshape(k, p)
            lines = np.column_stack([np.full(k, p, np.int64), vertex]).ravel()
            self._lines_n = (k, p)
        self._set_geometry(points.reshape(-1, 3), rgba, lines=lines)
        return True
