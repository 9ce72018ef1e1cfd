"""A tileset drawn as one merged actor per tile, streamed by screen-space error under a byte budget.

``TiledCity.update(camera)`` selects tiles (``geo.tiles.select``), asks its ``submit`` function to
load the missing ones (a worker in the app, inline in tests and benchmarks), and shows the
hole-free covering of what is loaded. ``deliver`` takes a loaded tile back on the GUI thread
(the one hop back), admits it to the LRU cache if its exact size fits the budget, and swaps
actors. Loading (file read, glTF decode, VTK arrays) touches no renderer, so it may run anywhere.

Picking casts the click ray through the drawn tiles in numpy (no VTK picker, no re-render). A
hit on a coarse stand-in is resolved to the exact building by reading the full-detail leaf under
the hit point once (not cached), so a pick names the same building at any level of detail.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from controlroom.geo.tiles.columns import codes, describe_table
from controlroom.geo.tiles.glb import TileContentError, TileMesh
from controlroom.geo.tiles.select import Camera, TileCache, TileIndex, covering, select
from controlroom.geo.tiles.tileset import Tileset
from controlroom.render.theme import DEFAULT_THEME, CityTheme, hex_rgb

if TYPE_CHECKING:
    from vtkmodules.vtkRenderingCore import vtkActor

    from controlroom.render.city_visual import CityVisual, ColorScheme

from controlroom.core.city import Surface

DEFAULT_MAX_SSE = 16.0
# Software GL draws ~6 M triangles/s on a quiet machine (DESIGN §3); measured on a shared one, 580 k took
# 170–380 ms a frame, so 450 k keeps street level and fly-throughs nearer 200 ms (bench bigcity).
DEFAULT_MAX_TRIANGLES = 450_000
POINT_SIZE_PX = 2.0  # point clouds (pnts): dense enough to read as surfaces, cheap on software GL
BYTES_PER_TRIANGLE = 32  # our glb on disk; the estimate when a tileset does not say
FloatArray = npt.NDArray[np.float64]
DISPLAY_ARRAY = "display"


@dataclass
class TilePart:
    """One content of a tile: its local-frame mesh, per-triangle feature and the feature table."""

    points: npt.NDArray[np.float32]
    triangles: npt.NDArray[np.int64]
    cell_feature: npt.NDArray[np.int32]
    features: dict[str, list[Any]]
    polydata: Any = None
    cull_back_faces: bool = False  # closed solids wound outward: back faces are never seen
    boxes: FeatureBoxes | None = None
    kind: str = "buildings"  # the city layer (our tiles: content/<kind>/...), for its colour
    point_cloud: bool = False  # pnts: one vertex cell per point (cell_feature is per point)
    colours: npt.NDArray[np.uint8] | None = None  # a point cloud's own colours


@dataclass
class FeatureBoxes:
    """Each feature's bounding box and its triangles (grouped): a pick tests a ray against a few
    thousand boxes, then only the triangles of the boxes it passes through, not the whole tile."""

    lo: FloatArray  # (F, 3)
    hi: FloatArray  # (F, 3)
    order: npt.NDArray[np.int32]  # triangle numbers grouped by feature
    starts: npt.NDArray[np.int64]  # (F + 1,) feature f's triangles are order[starts[f]:starts[f + 1]]

    @classmethod
    def of(
        cls, points: npt.NDArray[Any], tris: npt.NDArray[np.int64], cell_feature: npt.NDArray[Any]
    ) -> FeatureBoxes:
        n = int(cell_feature.max()) + 1 if len(cell_feature) else 0
        order = np.argsort(cell_feature, kind="stable").astype(np.int32)
        starts = np.searchsorted(cell_feature[order], np.arange(n + 1)).astype(np.int64)
        corners = points[tris[order]]  # (T, 3, 3)
        lo = np.full((n, 3), np.inf)
        hi = np.full((n, 3), -np.inf)
        used = starts[:-1] < starts[1:]
        if len(order):
            lo[used] = np.minimum.reduceat(corners.min(1), starts[:-1][used])
            hi[used] = np.maximum.reduceat(corners.max(1), starts[:-1][used])
        return cls(lo, hi, order, starts)

    @property
    def nbytes(self) -> int:
        return int(self.lo.nbytes + self.hi.nbytes + self.order.nbytes + self.starts.nbytes)

    def candidates(self, origin: FloatArray, d: FloatArray, before: float) -> npt.NDArray[np.int64]:
        """Triangles of the features whose box the ray enters before distance ``before``."""
        entry, exit_ = _slab(origin, d, self.lo, self.hi)
        hit = np.flatnonzero((exit_ >= np.maximum(entry, 0.0)) & (entry < before))
        if not len(hit):
            return np.empty(0, np.int64)
        spans = [self.order[self.starts[f] : self.starts[f + 1]] for f in hit.tolist()]
        return np.concatenate(spans).astype(np.int64)


@dataclass
class LoadedTile:
    index: int
    parts: list[TilePart]
    nbytes: int
    errors: list[str] = field(default_factory=list)


def read_content(path: Path) -> TileMesh:
    """A content file (glb, or b3dm once readable) as a mesh in its tile's frame."""
    from controlroom.geo.tiles.content import read_tile_content

    return read_tile_content(path)


