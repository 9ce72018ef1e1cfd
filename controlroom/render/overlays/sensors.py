"""Fixed sensors as coloured columns: height is the reading within its kind's range, colour its status.

Ranges come from the kind (river level 0–5 m, AQI 0–300, noise 30–100 dB(A)); an unknown kind
uses the span of its own readings. A sensor not heard from for its store's ``stale_after_s`` goes
grey and half transparent rather than showing an old value as if it were current. Drawn on the
top layer (own depth buffer, shared camera) so the columns stand out of the traffic and the
camera markers instead of drowning in them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from controlroom.core.protocol import SENSOR_STATUSES
from controlroom.render import hover_words as hover
from controlroom.render.hover_words import PLAIN, HoverWords
from controlroom.render.overlays.base import MeshOverlay, camera_distance, palette
from controlroom.render.overlays.solids import COLUMN_TRIS, COLUMN_VERTS, columns, faces_for

if TYPE_CHECKING:
    from controlroom.core.sensors import SensorStore

KIND_RANGES: dict[str, tuple[float, float]] = {
    "river_level": (0.0, 5.0),
    "aqi": (0.0, 300.0),
    "noise": (30.0, 100.0),
}
STATUS_COLOURS = {"ok": "#22c55e", "warning": "#f59e0b", "alarm": "#ef4444", "fault": "#6b7280"}
STALE_COLOUR = "#4b5563"
_STATUS_RGB = palette([STATUS_COLOURS[s] for s in SENSOR_STATUSES])


class SensorOverlay(MeshOverlay):
    key: str = "sensors"
    on_top: ClassVar[bool] = True

    def __init__(
        self,
        source: Callable[[], SensorStore | None],
        clock: Callable[[], float],
        title: str = "Sensors",
    ) -> None:
        super().__init__(title)
        self.source = source
        self.clock = clock
        self._key: tuple[int, float, int] = (-1, 0.0, -1)
        self._faces_n = -1
        self.fraction = np.zeros(0)

    def _style(self, prop: object) -> None:
        prop.SetAmbient(0.4)  # type: ignore[attr-defined]
        prop.SetDiffuse(0.75)  # type: ignore[attr-defined]

    def ranges(self, store: SensorStore) -> tuple[np.ndarray, np.ndarray]:
        lo = np.zeros(len(store))
        hi = np.ones(len(store))
        for code, kind in enumerate(store.kinds):
            sel = store.kind == code
            if kind in KIND_RANGES:
                lo[sel], hi[sel] = KIND_RANGES[kind]
            elif sel.any():
                values = store.value[sel]
                lo[sel], hi[sel] = float(values.min()), float(max(values.max(), values.min() + 1e-9))
        return lo, hi

    def refresh(self, now: float) -> bool:
        store = self.source()
        if store is None or not self.is_visible():
            return False
        scale = camera_distance(self.plotter) if self.plotter is not None else 3000.0
        stale = store.stale(now)
        key = (store.version, round(scale, -1), int(stale.sum()))
        if key == self._key:
            return False
        self._key = key
        n = len(store)
        self.item_ids = list(store.ids)
        if n == 0:
            self._set_geometry(np.zeros((0, 3)), np.zeros((0, 4), np.uint8))
            return True
        lo, hi = self.ranges(store)
        self.fraction = np.clip((store.value - lo) / np.where(hi > lo, hi - lo, 1.0), 0.0, 1.0)
        height = scale * (0.006 + 0.05 * self.fraction)
        self.anchors = np.column_stack([store.x, store.y, height])
        rgb = _STATUS_RGB[store.status].copy()
        rgb[stale] = palette([STALE_COLOUR])[0]
        alpha = np.where(stale, 130, 255)
        rgba = np.column_stack([rgb, alpha]).astype(np.uint8)
        points = columns(store.x, store.y, scale * 0.003, height)
        faces = None
        if n != self._faces_n:
            faces = faces_for(n, COLUMN_TRIS, COLUMN_VERTS)
            self._faces_n = n
        self._set_geometry(points, np.repeat(rgba, COLUMN_VERTS, axis=0), faces=faces)
        return True

    def describe(self, item_id: str, words: HoverWords = PLAIN) -> str:
        store = self.source()
        if store is None or item_id not in store.ids:
            return item_id
        kind, value, status = store.reading(item_id)
        r = store.ids.index(item_id)
        return words.say(
            hover.SENSOR,
            id=item_id,
            kind=kind.replace("_", " "),
            value=f"{value:g}",
            unit=store.units.get(kind, ""),
            status=words.code("sensor_status", status),
            ago=words.ago(max(0.0, self.clock() - float(store.last_seen[r]))),
        )
