"""Vehicles and units as one merged set of flat glyphs: shape and colour by kind, tint by status.

Each entity is a four-vertex glyph (two triangles) on the ground: a chevron pointing along its
heading for moving fleets, a diamond for the dispatchable units (police, city management,
ambulance, fire) so an operator tells them apart at a glance. Glyph size follows the camera
distance (about 1.8 % of it), so they stay a readable size from the overview to a street. Alpha
is ``EntityStore.opacity(now)``: stale ones fade and vanish when the store expires them.
Drawn on the top layer: a bus behind a tower is still seen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from controlroom.core.protocol import ENTITY_KINDS, ENTITY_STATUSES
from controlroom.render.overlays.base import U8, MeshOverlay, camera_distance, palette

if TYPE_CHECKING:
    from controlroom.core.entities import EntityStore

KIND_COLOURS: dict[str, str] = {
    "bus": "#22d3ee",
    "muck_truck": "#f59e0b",
    "police": "#3b82f6",
    "city_management": "#22c55e",
    "taxi": "#facc15",
    "ambulance": "#f8fafc",
    "fire_engine": "#ef4444",
    "sanitation": "#a3e635",
    "other": "#c084fc",
}
ALARM_COLOUR = "#ff2d55"
OUT_OF_SERVICE_COLOUR = "#6b7280"
BUSY_STATUSES = ("dispatched", "en_route", "on_scene")
UNIT_KINDS = ("police", "city_management", "ambulance", "fire_engine")
GLYPH_FRACTION = 0.018  # glyph length as a fraction of the camera distance
MIN_GLYPH_M = 6.0
GLYPH_Z_M = 2.0

# unit-length templates (x = right, y = forward), 4 vertices each, triangles (0,1,2) and (0,2,3)
_CHEVRON = np.array([[0.0, 0.6], [0.45, -0.45], [0.0, -0.15], [-0.45, -0.45]])
_DIAMOND = np.array([[0.0, 0.6], [0.38, 0.0], [0.0, -0.5], [-0.38, 0.0]])

_KIND_RGB = palette([KIND_COLOURS.get(k, KIND_COLOURS["other"]) for k in ENTITY_KINDS])
_IS_UNIT = np.array([k in UNIT_KINDS for k in ENTITY_KINDS])
_ALARM = ENTITY_STATUSES.index("alarm")
_OUT = ENTITY_STATUSES.index("out_of_service")
_BUSY = np.array([s in BUSY_STATUSES for s in ENTITY_STATUSES])

StoreSource = Callable[[], "EntityStore | None"]


def entity_colours(kind: U8, status: U8, opacity: Any) -> U8:
    """(n, 4) RGBA: kind colour, lightened when busy, red in alarm, grey out of service."""
    rgb = _KIND_RGB[kind].astype(np.float32)
    busy = _BUSY[status]
    rgb[busy] = rgb[busy] * 0.55 + 255.0 * 0.45
    rgb[status == _ALARM] = palette([ALARM_COLOUR])[0]
    rgb[status == _OUT] = palette([OUT_OF_SERVICE_COLOUR])[0]
    alpha = np.clip(np.asarray(opacity, np.float32) * 255.0, 0, 255)
    return np.column_stack([rgb, alpha]).astype(np.uint8)


class EntityOverlay(MeshOverlay):
    key: str = "entities"
    on_top: ClassVar[bool] = True

    def __init__(
        self, source: StoreSource, clock: Callable[[], float], title: str = "Vehicles and units"
    ) -> None:
        super().__init__(title)
        self.source = source
        self.clock = clock
        self._version = -1
        self._size = 0.0
        self._faces_n = -1
        self._fading = False
        self.opacity = np.zeros(0, np.float32)

    def glyph_size(self, store: EntityStore | None = None) -> float:
        """Follow the camera distance, but never larger than the spacing of a crowded fleet.

        Overlapping glyphs hide each other and cost fill rate on software GL (50,000 glyphs of
        150 m cover the screen several times over), so in a dense fleet each glyph gets at most
        ~0.8 of the mean spacing; zooming in (smaller camera distance) still enlarges them then.
        """
        size = GLYPH_FRACTION * (camera_distance(self.plotter) if self.plotter is not None else 2000.0)
        if store is not None and len(store) > 1:
            area = float(np.ptp(store.x)) * float(np.ptp(store.y))
            size = min(size, 0.8 * float(np.sqrt(area / len(store))))
        return max(MIN_GLYPH_M, size)

    def refresh(self, now: float) -> bool:
        store = self.source()
        if store is None or not self.is_visible():
            return False
        size = self.glyph_size(store)
        moved = store.version != self._version
        rescaled = abs(size - self._size) > 0.02 * max(self._size, 1e-6)
        fading = bool(len(store) and store.stale(now).any())  # a fade moves on with the clock
        if not (moved or rescaled or fading or self._fading):
            return False
        self._version, self._size = store.version, size
        self._build(store, now, size)
        return True

    def _build(self, store: EntityStore, now: float, size: float) -> None:
        n = len(store)
        self.item_ids = list(store.ids)
        opacity = store.opacity(now)
        self.opacity = opacity
        self._fading = bool(len(opacity) and (opacity < 1.0).any())
        x, y = store.x, store.y
        self.anchors = np.column_stack([x, y, np.full(n, GLYPH_Z_M)])
        self.pickable_mask = opacity > 0.05
        if n == 0:
            self._set_geometry(np.zeros((0, 3)), np.zeros((0, 4), np.uint8))
            self._faces_n = -1
            return
        theta = np.radians(store.heading.astype(np.float64))  # compass: 0 = north, clockwise
        sin, cos = np.sin(theta), np.cos(theta)
        template = np.where(_IS_UNIT[store.kind][:, None, None], _DIAMOND[None], _CHEVRON[None]) * size
        tx, ty = template[..., 0], template[..., 1]  # (n, 4)
        # rotate local (right, forward) into (east, north) for a compass heading
        gx = x[:, None] + tx * cos[:, None] + ty * sin[:, None]
        gy = y[:, None] - tx * sin[:, None] + ty * cos[:, None]
        points = np.stack([gx, gy, np.full_like(gx, GLYPH_Z_M)], axis=-1).reshape(-1, 3)
        rgba = np.repeat(entity_colours(store.kind, store.status, opacity), 4, axis=0)
        faces = None
        if n != self._faces_n:
            base = np.arange(n, dtype=np.int64)[:, None] * 4
            tri = np.array([[0, 1, 2], [0, 2, 3]], np.int64)
            cells = (base[:, None, :] + tri[None]).reshape(-1, 3)
            faces = np.column_stack([np.full(len(cells), 3, np.int64), cells]).ravel()
            self._faces_n = n
        self._set_geometry(points, rgba, faces=faces)

    def describe(self, item_id: str) -> str:
        store = self.source()
        if store is None or item_id not in store:
            return item_id
        r = store.row(item_id)
        kind = ENTITY_KINDS[int(store.kind[r])].replace("_", " ")
        status = ENTITY_STATUSES[int(store.status[r])].replace("_", " ")
        speed_kmh = float(store.speed[r]) * 3.6
        heard = max(0.0, self.clock() - float(store.last_seen[r]))
        return f"{item_id} · {kind} · {status}\n{speed_kmh:.0f} km/h · heard {_ago(heard)}"


def _ago(seconds: float) -> str:
    if seconds < 1.0:
        return "just now"
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    return f"{seconds / 60:.0f} min ago"