def _colours(
    points: npt.NDArray[np.float32], tris: npt.NDArray[np.int64], theme: CityTheme
) -> npt.NDArray[np.uint8]:
    a, b, c = points[tris[:, 0]], points[tris[:, 1]], points[tris[:, 2]]
    n = np.cross(b - a, c - a)
    roof = np.abs(n[:, 2]) > 0.7 * np.linalg.norm(n, axis=1)
    out = np.empty((len(tris), 3), np.uint8)
    out[:] = [round(c * 255) for c in hex_rgb(theme.surface_colors[int(Surface.WALL)])]
    out[roof] = [round(c * 255) for c in hex_rgb(theme.surface_colors[int(Surface.ROOF)])]
    return out


def _rgb255(colour: str) -> list[int]:
    return [round(c * 255) for c in hex_rgb(colour)]


def height_range(ts: Tileset) -> tuple[float, float]:
    """The heights the city style's ramp spans for a tileset (metres, lowest > 0, tallest).

    Ours says its buildings' range (``extras.controlroom.columns``); a field tileset's root volume
    bounds it (its height, a few metres at least)."""
    figures = ts.extras.get("controlroom", {}).get("columns", {}).get("buildings", {}).get("height", {})
    if figures.get("kind") == "numeric":
        return max(float(figures["min"]), 1.0), max(float(figures["max"]), 2.0)
    lo, hi = ts.root.box_min, ts.root.box_max
    return 3.0, max(float(np.linalg.norm(np.asarray(hi) - np.asarray(lo))) / 4, 6.0)


def _styled_colours(
    points: npt.NDArray[np.float32],
    tris: npt.NDArray[np.int64],
    boxes: FeatureBoxes,
    cell_feature: npt.NDArray[np.int32],
    heights: tuple[float, float],
) -> npt.NDArray[np.uint8]:
    """The single-mesh city's look (``render.city_style``): each building by its height on the
    navy → cyan → ice ramp (log scale), roofs lifted towards white, walls shaded. A building's
    height is its own box's (stand-ins included), so coarse and fine tiles agree."""
    from controlroom.render import city_style as style

    a, b, c = points[tris[:, 0]], points[tris[:, 1]], points[tris[:, 2]]
    n = np.cross(b - a, c - a)
    length = np.linalg.norm(n, axis=1)
    surface = np.full(len(tris), int(Surface.WALL), np.int64)
    surface[n[:, 2] > 0.7 * length] = int(Surface.ROOF)
    surface[n[:, 2] < -0.7 * length] = int(Surface.GROUND)
    tall = np.maximum(boxes.hi[:, 2] - boxes.lo[:, 2], 0.0) if len(boxes.lo) else np.zeros(0)
    lo, hi = np.log(heights[0]), np.log(max(heights[1], heights[0] * 1.01))
    scaled = (np.log(np.clip(tall, heights[0], None)) - lo) / (hi - lo)
    bands = np.clip(np.round(scaled * (style.HEIGHT_BANDS - 1)), 0, style.HEIGHT_BANDS - 1).astype(np.int64)
    table = _shaded_table()
    index = style.shaded_display(bands, cell_feature, surface).astype(np.int64)
    return np.ascontiguousarray(table[index, :3])


@functools.lru_cache(maxsize=1)
def _shaded_table() -> npt.NDArray[np.uint8]:
    from controlroom.render import city_style as style

    return style.shaded_table(style.ramp(style.HEIGHT_RAMP, style.HEIGHT_BANDS))


