"""Vehicles and units as one merged mesh: glyphs by kind and status close in, dots in a crowd.

Each entity is a four-vertex glyph (two triangles) on the ground: a chevron pointing along its
heading for moving fleets, a diamond for the dispatchable units (police, city management,
ambulance, fire) so an operator tells them apart at a glance. Glyphs are sized in screen
pixels (``GLYPH_PX`` at each glyph's own depth, ``metres_per_pixel``): a fixed world size is
either a 150 m blot over the overview or a speck in a street, while a constant pixel size keeps
the city readable under the traffic at every zoom. Where the entities in view crowd each other
the glyphs shrink (``crowd_pixels``), and once a chevron would be too small to read its shape
the fleet is drawn as square dots of its kind's colour instead, one vertex each (level of
detail: the same picture at a quarter of the vertices), while units in alarm keep a full,
larger glyph. Entities whose glyph cannot reach the viewport are not drawn at all. Alpha is
``EntityStore.opacity(now)``: stale ones fade and vanish when the store expires them. Drawn on
the top layer: a bus behind a tower is still seen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import numpy.typing as npt

from controlroom.core.protocol import ENTITY_KINDS, ENTITY_STATUSES
from controlroom.render import hover_words as hover
from controlroom.render.hover_words import PLAIN, HoverWords
from controlroom.render.overlays.base import (
    F64,
    U8,
    MeshOverlay,
    ViewWatch,
    main_renderer,
    metres_per_pixel,
    palette,
    project_xy,
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
DOT_BELOW_PX = 9.0  # crowd-capped glyphs smaller than this are drawn as dots (level of detail)
DOT_FRACTION = (
    0.5  # a dot's side per glyph length the crowd leaves room for (small and crisp, never confetti)
)
MIN_DOT_PX = 2.0  # the smallest dot that still shows its kind's colour

# unit-length templates (x = right, y = forward), 4 vertices each, triangles (0,1,2) and (0,2,3)
_CHEVRON = np.array([[0.0, 0.6], [0.45, -0.45], [0.0, -0.15], [-0.45, -0.45]])
_DIAMOND = np.array([[0.0, 0.6], [0.38, 0.0], [0.0, -0.5], [-0.38, 0.0]])

_KIND_RGB = palette([KIND_COLOURS.get(k, KIND_COLOURS["other"]) for k in ENTITY_KINDS])
_IS_UNIT = np.array([k in UNIT_KINDS for k in ENTITY_KINDS])
_ALARM = ENTITY_STATUSES.index("alarm")
_OUT = ENTITY_STATUSES.index("out_of_service")
_BUSY = np.array([s in BUSY_STATUSES for s in ENTITY_STATUSES])

StoreSource = Callable[[], "EntityStore | None"]


def _status_rgb() -> npt.NDArray[np.uint32]:
    """(kinds × statuses, 3) lookup: kind colour, lightened when busy, red in alarm, grey when out."""
    rgb = np.repeat(_KIND_RGB[:, None, :].astype(np.float32), len(ENTITY_STATUSES), axis=1)
    rgb[:, _BUSY] = rgb[:, _BUSY] * 0.55 + 255.0 * 0.45
    rgb[:, _ALARM] = palette([ALARM_COLOUR])[0]
    rgb[:, _OUT] = palette([OUT_OF_SERVICE_COLOUR])[0]
    packed = np.zeros((rgb.shape[0] * rgb.shape[1], 4), np.uint8)
    packed[:, :3] = np.round(rgb).reshape(-1, 3)
    return packed.view(_RGBA32).ravel()  # one little-endian word per colour: R, G, B, A bytes


_RGBA32 = np.dtype("<u4")
_STATUS_RGB = _status_rgb()


def entity_colours(kind: U8, status: U8, opacity: Any) -> U8:
    """(n, 4) RGBA: kind colour, lightened when busy, red in alarm, grey out of service."""
    rgb = _STATUS_RGB[kind.astype(np.intp) * len(ENTITY_STATUSES) + status]
    alpha = np.clip(np.asarray(opacity, np.float32) * 255.0, 0, 255).astype(_RGBA32)
    return (rgb | (alpha << 24)).view(np.uint8).reshape(-1, 4)


def _vertex_cells(k: int) -> Any:
    """A vertex cell per dot (an empty cell array for none)."""
    import pyvista as pv

    if not k:
        return pv.CellArray()
    return np.column_stack([np.ones(k, np.int64), np.arange(k, dtype=np.int64)]).ravel()


def _glyph_cells(g: int, first: int) -> Any:
    """Two triangles per four-vertex glyph, the glyphs' vertices starting at ``first``."""
    import pyvista as pv

    if not g:
        return pv.CellArray()
    base = first + np.arange(g, dtype=np.int64)[:, None] * 4
    tri = np.array([[0, 1, 2], [0, 2, 3]], np.int64)
    cells = (base[:, None, :] + tri[None]).reshape(-1, 3)
    return np.column_stack([np.full(len(cells), 3, np.int64), cells]).ravel()


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
        self._cells_n: tuple[int, int] = (-1, -1)  # (dots, glyphs) the cell arrays were built for
        self.sizes = np.zeros(0)  # metres per glyph unit of each entity drawn as a glyph, else 0
        self._fading = False
        self.opacity = np.zeros(0, np.float32)
        #: The glyph size (pixels) the crowd in view left room for, as last drawn.
        self._crowd_px = GLYPH_PX
        #: Rows drawn as dots and as glyphs, in the order their vertices are in the mesh.
        self.dot_rows = np.zeros(0, np.int64)
        self.glyph_rows = np.zeros(0, np.int64)
        self._x = self._y = np.zeros(0)

    @property
    def glyph_px(self) -> float:
        """Pixels of the fleet's glyphs as last drawn (the crowd's room, at least ``MIN_GLYPH_PX``)."""
        return max(self._crowd_px, MIN_GLYPH_PX)

    @property
    def dot_px(self) -> float:
        """Side of the fleet's dots as last drawn; 0 while it is drawn as glyphs (see ``_split``)."""
        if self._crowd_px >= DOT_BELOW_PX:
            return 0.0
        return float(max(MIN_DOT_PX, round(DOT_FRACTION * self._crowd_px)))

    @property
    def anchors(self) -> F64:
        """Where each entity is (n, 3), for picking: built on demand, not on every tick."""
        return np.column_stack([self._x, self._y, np.full(len(self._x), GLYPH_Z_M)])

    @anchors.setter
    def anchors(self, value: F64) -> None:  # the base class initialises it empty
        self._x, self._y = value[:, 0].copy(), value[:, 1].copy()

    def glyph_sizes(self, store: EntityStore, rows: npt.NDArray[np.int64], pixels: float) -> F64:
        """Metres per glyph unit for the given rows: ``pixels`` on screen at each one's depth.

        Glyphs lie on the ground, so an oblique view squashes them; ``tilt_boost`` gives some of
        that back. Close in ``MIN_GLYPH_M`` keeps a glyph about a vehicle long. Units in alarm
        are never shrunk by the crowd: ``GLYPH_PX`` × ``ALARM_SCALE``.
        """
        if self.plotter is None:
            return np.full(len(rows), MIN_GLYPH_M)
        anchors = np.column_stack([self._x[rows], self._y[rows], np.full(len(rows), GLYPH_Z_M)])
        mpp = metres_per_pixel(self.plotter, anchors) * tilt_boost(self.plotter, anchors)
        alarm = store.status[rows] == _ALARM
        px = np.where(alarm, GLYPH_PX * ALARM_SCALE, pixels)
        return np.maximum(px * mpp, MIN_GLYPH_M)

    def crowd_pixels(self, display: F64, in_view: npt.NDArray[np.bool_]) -> float:
        """The largest glyph (pixels) the entities in view leave room for: ``GLYPH_PX`` when sparse.

        2,000 vehicles on a city's streets seen from 9 km, or 50,000 anywhere, would carpet the
        map at full size (and cost fill rate on software GL), hiding the city they move through.
        So a glyph is at most ``CROWD_FRACTION`` of the mean on-screen spacing of the glyphs in
        view (their screen bounding box, each side at least a quarter of the view, over their
        count). Zoomed in, the spacing grows and the cap lets go.
        """
        width, height = main_renderer(self.plotter).GetSize()
        count = int(in_view.sum())
        if count < 2:
            return GLYPH_PX
        x, y = display[in_view, 0], display[in_view, 1]
        span_x = max(float(np.ptp(x)), width / 4)
        span_y = max(float(np.ptp(y)), height / 4)
        spacing = float(np.sqrt(span_x * span_y / count))
        return min(CROWD_FRACTION * spacing, GLYPH_PX)

    def refresh(self, now: float) -> bool:
        store = self.source()
        if store is None or not self.is_visible():
            return False
        moved = store.version != self._version
        view_moved = self.plotter is not None and self._view.moved(self.plotter)
        opacity = store.opacity(now)
        fading = bool(len(opacity) and (opacity < 1.0).any())  # a fade moves on with the clock
        if not (moved or view_moved or fading or self._fading):
            return False
        self._version = store.version
        self._fading = fading
        self._build(store, opacity)
        return True

    def _split(self, store: EntityStore, shown: npt.NDArray[np.bool_]) -> tuple[Any, Any]:
        """(rows drawn as dots, rows drawn as glyphs) of the shown entities, by level of detail.

        Where the crowd rule leaves glyphs under ``DOT_BELOW_PX`` their shape no longer reads,
        and four vertices and two triangles each are wasted on software GL: the fleet is drawn
        as square dots of the same ink (``DOT_FRACTION`` of the glyph length), one vertex each,
        while units in alarm keep a full-size glyph so they still stand out.
        """
        rows = np.flatnonzero(shown)
        if not self.dot_px:
            return rows[:0], rows
        alarm = store.status[rows] == _ALARM
        return rows[~alarm], rows[alarm]

    def _near_view(self, n: int) -> npt.NDArray[np.bool_]:
        """Per entity: its glyph may reach into the viewport (off-screen ones cost nothing).

        Sets the crowd's room (``glyph_px``, ``dot_px``) from those whose anchor is in view.
        """
        if self.plotter is None:
            return np.ones(n, bool)
        display = project_xy(self.plotter, self._x, self._y, GLYPH_Z_M)
        width, height = main_renderer(self.plotter).GetSize()
        x, y = display[:, 0], display[:, 1]
        with np.errstate(invalid="ignore"):
            in_view = (x >= 0) & (x <= width) & (y >= 0) & (y <= height)
            m = GLYPH_PX * ALARM_SCALE * MAX_TILT_BOOST  # a glyph reaching in from outside
            near = (x >= -m) & (x <= width + m) & (y >= -m) & (y <= height + m)
        self._crowd_px = self.crowd_pixels(display, in_view) if len(display) else GLYPH_PX
        return near

    def _build(self, store: EntityStore, opacity: npt.NDArray[np.float32]) -> None:
        n = len(store)
        self.item_ids = list(store.ids)
        self.opacity = opacity
        x, y = store.x, store.y
        self._x, self._y = x.copy(), y.copy()  # the store's arrays are rewritten in place
        shown = self._near_view(n) & (opacity > 0.0)
        self.pickable_mask = shown & (opacity > 0.05)
        dots, glyphs = self._split(store, shown)
        self.dot_rows, self.glyph_rows = dots, glyphs
        self.sizes = np.zeros(n)
        if not len(dots) and not len(glyphs):
            self._set_geometry(np.zeros((0, 3)), np.zeros((0, 4), np.uint8))
            self._cells_n = (-1, -1)
            return
        colours = entity_colours(store.kind, store.status, opacity)
        size = self.glyph_sizes(store, glyphs, self.glyph_px)
        self.sizes[glyphs] = size
        theta = np.radians(store.heading[glyphs].astype(np.float64))  # compass: 0 = north, clockwise
        sin, cos = np.sin(theta), np.cos(theta)
        template = np.where(_IS_UNIT[store.kind[glyphs]][:, None, None], _DIAMOND[None], _CHEVRON[None])
        template = template * size[:, None, None]
        tx, ty = template[..., 0], template[..., 1]  # (g, 4)
        # rotate local (right, forward) into (east, north) for a compass heading
        gx = x[glyphs][:, None] + tx * cos[:, None] + ty * sin[:, None]
        gy = y[glyphs][:, None] - tx * sin[:, None] + ty * cos[:, None]
        k, g = len(dots), len(glyphs)
        points = np.empty((k + 4 * g, 3), np.float32)
        points[:k, 0], points[:k, 1] = x[dots], y[dots]
        points[k:, 0], points[k:, 1] = gx.ravel(), gy.ravel()
        points[:, 2] = GLYPH_Z_M
        rgba = np.concatenate([colours[dots], np.repeat(colours[glyphs], 4, axis=0)])
        verts = faces = None
        if (k, g) != self._cells_n:
            verts = _vertex_cells(k)
            faces = _glyph_cells(g, first=k)
            self._cells_n = (k, g)
        self.actor.GetProperty().SetPointSize(self.dot_px or 1.0)
        self._set_geometry(points, rgba, faces=faces, verts=verts)

    def describe(self, item_id: str, words: HoverWords = PLAIN) -> str:
        store = self.source()
        if store is None or item_id not in store:
            return item_id
        r = store.row(item_id)
        return words.say(
            hover.ENTITY,
            id=item_id,
            kind=words.code("entity_kind", ENTITY_KINDS[int(store.kind[r])]),
            status=words.code("entity_status", ENTITY_STATUSES[int(store.status[r])]),
            speed=float(store.speed[r]) * 3.6,
            ago=words.ago(max(0.0, self.clock() - float(store.last_seen[r]))),
        )
