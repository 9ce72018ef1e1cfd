"""Open alarms as flashing rings and beacons at their place on the map.

Each alarm with a place is a flat ring on the ground and a thin beacon standing in its middle,
drawn above the city (own depth buffer) so a street canyon never hides it. Until someone
acknowledges the alarm, its ring flashes: bright and wide, then dark and narrow, twice a second
for critical alarms and once a second otherwise; acknowledged alarms glow steadily; predicted
alarms breathe slowly in cyan. All alarms share one mesh and one actor; a refresh rewrites the
points and colours in place and rebuilds the cell array only when the number of alarms changes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from controlroom.render import hover_words as hover
from controlroom.render.hover_words import PLAIN, HoverWords
from controlroom.render.overlays.base import MeshOverlay, camera_distance, palette
from controlroom.render.overlays.solids import COLUMN_TRIS, COLUMN_VERTS, columns, faces_for

if TYPE_CHECKING:
    from controlroom.core.alarms.lifecycle import Alarm

PRIORITIES = ("critical", "high", "medium", "low")
_PRIORITY_RGB = palette(["#ff2d55", "#ff8a1f", "#facc15", "#60a5fa"]).astype(np.float64)
_PREDICTED_RGB = np.array([34.0, 211.0, 238.0])
SEGMENTS = 32
RING_VERTS = 2 * SEGMENTS
VERTS = RING_VERTS + COLUMN_VERTS
FLASH_HZ = {"critical": 2.0, "high": 1.0, "medium": 1.0, "low": 1.0}
_ANGLES = np.linspace(0.0, 2.0 * math.pi, SEGMENTS, endpoint=False)


def _template_tris() -> np.ndarray:
    """Ring quads (inner i, outer i, outer i+1, inner i+1) as triangles, then the beacon's."""
    i = np.arange(SEGMENTS)
    j = (i + 1) % SEGMENTS
    inner, outer = 2 * i, 2 * i + 1
    inner_n, outer_n = 2 * j, 2 * j + 1
    ring = np.concatenate([np.stack([inner, outer, outer_n], 1), np.stack([inner, outer_n, inner_n], 1)])
    return np.concatenate([ring, COLUMN_TRIS + RING_VERTS]).astype(np.int64)


TRIS = _template_tris()


class AlarmOverlay(MeshOverlay):
    """``source`` returns the open alarms (``AlarmBook.open``); ``clock`` drives the flashing."""

    key: str = "alarms"
    on_top: ClassVar[bool] = True
    pick_radius_px: ClassVar[float] = 24.0

    def __init__(
        self,
        source: Callable[[], Sequence[Alarm]],
        clock: Callable[[], float],
        title: str = "Alarms",
    ) -> None:
        super().__init__(title)
        self.source = source
        self.clock = clock
        self._alarms: dict[str, Alarm] = {}
        self._faces_n = -1
        self.flash: np.ndarray = np.zeros(0)  # 0..1 per alarm drawn (tests read it)
        self.radius: np.ndarray = np.zeros(0)

    def refresh(self, now: float) -> bool:
        if not self.is_visible():
            return False
        alarms = [a for a in self.source() if a.has_place and a.active and a.is_open]
        if not alarms and not self.item_ids:
            return False
        self._alarms = {a.id: a for a in alarms}
        self.item_ids = [a.id for a in alarms]
        n = len(alarms)
        if n == 0:
            self.anchors = np.zeros((0, 3))
            self.flash = self.radius = np.zeros(0)
            self._set_geometry(np.zeros((0, 3)), np.zeros((0, 4), np.uint8))
            self._faces_n = -1
            return True
        scale = camera_distance(self.plotter) if self.plotter is not None else 3000.0
        x = np.array([a.x for a in alarms])
        y = np.array([a.y for a in alarms])
        rank = np.array([PRIORITIES.index(a.priority) for a in alarms])
        predicted = np.array([a.predicted for a in alarms])
        waiting = np.array([a.state == "new" and not a.snoozed(now) for a in alarms]) & ~predicted
        hz = np.array([FLASH_HZ.get(a.priority, 1.0) for a in alarms])
        square = (np.floor(2.0 * hz * now) % 2 == 0).astype(np.float64)  # on/off flashing
        breathe = 0.75 + 0.25 * np.sin(2.0 * math.pi * 0.4 * now)  # never fades out
        flash = np.where(waiting, square, np.where(predicted, breathe, 0.6))
        self.flash = flash
        base = scale * (0.028 - 0.003 * rank)
        outer = base * (1.0 + 0.45 * flash)
        inner = outer * np.where(predicted, 0.88, 0.72)
        self.radius = outer
        height = scale * 0.05 * np.where(predicted, 0.6, 1.0)
        points = self._points(x, y, inner, outer, height, scale * 0.0015)
        rgb = np.where(predicted[:, None], _PREDICTED_RGB[None], _PRIORITY_RGB[np.clip(rank, 0, 3)])
        rgb = rgb * (0.35 + 0.65 * flash[:, None])
        alpha = np.where(predicted, 170.0, 255.0)
        rgba = np.column_stack([np.clip(rgb, 0, 255), alpha]).astype(np.uint8)
        self.anchors = np.column_stack([x, y, np.full(n, 2.0)])
        faces = None
        if n != self._faces_n:
            faces = faces_for(n, TRIS, VERTS)
            self._faces_n = n
        self._set_geometry(points, np.repeat(rgba, VERTS, axis=0), faces=faces)
        return True

    @staticmethod
    def _points(
        x: np.ndarray, y: np.ndarray, inner: np.ndarray, outer: np.ndarray, height: np.ndarray, stem: float
    ) -> np.ndarray:
        n = len(x)
        cos, sin = np.cos(_ANGLES), np.sin(_ANGLES)
        ring = np.empty((n, SEGMENTS, 2, 3))
        for k, r in ((0, inner), (1, outer)):
            ring[:, :, k, 0] = x[:, None] + r[:, None] * cos[None]
            ring[:, :, k, 1] = y[:, None] + r[:, None] * sin[None]
            ring[:, :, k, 2] = 2.0
        beacon = columns(x, y, np.full(n, stem), height).reshape(n, COLUMN_VERTS, 3)
        return np.concatenate([ring.reshape(n, RING_VERTS, 3), beacon], axis=1).reshape(-1, 3)

    def describe(self, item_id: str, words: HoverWords = PLAIN) -> str:
        a = self._alarms.get(item_id)
        if a is None:
            return item_id
        return words.say(
            hover.ALARM_FORECAST if a.predicted else hover.ALARM,
            priority=words.code("alarm_priority", a.priority).upper(),
            title=a.title,
            message=a.message,
            state=words.code("alarm_state", a.state),
            ago=words.ago(max(0.0, self.clock() - a.raised_at)),
        )