def decode_parts(
    ts: Tileset, index: int, to_local: FloatArray, errors: list[str] | None = None
) -> list[TilePart]:
    """One tile's contents decoded into the local frame, without VTK (what a pick needs).

    Content errors are appended to ``errors`` (when given) and that content skipped.
    """
    tile = ts.tiles[index]
    m = to_local @ tile.transform
    parts: list[TilePart] = []
    for path in tile.contents:
        try:
            mesh = read_content(path)
        except (OSError, TileContentError) as exc:
            if errors is not None:
                errors.append(
                    str(exc) if isinstance(exc, TileContentError) else f"{path}: {exc.strerror or exc}"
                )
            continue
        pts64 = np.column_stack([mesh.points, np.ones(len(mesh.points))]) @ m.T
        pts = np.ascontiguousarray(pts64[:, :3], np.float32)
        tris = mesh.triangles.astype(np.int64)
        if mesh.point_cloud:
            cell_feature = mesh.vertex_feature.astype(np.int32)
        elif len(tris):
            cell_feature = mesh.vertex_feature[tris[:, 0]].astype(np.int32)
        else:
            cell_feature = np.zeros(0, np.int32)
        cull = bool(mesh.cull_back_faces and np.linalg.det(m[:3, :3]) > 0)
        kind = path.parent.parent.parent.name if path.parent.parent.parent.parent.name == "content" else ""
        parts.append(
            TilePart(
                pts,
                tris,
                cell_feature,
                mesh.features,
                None,
                cull,
                kind=kind or "buildings",
                point_cloud=mesh.point_cloud,
                colours=mesh.colours,
            )
        )
    return parts


def load_tile(ts: Tileset, index: int, to_local: FloatArray, theme: CityTheme = DEFAULT_THEME) -> LoadedTile:
    """Read, decode and make VTK arrays for one tile; content errors are collected, not raised."""
    import pyvista as pv
    from vtkmodules.util.numpy_support import numpy_to_vtk

    errors: list[str] = []
    parts = decode_parts(ts, index, to_local, errors)
    nbytes = 0
    for part in parts:
        pts, tris = part.points, part.triangles
        # A point cloud is one vertex cell per point, in point order.
        poly = pv.PolyData(pts) if part.point_cloud else pv.PolyData.from_regular_faces(pts, tris)  # type: ignore[arg-type]
        part.polydata = poly
        part.boxes = None if part.point_cloud else FeatureBoxes.of(pts, tris, part.cell_feature)
        flat = theme.layer_color(part.kind)
        if part.point_cloud:
            own = part.colours
            if own is None:
                own = np.tile(
                    np.asarray(_rgb255(theme.surface_colors[int(Surface.ROOF)]), np.uint8), (len(pts), 1)
                )
            rgb = numpy_to_vtk(np.ascontiguousarray(own, np.uint8), deep=True)
        elif flat is not None:  # terrain, water ...: one colour, as on the single-mesh map
            rgb = numpy_to_vtk(np.tile(np.asarray(_rgb255(flat), np.uint8), (len(tris), 1)), deep=True)
        elif theme.shade_by_height:
            assert part.boxes is not None
            rgb = numpy_to_vtk(
                _styled_colours(pts, tris, part.boxes, part.cell_feature, height_range(ts)), deep=True
            )
        else:
            rgb = numpy_to_vtk(_colours(pts, tris, theme), deep=True)
        rgb.SetName("rgb")
        poly.GetCellData().SetScalars(rgb)
        table_bytes = sum(64 + sum(len(str(v)) for v in col) for col in part.features.values())
        nbytes += (
            int(poly.GetActualMemorySize()) * 1024
            + pts.nbytes
            + tris.nbytes
            + part.cell_feature.nbytes
            + (part.boxes.nbytes if part.boxes is not None else 0)
            + table_bytes
        )
    return LoadedTile(index, parts, nbytes, errors)


def ray_triangles(
    origin: FloatArray, direction: FloatArray, points: npt.NDArray[Any], tris: npt.NDArray[np.int64]
) -> tuple[int, float]:
    """Nearest triangle hit by the ray (Möller–Trumbore in numpy): (triangle, distance) or (-1, inf)."""
    if not len(tris):
        return -1, math.inf
    a, b, c = (np.asarray(points[tris[:, k]], np.float64) for k in range(3))
    e1, e2 = b - a, c - a
    h = np.cross(direction, e2)
    det = (e1 * h).sum(1)
    ok = np.abs(det) > 1e-12
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
    s = origin - a
    u = (s * h).sum(1) * inv
    q = np.cross(s, e1)
    v = (q * direction).sum(1) * inv
    t = (q * e2).sum(1) * inv
    hit = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0)
    if not hit.any():
        return -1, math.inf
    t = np.where(hit, t, np.inf)
    i = int(np.argmin(t))
    return i, float(t[i])


