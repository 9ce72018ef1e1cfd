"""Vehicles and units as one merged set of flat glyphs: shape and colour by kind, tint by status.

Each entity is a four-vertex glyph (two triangles) on the ground: a chevron pointing along its
heading for moving fleets, a diamond for the dispatchable units (police, city management,
ambulance, fire) so an operator tells them apart at a glance. Glyphs are sized in screen
pixels (``GLYPH_PX`` at each glyph's own depth, ``metres_per_pixel``): a fixed world size is
either a 150 m blot over the overview or a speck in a street, while a constant pixel size keeps
the city readable under the traffic at every zoom; where the glyphs in view crowd each other
they shrink towards ``MIN_GLYPH_PX`` (``glyph_pixels``). Units in alarm are drawn larger. Alpha is
``EntityStore.opacity(now)``: stale ones fade and vanish when the store expires them. Drawn on
the top layer: a bus behind a tower is still seen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from controlroom.core.protocol import ENTITY_KINDS, ENTITY_STATUSES
from controlroom.render.overlays.base import (
    F64,
    U8,
    MeshOverlay,
    ViewWatch,
    main_renderer,
    metres_per_pixel,
    palette,
    project_points,
)

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
GLYPH_PX = 13.0  # glyph length on screen (the templates are ~1.05 units long)
MAX_TILT_BOOST = 1.5  # a flat glyph seen at a grazing angle is enlarged by up to this
ALARM_SCALE = 1.4  # a unit in alarm stands out of the crowd
MIN_GLYPH_PX = 5.0  # the crowd cap never shrinks a glyph below this
MIN_GLYPH_M = 4.0  # at street level a glyph is at least about a vehicle long
CROWD_FRACTION = 0.4  # at most this fraction of the mean on-screen spacing (overlap, fill rate)
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


def tilt_boost(plotter: Any, points: F64) -> F64:
    """1 looking straight down, up to ``MAX_TILT_BOOST`` at a grazing angle (per point).

    A flat glyph seen at elevation e is squashed to sin(e) of its height on screen; enlarging it
    by 1/sqrt(sin e) splits the difference, so a chevron in the 30° CBD view still reads as one
    without turning into a plate in a street canyon.
    """
    camera = main_renderer(plotter).GetActiveCamera()
    ray = np.asarray(points, np.float64) - np.array(camera.GetPosition())
    norm = np.maximum(np.linalg.norm(ray, axis=1), 1e-9)
    sin_elevation = np.abs(ray[:, 2]) / norm
    return np.minimum(1.0 / np.sqrt(np.maximum(sin_elevation, 1e-6)), MAX_TILT_BOOST)


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
        self._view = ViewWatch()
        self._faces_n = -1
        self.sizes = np.zeros(0)  # metres per glyph unit of each entity, as last drawn
        self._fading = False
        self.opacity = np.zeros(0, np.float32)

    def glyph_sizes(self, store: EntityStore) -> F64:
        """Metres per glyph unit for each entity: ``glyph_pixels`` on screen at its depth.

        Glyphs lie on the ground, so an oblique view squashes them; ``tilt_boost`` gives some of
        that back. Close in ``MIN_GLYPH_M`` keeps a glyph about a vehicle long.
        """
        n = len(store)
        if self.plotter is None:
            return np.full(n, MIN_GLYPH_M)
        anchors = np.column_stack([store.x, store.y, np.full(n, GLYPH_Z_M)])
        mpp = metres_per_pixel(self.plotter, anchors) * tilt_boost(self.plotter, anchors)
        size = np.maximum(self.glyph_pixels(anchors) * mpp, MIN_GLYPH_M)
        return np.where(store.status == _ALARM, size * ALARM_SCALE, size)

    def glyph_pixels(self, anchors: F64) -> float:
        """``GLYPH_PX``, or less where the glyphs on screen crowd each other.

        2,000 vehicles on a city's streets seen from 9 km, or 50,000 anywhere, would carpet the
        map at full size (and cost fill rate on software GL), hiding the city they move through.
        So a glyph is at most ``CROWD_FRACTION`` of the mean on-screen spacing of the glyphs in
        view (their screen bounding box, each side at least a quarter of the view, over their
        count), but never below ``MIN_GLYPH_PX``. Zoomed in, the spacing grows and the cap lets go.
        """
        display = project_points(self.plotter, anchors)
        width, height = main_renderer(self.plotter).GetSize()
        x, y = display[:, 0], display[:, 1]
        on = np.isfinite(x) & (x >= 0) & (x <= width) & (y >= 0) & (y <= height)
        count = int(on.sum())
        if count < 2:
            return GLYPH_PX
        span_x = max(float(np.ptp(x[on])), width / 4)
        span_y = max(float(np.ptp(y[on])), height / 4)
        spacing = float(np.sqrt(span_x * span_y / count))
        return float(np.clip(CROWD_FRACTION * spacing, MIN_GLYPH_PX, GLYPH_PX))

    def refresh(self, now: float) -> bool:
        store = self.source()
        if store is None or not self.is_visible():
            return False
        moved = store.version != self._version
        view_moved = self.plotter is not None and self._view.moved(self.plotter)
        fading = bool(len(store) and store.stale(now).any())  # a fade moves on with the clock
        if not (moved or view_moved or fading or self._fading):
            return False
        self._version = store.version
        self._build(store, now)
        return True

    def _build(self, store: EntityStore, now: float) -> None:
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
        size = self.glyph_sizes(store)
        self.sizes = size
        theta = np.radians(store.heading.astype(np.float64))  # compass: 0 = north, clockwise
        sin, cos = np.sin(theta), np.cos(theta)
        template = np.where(_IS_UNIT[store.kind][:, None, None], _DIAMOND[None], _CHEVRON[None])
        template = template * size[:, None, None]
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
