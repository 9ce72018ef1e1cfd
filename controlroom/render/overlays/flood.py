"""The flood what-if on the map: a translucent water sheet shaded by depth, the buildings it
reaches coloured by depth, and the roads it cuts.

The city stands on its terrain (``geo.drape``), so the water is what it is: a flat surface at the
level over the flooded cells, whose shoreline is where it meets the drawn ground, a light cyan
where it is shallow and deep blue from 2 m (over a flat-ground approximation, where the city
stands on z = 0, it is drawn at the depth above that ground). It is one merged mesh of quads
(the flooded cells, coarsened by block so that at most ``MAX_QUADS`` are drawn: on 2-core software
GL the sample site's frame is ~110–130 ms, and a 60,000-quad sheet made a slider step ~15 % slower
than a 15,000-quad one) whose arrays are swapped in place when the what-if changes.
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
    from controlroom.geo.flood_impact import BuildingSamples
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
MIN_SHEET_M = 0.05  # the sheet stands this much above the level: no z-fighting with a river at it
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
    """Any-flooded and deepest depth per step × step block: step² strided maxima of a block-sized
    array each (a reduction over the inner axes of a 4-D view is several times slower)."""
    if step == 1:
        return mask, depth
    ny, nx = mask.shape
    by, bx = -(-ny // step), -(-nx // step)
    d = np.zeros((by * step, bx * step), np.float32)
    d[:ny, :nx] = np.where(mask, depth, np.float32(-1.0))  # −1: dry (a flooded cell may be 0 deep)
    d[ny:, :] = -1.0
    d[:, nx:] = -1.0
    out = d[0::step, 0::step].copy()
    for di in range(step):
        for dj in range(step):
            if di or dj:
                np.maximum(out, d[di::step, dj::step], out=out)
    return out >= 0, np.maximum(out, 0.0)


def _vertex_depth(mask: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Depth at the (ny+1, nx+1) block corners: the deepest of the flooded blocks around each, so
    neighbouring quads share their corners' colours (a smooth sheet, a quarter of the vertices)."""
    d = np.pad(np.where(mask, depth, 0.0).astype(np.float32), 1)
    return np.maximum(np.maximum(d[:-1, :-1], d[1:, :-1]), np.maximum(d[:-1, 1:], d[1:, 1:]))


class FloodWaterOverlay(MeshOverlay):
    """The water sheet: translucent quads at the water level over the flooded cells, shaded by depth.

    The surface is flat (it is the level), so the quads share their corners: each refresh keeps
    the corners the flooded blocks use (a mark and a cumulative sum, no sort) and swaps the
    arrays of the same mesh in place. It stands at ``level − scene.draw_offset_m``: the level
    itself over a city standing on its terrain; over a flat-ground approximation (the city on
    z = 0) the depth above that ground.
    """

    key: str = "flood_water"
    on_ground: ClassVar[bool] = False  # drawn at the level itself

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
        ny, nx = mask.shape
        ii, jj = np.nonzero(mask)
        corner = ii * (nx + 1) + jj  # lower-left corner of each quad in the (ny+1, nx+1) corner grid
        quads = np.column_stack([corner, corner + 1, corner + nx + 2, corner + nx + 1])
        used = np.zeros((ny + 1) * (nx + 1), bool)
        used[quads.ravel()] = True
        keep = np.flatnonzero(used)
        remap = np.cumsum(used) - 1
        size = t.cell * self.step
        vi, vj = np.divmod(keep, nx + 1)
        n_v = len(keep)
        pts = np.empty((n_v, 3), np.float32)
        pts[:, 0] = t.x0 - t.cell / 2 + vj * size
        pts[:, 1] = t.y0 - t.cell / 2 + vi * size
        pts[:, 2] = ext.level_m - float(getattr(impact.scene, "draw_offset_m", 0.0)) + MIN_SHEET_M
        rgba = water_colours(_vertex_depth(mask, depth).ravel()[keep].astype(np.float64))
        n = len(ii)
        faces = np.empty((n, 5), np.int64)
        faces[:, 0] = 4
        faces[:, 1:] = remap[quads]
        self.n_quads, self.level_m = n, ext.level_m
        self._set_geometry(pts, rgba, faces=faces.ravel())
        return True

    def describe(self, item_id: str, words: HoverWords = PLAIN) -> str:
        return item_id