@dataclass(frozen=True)
class TilePick:
    tile: int
    level: int
    record: dict[str, Any]
    point: tuple[float, float, float]
    resolved_from_coarse: bool
    triangles: npt.NDArray[np.float32] | None = None  # (T, 3, 3) the building, for a highlight


def _feature_triangles(part: TilePart, feature: int) -> npt.NDArray[np.float32]:
    return np.asarray(part.points[part.triangles[part.cell_feature == feature]], np.float32)


class TiledCity:
    """Actors of the drawn tiles; the cache; selection; picking."""

    def __init__(
        self,
        tileset: Tileset,
        to_local: FloatArray,
        budget_bytes: int,
        *,
        renderer: Any = None,
        submit: Callable[[int], None] | None = None,
        max_sse: float = DEFAULT_MAX_SSE,
        max_triangles: int = DEFAULT_MAX_TRIANGLES,
        theme: CityTheme = DEFAULT_THEME,
    ) -> None:
        self.tileset = tileset
        self.to_local = to_local
        self.index = TileIndex.of(tileset, to_local)
        self.cache = TileCache(budget_bytes)
        self.renderer = renderer
        self.submit = submit or self._load_inline
        self.max_sse = max_sse
        self.sse_in_use = max_sse
        self.theme = theme
        self.actors: dict[int, list[vtkActor]] = {}
        self.wanted: list[int] = []
        self.shown: list[int] = []
        self.pending: set[int] = set()
        self.errors: dict[int, list[str]] = {}
        self.budget_bound = False
        sizes = [sum(p.stat().st_size if p.is_file() else 0 for p in t.contents) for t in tileset.tiles]
        self._file_bytes = np.asarray(sizes, np.float64)
        self.max_triangles = max_triangles
        said = [t.triangles for t in tileset.tiles]
        self._triangles = np.array(
            [n if n is not None else sizes[i] / BYTES_PER_TRIANGLE for i, n in enumerate(said)], np.float64
        )
        self.detail_capped = False
        self._ratio = 3.0  # decoded bytes per file byte; learned from the tiles loaded so far
        self._pressure = 1.0
        self._camera: Camera | None = None
        self._reselecting = False
        self.color_by: str | None = None
        self.scheme: ColorScheme | None = None
        self._lut: Any = None
        self._legend: CityVisual | None = None  # an empty buildings visual: its legends, our scale

    # ------------------------------------------------------------------ selection
    def _estimate(self, tiles: list[int]) -> float:
        return float(
            sum(
                self.cache.items[t][1] if t in self.cache else self._file_bytes[t] * self._ratio
                for t in tiles
            )
        )

    def update(self, camera: Camera) -> list[int]:
        """Select for this camera; submit missing loads; show the covering. Returns the tiles to load."""
        self._camera = camera
        # After a refused admission the threshold starts higher; the pressure eases off as views fit.
        self._pressure = max(1.0, self._pressure / 1.25)
        sse = self.max_sse * self._pressure
        over_bytes = over_triangles = False
        while True:
            wanted = select(self.index, camera, sse)
            over_bytes = self._estimate(wanted) > self.cache.budget
            over_triangles = float(self._triangles[wanted].sum()) > self.max_triangles
            if not (over_bytes or over_triangles) or sse > 1e5:
                break
            sse *= 1.25
        self.sse_in_use = sse
        self.budget_bound = self._pressure > 1.0 or (sse > self.max_sse and self._bytes_bind(camera, sse))
        self.detail_capped = sse > self.max_sse and not self.budget_bound
        self.wanted = wanted
        self.cache.touch(wanted)
        missing = [
            t for t in wanted if t not in self.cache and t not in self.pending and t not in self.errors
        ]
        # Coarse first, then nearest: parents appear quickly, detail follows.
        pos = np.asarray(camera.position)
        centre = (self.index.lo + self.index.hi) / 2
        missing.sort(key=lambda t: (self.index.level[t], float(np.linalg.norm(centre[t] - pos))))
        # Nothing drawn yet where a wanted tile will go: the root (one small stand-in of the whole
        # city) comes first, so the first frame is whole, not a map filling in tile by tile.
        root = self._root
        busy = root in self.cache or root in self.pending or root in self.errors or root in missing
        if not busy and not self.covered:
            missing.insert(0, root)
        self._show()
        for t in missing:
            self.pending.add(t)
            self.submit(t)
        return missing

    @functools.cached_property
    def _root(self) -> int:
        return next(t for t, p in enumerate(self.index.parent) if p is None)

    @property
    def covered(self) -> bool:
        """Whether every wanted tile, or an ancestor of it, is loaded (the view has no holes)."""
        for t in self.wanted:
            if t in self.errors:
                continue
            a: int | None = t
            while a is not None and a not in self.cache:
                a = self.index.parent[a]
            if a is None:
                return False
        return True

    def _bytes_bind(self, camera: Camera, sse: float) -> bool:
        """Whether memory (not the triangle cap) made the threshold rise to ``sse``."""
        finer = select(self.index, camera, sse / 1.25)
        return self._estimate(finer) > self.cache.budget

    def _load_inline(self, tile: int) -> None:
        self.deliver(load_tile(self.tileset, tile, self.to_local, self.theme))

    def deliver(self, loaded: LoadedTile) -> bool:
        """A loaded tile back on the GUI thread: admitted when it fits, then the view is re-covered."""
        self.pending.discard(loaded.index)
        if loaded.errors:
            self.errors[loaded.index] = loaded.errors
        if not loaded.parts:
            return False
        if self._file_bytes[loaded.index] > 0:
            self._ratio = max(self._ratio * 0.9, loaded.nbytes / self._file_bytes[loaded.index])
        if loaded.index not in self.wanted and not (loaded.index == self._root and not self.covered):
            return False  # the camera moved on
        pinned = set(self.shown) | set(self.wanted) | {self._root}
        try:
            evicted = self.cache.admit(loaded.index, loaded, loaded.nbytes, pinned)
        except MemoryError:
            self.budget_bound = True
            self._pressure *= 1.5
            if self._camera is not None and not self._reselecting:
                self._reselecting = True  # select coarser at once (loads may come back inline)
                try:
                    self.update(self._camera)
                finally:
                    self._reselecting = False
            return False
        for t in evicted:
            self._remove_actors(t)
        if self.scheme is not None:
            for part in loaded.parts:
                self._colour_part(part)
        self._show()
        return True

    def _show(self) -> None:
        loaded = set(self.cache.items)
        # A tile that cannot be read stays a hole: a stand-in for it would hide its drawn siblings.
        show = covering(self.index, [t for t in self.wanted if t not in self.errors], loaded)
        for t in list(self.actors):
            if t not in show:
                self._set_visible(t, False)
        for t in show:
            if t not in self.actors:
                self._add_actors(t)
            self._set_visible(t, True)
        self.shown = show
        self._draw_nearest_first()

    def _draw_nearest_first(self) -> None:
        """Put the shown tiles' actors in the renderer's draw order nearest first.

        Opaque tiles drawn front to back let the depth test reject hidden fragments before they
        are shaded. Load order is history (where the camera was when each tile came in): drawn
        far first, a street-level frame took 1.2× the CPU (196 vs 159 ms, 200k city); the bench's
        scripted paths happen to load near first, so there the two orders measure the same. The
        actors swap places in the renderer's prop list (``ReplaceItem``): removing and re-adding
        one would drop its uploaded buffers.
        """
        if self.renderer is None or self._camera is None or len(self.shown) < 2:
            return
        pos = np.asarray(self._camera.position, np.float64)
        tiles = np.asarray(self.shown)
        nearest = np.clip(pos, self.index.lo[tiles], self.index.hi[tiles])
        order = tiles[np.argsort(np.linalg.norm(nearest - pos, axis=1), kind="stable")]
        wanted_order = [a for t in order.tolist() for a in self.actors.get(t, [])]
        props = self.renderer.GetViewProps()
        mine = {id(a) for a in wanted_order}
        slots = [i for i in range(props.GetNumberOfItems()) if id(props.GetItemAsObject(i)) in mine]
        if len(slots) != len(wanted_order):
            return
        current = [props.GetItemAsObject(i) for i in slots]
        if all(a is b for a, b in zip(current, wanted_order, strict=True)):
            return
        for i, actor in zip(slots, wanted_order, strict=True):
            props.ReplaceItem(i, actor)

    # ------------------------------------------------------------------ actors
    def _add_actors(self, tile: int) -> None:
        from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

        loaded: LoadedTile = self.cache.get(tile)
        actors = []
        for part in loaded.parts:
            mapper = vtkPolyDataMapper()
            mapper.SetInputData(part.polydata)
            self._configure_mapper(mapper)
            actor = vtkActor()
            actor.SetMapper(mapper)
            prop = actor.GetProperty()
            prop.SetInterpolationToFlat()
            prop.SetAmbient(self.theme.ambient)
            prop.SetDiffuse(self.theme.diffuse)
            prop.SetSpecular(self.theme.specular)
            # About 35 % less work a frame on software GL among towers (bench bigcity, street).
            prop.SetBackfaceCulling(part.cull_back_faces)
            if part.point_cloud:
                prop.SetPointSize(POINT_SIZE_PX)
            actor.SetPickable(False)
            if self.renderer is not None:
                self.renderer.AddActor(actor)
            actors.append(actor)
        self.actors[tile] = actors

    def _configure_mapper(self, mapper: Any) -> None:
        if self.scheme is None:
            mapper.SetScalarModeToUseCellFieldData()
            mapper.SelectColorArray("rgb")
            mapper.SetColorModeToDirectScalars()
            return
        mapper.SetScalarModeToUseCellFieldData()
        mapper.SelectColorArray(DISPLAY_ARRAY)
        mapper.SetColorModeToMapScalars()
        mapper.SetLookupTable(self._lut)
        mapper.SetUseLookupTableScalarRange(True)

    # ------------------------------------------------------------------ colour
    def _columns(self) -> dict[str, dict[str, Any]]:
        """Figures per column: the tileset's own (our builder), else from the tiles loaded so far."""
        ours = self.tileset.extras.get("controlroom", {}).get("columns", {}).get("buildings")
        if ours:
            return dict(ours)
        merged: dict[str, list[Any]] = {}
        for value, _size in self.cache.items.values():
            for part in value.parts:
                for key, col in part.features.items():
                    merged.setdefault(key, []).extend(col)
        return describe_table(merged)

    def color_by_options(self) -> list[str]:
        """Columns to colour by, in the map's order: height, type (if it varies), then the rest."""
        cols = self._columns()
        out = [c for c in ("height",) if c in cols]
        if "type" in cols and cols["type"].get("distinct", 0) > 1:
            out.append("type")
        skip = {"height", "type", "lod"}
        # An attribute named like a built-in column is stored as "attributes.<name>": the same thing.
        return out + [c for c in cols if c not in skip and c.removeprefix("attributes.") not in out]

    def set_color_by(self, name: str | None) -> None:
        """Colour every tile by a column on one tileset-wide scale; None or "surface" = by surface.

        Raises ``KeyError`` naming the columns there are, as the single-mesh map does.
        """
        if name in (None, "", "surface"):
            self.color_by, self.scheme = None, None
        else:
            assert name is not None
            cols = self._columns()
            if name not in cols:
                known = ", ".join(self.color_by_options()) or "none"
                raise KeyError(
                    f"cannot colour by '{name}': not an attribute of these tiles (available: {known})"
                )
            self.scheme = self._scheme(name, cols[name])
            self.color_by = name
            self._lut = self._make_lut(self.scheme)
            for value, _size in self.cache.items.values():
                for part in value.parts:
                    self._colour_part(part)
        for actors in self.actors.values():
            for a in actors:
                self._configure_mapper(a.GetMapper())
        self._update_legend()

    def _scheme(self, name: str, figures: dict[str, Any]) -> ColorScheme:
        from controlroom.render.city_visual import ColorScheme

        if figures["kind"] == "numeric":
            lo, hi = float(figures["min"]), float(figures["max"])
            if hi - lo < 1e-9:
                lo, hi = lo - 0.5, hi + 0.5
            return ColorScheme(name, "numeric", np.empty(0), (lo, hi))
        ranked = list(figures["counts"])
        cap = self.theme.max_categories
        many = len(ranked) > cap or figures.get("distinct", 0) > len(ranked)
        cats = (*ranked[: cap - 1], "other") if many else tuple(ranked)
        return ColorScheme(name, "categorical", np.empty(0), (-0.5, len(cats) - 0.5), cats)

    def _make_lut(self, scheme: ColorScheme) -> Any:
        legend = self._legend_visual()
        if scheme.kind == "numeric":
            return legend._numeric_lut(scheme)
        lut, _table = legend._categorical_lut(scheme)
        return lut

    def _colour_part(self, part: TilePart) -> None:
        from vtkmodules.util.numpy_support import numpy_to_vtk

        assert self.scheme is not None
        column = part.features.get(self.scheme.name, [])
        per_feature = codes(column, self.scheme.kind, self.scheme.categories)
        per_feature = np.concatenate([per_feature, [np.nan]])  # a feature id past the table: no value
        cells = per_feature[np.minimum(part.cell_feature, len(per_feature) - 1)].astype(np.float32)
        arr = numpy_to_vtk(cells, deep=True)
        arr.SetName(DISPLAY_ARRAY)
        part.polydata.GetCellData().AddArray(arr)
        part.polydata.Modified()

    def _legend_visual(self) -> CityVisual:
        if self._legend is None:
            from controlroom.core.city import CityLayer
            from controlroom.render.city_visual import CityVisual

            self._legend = CityVisual(CityLayer.empty("buildings"), self.theme)
            if self.renderer is not None:
                self.renderer.AddViewProp(self._legend.legend)
                self.renderer.AddViewProp(self._legend.category_legend)
        return self._legend

    def _update_legend(self) -> None:
        """The same colour bar / category list the single-mesh map shows."""
        scheme = self.scheme
        if scheme is None:
            if self._legend is not None:
                self._legend.legend.SetVisibility(False)
                self._legend.category_legend.SetVisibility(False)
            return
        legend = self._legend_visual()
        if scheme.kind == "numeric":
            span = scheme.value_range[1] - scheme.value_range[0]
            legend.legend.SetLookupTable(self._lut)
            legend.legend.SetTitle(f"{scheme.name} (m)" if scheme.name == "height" else scheme.name)
            legend.legend.SetLabelFormat("%.0f" if span >= 20 else "%.1f")
        else:
            _lut, table = legend._categorical_lut(scheme)
            legend._fill_category_legend(scheme, table)
        legend.legend.SetVisibility(scheme.kind == "numeric")
        legend.category_legend.SetVisibility(scheme.kind == "categorical")

    def _set_visible(self, tile: int, visible: bool) -> None:
        for a in self.actors.get(tile, []):
            a.SetVisibility(visible)

    def _remove_actors(self, tile: int) -> None:
        for a in self.actors.pop(tile, []):
            if self.renderer is not None:
                self.renderer.RemoveActor(a)

    def remove(self) -> None:
        for t in list(self.actors):
            self._remove_actors(t)
        if self._legend is not None and self.renderer is not None:
            self.renderer.RemoveViewProp(self._legend.legend)
            self.renderer.RemoveViewProp(self._legend.category_legend)

    # ------------------------------------------------------------------ figures
    @property
    def shown_triangles(self) -> int:
        return sum(
            len(p.triangles) for t in self.shown if t in self.cache for p in self.cache.items[t][0].parts
        )

    def status(self) -> dict[str, Any]:
        return {
            "tiles_shown": len(self.shown),
            "tiles_loading": len(self.pending),
            "triangles": self.shown_triangles,
            "bytes": self.cache.bytes,
            "budget": self.cache.budget,
            "budget_bound": self.budget_bound,
            "detail_capped": self.detail_capped,
            "sse": self.sse_in_use,
            "errors": sum(len(v) for v in self.errors.values()),
        }

    # ------------------------------------------------------------------ picking
    def pick_ray(self, origin: FloatArray, direction: FloatArray) -> TilePick | None:
        """The building under a ray, at whatever level of detail is drawn there.

        Tiles are visited nearest first and the search stops at the first tile the ray enters
        beyond the nearest hit; in a tile only the triangles of features whose box the ray
        passes through are tested (``FeatureBoxes``).
        """
        d = direction / (np.linalg.norm(direction) or 1.0)
        tiles = [t for t in self.shown if t in self.cache]
        if not tiles:
            return None
        entry, exit_ = _slab(origin, d, self.index.lo[tiles], self.index.hi[tiles])
        crossed = exit_ >= np.maximum(entry, 0.0)
        best: tuple[float, int, int, int] | None = None
        for j in np.argsort(entry):
            if not crossed[j]:
                continue
            if best is not None and entry[j] > best[0]:
                break
            t = tiles[int(j)]
            for k, part in enumerate(self.cache.items[t][0].parts):
                tri, dist = _ray_part(origin, d, part, best[0] if best else math.inf)
                if tri >= 0 and (best is None or dist < best[0]):
                    best = (dist, t, k, tri)
        if best is None:
            return None
        dist, t, k, tri = best
        point = origin + d * dist
        part = self.cache.items[t][0].parts[k]
        if not self.index.children[t]:
            feature = int(part.cell_feature[tri])
            record = {key: col[feature] for key, col in part.features.items()}
            shape = _feature_triangles(part, feature)
            return TilePick(t, self.index.level[t], record, tuple(float(v) for v in point), False, shape)  # type: ignore[arg-type]
        return self._resolve_coarse(t, k, origin, d, point, part, tri)

    def _resolve_coarse(
        self, t: int, k: int, origin: FloatArray, d: FloatArray, point: FloatArray, part: TilePart, tri: int
    ) -> TilePick:
        """A hit on a stand-in: the building the same ray hits in the leaf under the point."""
        leaf = t
        while self.index.children[leaf]:
            inside = [
                c
                for c in self.index.children[leaf]
                if (self.index.lo[c][:2] <= point[:2]).all() and (point[:2] <= self.index.hi[c][:2]).all()
            ]
            if not inside:
                break
            leaf = inside[0]
        fallback = int(part.cell_feature[tri])
        record = {key: col[fallback] for key, col in part.features.items()}
        shape = _feature_triangles(part, fallback)
        if leaf != t:
            # The leaf drawn elsewhere is in the cache; else it is decoded for this pick only (no VTK).
            leaf_parts = (
                self.cache.items[leaf][0].parts
                if leaf in self.cache
                else decode_parts(self.tileset, leaf, self.to_local)
            )
            for lp in leaf_parts[k : k + 1] or leaf_parts:
                hit, _ = _ray_part(origin, d, lp, math.inf)
                if hit >= 0:
                    f = int(lp.cell_feature[hit])
                else:  # the stand-in box was hit where no building stands: the nearest one
                    centres = np.zeros((max(lp.cell_feature.max() + 1, 1) if len(lp.cell_feature) else 1, 2))
                    tri_c = lp.points[lp.triangles[:, 0], :2]
                    np.add.at(centres, lp.cell_feature, tri_c)
                    counts = np.bincount(lp.cell_feature, minlength=len(centres))
                    centres /= np.maximum(counts, 1)[:, None]
                    f = int(np.argmin(np.linalg.norm(centres - point[:2], axis=1) + (counts == 0) * 1e18))
                record = {key: col[f] for key, col in lp.features.items()}
                shape = _feature_triangles(lp, f)
                break
        return TilePick(t, self.index.level[t], record, tuple(float(v) for v in point), True, shape)  # type: ignore[arg-type]


