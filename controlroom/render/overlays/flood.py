"""The flood what-if on the map: a translucent water sheet shaded by depth, the buildings it
reaches coloured by depth, and the roads it cuts.

The city is drawn on flat ground (z = 0 is the ground everywhere), so the water is drawn as what
the eye needs against the buildings: its surface stands ``depth`` metres above the ground of each
flooded cell, a light cyan where it is shallow and deep blue from 2 m. It is one merged mesh of
quads (the flooded cells, coarsened by block so that at most ``MAX_QUADS`` are drawn: on 2-core
software GL the sample site's frame is ~110–130 ms, and a 60,000-quad sheet made a slider step
~15 % slower than a 15,000-quad one) whose arrays are swapped in place when the what-if changes.
Buildings are a second overlay: a copy of the affected buildings' own triangles,
coloured by depth (wet: yellow to orange; flooded: orange to dark red) as a skin ``SKIN_M``
outside and above each building, so it covers the city's mesh without z-fighting; cut roads are
thick magenta lines lying on the water.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from controlroom.render import hover_words as hover
from controlroom.render.hover_words import PLAIN, HoverWords
from controlroom.render.overlays.base import U8, MeshOverlay

if TYPE_CHECKING:
    from controlroom.core.city import CityLayer
    from controlroom.geo.flood_whatif import FloodImpact

#: (version, impact): the overlay redraws when the version changes; impact None clears it
FloodSource = Callable[[], "tuple[int, FloodImpact | None]"]
MAX_QUADS = 30_000
WATER_ALPHA = 150
WATER_RAMP = np.array([[150, 230, 255], [40, 150, 230], [10, 60, 170], [5, 25, 110]], np.float64)
WATER_STOPS = np.array([0.0, 0.5, 1.5, 3.0])
WET_RGB = np.array([[255, 225, 60], [255, 150, 30]], np.float64)  # 0 → flooded threshold
FLOODED_RAMP = np.array([[255, 120, 30], [220, 30, 30], [120, 0, 20]], np.float64)
FLOODED_STOPS = np.array([0.0, 1.0, 2.5])  # metres above the flooded threshold
CUT_ROAD_RGB = (255, 40, 200)
CUT_ROAD_WIDTH_PX = 5.0
MIN_SHEET_M = 0.05  # the thinnest water still drawn above the ground plane
SKIN_M = 0.3  # how far the coloured copy of a building stands outside the city's own mesh


def _ramp(values: np.ndarray, stops: np.ndarray, colours: np.ndarray) -> np.ndarray:
    return np.column_stack([np.interp(values, stops, colours[:, c]) for c in range(3)])


def water_colours(depth: np.ndarray) -> U8:
    """Depth (m) → RGBA: cyan when shallow, deep blue from ~2 m, always translucent."""
    rgb = _ramp(depth, WATER_STOPS, WATER_RAMP)
    return np.column_stack([rgb, np.full(len(depth), WATER_ALPHA)]).astype(np.uint8)


def building_colours(depth: np.ndarray, flooded_from_m: float) -> np.ndarray:
    """Ground depth (m) of wet/flooded buildings → RGB."""
    wet = _ramp(depth / max(flooded_from_m, 1e-6), np.array([0.0, 1.0]), WET_RGB)
    deep = _ramp(depth - flooded_from_m, FLOODED_STOPS, FLOODED_RAMP)
    return np.where((depth >= flooded_from_m)[:, None], deep, wet)


def _blocks(mask: np.ndarray, depth: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
    """Any-flooded and deepest depth per step × step block."""
    if step == 1:
        return mask, depth
    ny, nx = mask.shape
    py, px = (-ny) % step, (-nx) % step
    m = np.pad(mask, ((0, py), (0, px))).reshape((ny + py) // step, step, (nx + px) // step, step)
    d = np.pad(depth, ((0, py), (0, px))).reshape(m.shape)
    return np.asarray(m.any(axis=(1, 3))), np.asarray(d.max(axis=(1, 3)))


class FloodWaterOverlay(MeshOverlay):
    """The water sheet: translucent quads over the flooded cells, shaded by depth."""

    key: str = "flood_water"

    def __init__(self, source: FloodSource, title: str = "Flood what-if") -> None:
        super().__init__(title)
        self.source = source
        self._version = -1
        self.step = 1  # the block size drawn (cells), for tests and the hover text
        self.n_quads = 0
        self.level_m: float | None = None

    def refresh(self, now: float) -> bool:
        version, impact = self.source()
        if version == self._version:
            return False
        self._version = version
        if impact is None or impact.extent.nothing_floods:
            had = self.n_quads > 0
            self.n_quads, self.level_m, self.item_ids = 0, None, []
            self._set_geometry(np.zeros((0, 3)), np.zeros((0, 4), np.uint8), faces=np.zeros(0, np.int64))
            return had
        ext = impact.extent
        t = ext.terrain
        self.step = max(1, int(np.ceil(np.sqrt(ext.n_cells / MAX_QUADS))))
        mask, depth = _blocks(ext.flooded, ext.depth, self.step)
        ii, jj = np.nonzero(mask)
        d = depth[ii, jj].astype(np.float64)
        size = t.cell * self.step
        x0 = t.x0 - t.cell / 2 + jj * size
        y0 = t.y0 - t.cell / 2 + ii * size
        z = np.maximum(d, MIN_SHEET_M)
        n = len(ii)
        pts = np.empty((n, 4, 3))
        pts[:, :, 0] = x0[:, None] + np.array([0.0, size, size, 0.0])
        pts[:, :, 1] = y0[:, None] + np.array([0.0, 0.0, size, size])
        pts[:, :, 2] = z[:, None]
        rgba = np.repeat(water_colours(d), 4, axis=0)
        faces = np.column_stack([np.full(n, 4), np.arange(4 * n).reshape(n, 4)]).ravel()
        self.n_quads, self.level_m = n, ext.level_m
        self._set_geometry(pts.reshape(-1, 3), rgba, faces=faces)
        return True

    def describe(self, item_id: str, words: HoverWords = PLAIN) -> str:
        return item_id


class FloodBuildingsOverlay(MeshOverlay):
    """Affected buildings coloured by ground depth, and the cut roads on the water."""

    key: str = "flood_buildings"
    pick_radius_px: ClassVar[float] = 12.0

    def __init__(
        self, source: FloodSource, layer: Callable[[], CityLayer | None], title: str = "Flooded buildings"
    ) -> None:
        super().__init__(title)
        self.source = source
        self.layer = layer
        self._version = -1
        self.n_buildings = 0
        self.n_cut_pieces = 0
        self._depth: dict[str, float] = {}

    def _style(self, prop: Any) -> None:
        prop.SetLineWidth(CUT_ROAD_WIDTH_PX)  # shaded like the city (lighting stays on)

    def refresh(self, now: float) -> bool:
        version, impact = self.source()
        if version == self._version:
            return False
        self._version = version
        layer = self.layer()
        if impact is None or layer is None or impact.extent.nothing_floods:
            had = self.n_buildings + self.n_cut_pieces > 0
            self.n_buildings = self.n_cut_pieces = 0
            self.item_ids, self.anchors, self._depth = [], np.zeros((0, 3)), {}
            empty = np.zeros(0, np.int64)
            self._set_geometry(np.zeros((0, 3)), np.zeros((0, 4), np.uint8), faces=empty, lines=empty)
            return had
        b = impact.scene.buildings
        state = impact.building_state
        cfg = impact.scene.config
        # the affected buildings' own triangles, one copy of their corners each
        tri_b = (
            b.object_building[layer.cell_object] if len(b.object_building) else np.full(layer.n_triangles, -1)
        )
        keep = np.flatnonzero((tri_b >= 0) & (state[np.maximum(tri_b, 0)] >= 1))
        tris = layer.triangles[keep]
        pts = layer.points[tris.ravel()].copy()
        # a skin a little outside and above the building, so it never z-fights with the city's mesh
        owner = np.repeat(tri_b[keep], 3)
        out = pts[:, :2] - np.column_stack([b.x[owner], b.y[owner]])
        norm = np.maximum(np.hypot(out[:, 0], out[:, 1]), 1e-6)
        pts[:, :2] += out / norm[:, None] * SKIN_M
        pts[:, 2] += np.where(pts[:, 2] > SKIN_M, SKIN_M, 0.0)
        colour = building_colours(impact.building_depth[tri_b[keep]], cfg.flooded_depth_m)
        rgba = np.column_stack([np.repeat(colour, 3, axis=0), np.full(len(pts), 255.0)])
        m = len(keep)
        faces = np.column_stack([np.full(m, 3), np.arange(3 * m).reshape(m, 3)]).ravel()
        # cut roads: each cut piece of road as a line on the water's surface
        roads = impact.scene.roads
        line_pts = np.zeros((0, 3))
        lines = np.zeros(0, np.int64)
        if roads is not None and impact.road_cut.any():
            piece = roads.pieces[impact.road_cut]
            d = impact.extent.depth_at(roads.x[impact.road_cut], roads.y[impact.road_cut])
            k = len(piece)
            line_pts = np.empty((k, 2, 3))
            line_pts[:, 0, :2], line_pts[:, 1, :2] = piece[:, :2], piece[:, 2:]
            line_pts[:, :, 2] = (d + 0.3)[:, None]
            line_pts = line_pts.reshape(-1, 3)
            lines = (np.column_stack([np.full(k, 2), 3 * m + np.arange(2 * k).reshape(k, 2)])).ravel()
            rgba = np.vstack([rgba, np.tile([*CUT_ROAD_RGB, 255], (2 * k, 1))])
        affected = impact.affected_buildings()
        self.item_ids = [b.ids[i] for i in affected.tolist()]
        self.anchors = np.column_stack([b.x[affected], b.y[affected], np.zeros(len(affected))])
        self._depth = dict(zip(self.item_ids, impact.building_depth[affected].tolist(), strict=True))
        self.n_buildings = len(affected)
        self.n_cut_pieces = len(lines) // 3
        self._set_geometry(np.vstack([pts, line_pts]), rgba.astype(np.uint8), faces=faces, lines=lines)
        return True

    def describe(self, item_id: str, words: HoverWords = PLAIN) -> str:
        depth = self._depth.get(item_id)
        return item_id if depth is None else words.say(hover.FLOOD_BUILDING, id=item_id, depth=depth)


def flood_focus(impact: FloodImpact) -> tuple[float, float, float]:
    """Where to look to see the flood: the middle of the wettest half of the flooded cells, from a
    distance that takes in their spread (a long river bank is seen whole, a pocket up close)."""
    ext = impact.extent
    t = ext.terrain
    ii, jj = np.nonzero(ext.flooded)
    deep = ext.depth[ii, jj] >= np.median(ext.depth[ii, jj])
    x = t.x0 + jj[deep] * t.cell
    y = t.y0 + ii[deep] * t.cell
    spread = float(np.hypot(*np.ptp(np.percentile(np.column_stack([x, y]), [10, 90], axis=0), axis=0)))
    return float(np.median(x)), float(np.median(y)), float(np.clip(1.1 * spread, 300.0, 20_000.0))


def flood_snapshot(
    model: Any,
    impact: FloodImpact,
    out: Any,
    size: tuple[int, int] = (1600, 900),
    view: Any = None,
    frame: Any = None,
    title: str | None = None,
) -> Any:
    """The city off-screen with the what-if's water and buildings, saved as a PNG (CLI ``--snapshot``)."""
    from controlroom.render.snapshot import open_offscreen

    source = (1, impact)
    plotter, scene = open_offscreen(model, size)
    water = FloodWaterOverlay(lambda: source)
    buildings = FloodBuildingsOverlay(lambda: source, lambda: model.layers.get("buildings"))
    try:
        water.attach(plotter)
        buildings.attach(plotter)
        water.refresh(0.0)
        buildings.refresh(0.0)
        if view is not None and frame is not None:
            scene.fly_to_view(view, frame)
        elif not impact.extent.nothing_floods:
            x, y, distance = flood_focus(impact)
            scene.focus_on(x, y, distance, 20.0)
        if title:
            plotter.add_text(title, position="upper_left", font_size=12, shadow=True, name="title")
        plotter.render()  # the plotter was shown before the layers existed: draw them now
        plotter.screenshot(str(out))
    finally:
        water.detach(plotter)
        buildings.detach(plotter)
        plotter.close()
    return out