class FloodBuildingsOverlay(MeshOverlay):
    """Affected buildings coloured by ground depth, and the cut roads on the water."""

    key: str = "flood_buildings"
    on_ground: ClassVar[bool] = False  # the buildings' own corners, the water's surface
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
        self._skin: tuple[Any, Any, np.ndarray, np.ndarray] | None = None

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
        skin, owner = self._skin_for(layer, b)
        # the affected buildings' triangles: one gather from the skin prepared once per city
        keep = np.flatnonzero(state[owner] >= 1)
        pts = skin[keep].reshape(-1, 3)
        affected = impact.affected_buildings()
        colour = np.zeros((b.n, 3))
        colour[affected] = building_colours(impact.building_depth[affected], cfg.flooded_depth_m)
        rgba = np.empty((len(pts), 4), np.uint8)
        rgba[:, :3] = np.repeat(colour[owner[keep]], 3, axis=0)
        rgba[:, 3] = 255
        m = len(keep)
        tri_cells = np.empty((m, 4), np.int64)
        tri_cells[:, 0] = 3
        tri_cells[:, 1:] = np.arange(3 * m).reshape(m, 3)
        faces = tri_cells.ravel()
        # cut roads: each cut piece of road as a line on the water's surface
        surface = impact.extent.level_m - float(getattr(impact.scene, "draw_offset_m", 0.0))
        roads = impact.scene.roads
        line_pts = np.zeros((0, 3))
        lines = np.zeros(0, np.int64)
        if roads is not None and impact.road_cut.any():
            piece = roads.pieces[impact.road_cut]
            k = len(piece)
            line_pts = np.empty((k, 2, 3))
            line_pts[:, 0, :2], line_pts[:, 1, :2] = piece[:, :2], piece[:, 2:]
            line_pts[:, :, 2] = surface + 0.3
            line_pts = line_pts.reshape(-1, 3)
            lines = (np.column_stack([np.full(k, 2), 3 * m + np.arange(2 * k).reshape(k, 2)])).ravel()
            rgba = np.vstack([rgba, np.tile(np.array([*CUT_ROAD_RGB, 255], np.uint8), (2 * k, 1))])
        self.item_ids = [b.ids[i] for i in affected.tolist()]
        self.anchors = np.column_stack([b.x[affected], b.y[affected], np.full(len(affected), surface)])
        self._depth = dict(zip(self.item_ids, impact.building_depth[affected].tolist(), strict=True))
        self.n_buildings = len(affected)
        self.n_cut_pieces = len(lines) // 3
        self._set_geometry(np.vstack([pts, line_pts]), rgba, faces=faces, lines=lines)
        return True

    def _skin_for(self, layer: CityLayer, b: BuildingSamples) -> tuple[np.ndarray, np.ndarray]:
        """Every building triangle's corners as a skin ``SKIN_M`` outside and above the building
        (so it never z-fights with the city's mesh), (t, 3, 3) float32, and each one's building:
        made once per city and buildings, so a slider step only gathers the affected ones."""
        if self._skin is not None and self._skin[0] is layer and self._skin[1] is b:
            return self._skin[2], self._skin[3]
        tri_b = (
            b.object_building[layer.cell_object] if len(b.object_building) else np.full(layer.n_triangles, -1)
        )
        tris = np.flatnonzero(tri_b >= 0)
        owner = tri_b[tris]
        pts = layer.points[layer.triangles[tris].ravel()].astype(np.float64)
        corner_owner = np.repeat(owner, 3)
        out = pts[:, :2] - np.column_stack([b.x[corner_owner], b.y[corner_owner]])
        norm = np.maximum(np.hypot(out[:, 0], out[:, 1]), 1e-6)
        pts[:, :2] += out / norm[:, None] * SKIN_M
        base = self._base_z(layer, tri_b, b.n)[corner_owner]
        pts[:, 2] += np.where(pts[:, 2] > base + SKIN_M, SKIN_M, 0.0)
        skin = pts.astype(np.float32).reshape(-1, 3, 3)
        self._skin = (layer, b, skin, owner)
        return skin, owner

    @staticmethod
    def _base_z(layer: CityLayer, tri_b: np.ndarray, n: int) -> np.ndarray:
        """Lowest corner of each building (its foot on the terrain, 0 on flat ground)."""
        base = np.full(n, np.inf)
        ok = tri_b >= 0
        np.minimum.at(base, tri_b[ok], layer.points[layer.triangles[ok]][:, :, 2].min(axis=1))
        return np.where(np.isfinite(base), base, 0.0)

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