def _slab(
    origin: FloatArray, d: FloatArray, lo: npt.NDArray[Any], hi: npt.NDArray[Any]
) -> tuple[FloatArray, FloatArray]:
    """Where a ray enters and leaves each of the boxes ``lo``–``hi`` (N, 3); it crosses a box
    when ``exit >= max(entry, 0)``."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        inv = 1.0 / np.where(d == 0, 1e-300, d)
        t0, t1 = (np.asarray(lo) - origin) * inv, (np.asarray(hi) - origin) * inv
    return np.minimum(t0, t1).max(axis=-1), np.maximum(t0, t1).min(axis=-1)


def _ray_part(origin: FloatArray, d: FloatArray, part: TilePart, before: float) -> tuple[int, float]:
    """Nearest triangle of one tile part hit by the ray (through its feature boxes when it has them)."""
    if part.boxes is None:
        return ray_triangles(origin, d, part.points, part.triangles)
    cand = part.boxes.candidates(origin, d, before)
    if not len(cand):
        return -1, math.inf
    i, dist = ray_triangles(origin, d, part.points, part.triangles[cand])
    return (int(cand[i]), dist) if i >= 0 else (-1, math.inf)


def local_from_tileset(ts: Tileset, frame_crs: str, frame_origin: tuple[float, float, float]) -> FloatArray:
    """4×4 from the tileset frame to the site's local frame.

    Our own tilesets carry their ENU→ECEF root transform: its inverse is exact. Field tilesets are
    ECEF: the same construction at the site origin gives the local east/north/up frame.
    """
    from controlroom.geo.crs import LocalFrame
    from controlroom.geo.tiles.build import enu_to_ecef

    frame = LocalFrame(frame_crs, *frame_origin)
    m = np.asarray(enu_to_ecef(frame), np.float64).reshape(4, 4).T
    return np.asarray(np.linalg.inv(m), np.float64)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out
