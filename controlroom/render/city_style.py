"""The city style: buildings shaded by height with lit roofs and a subtle roof edge.

A city of one flat grey reads as a texture, not as blocks and towers. Here every building gets
a colour from a dark-to-bright ramp by its height (low blocks recede into the dark ground, the
towers glow), and each surface class shifts that colour: roofs are lifted towards white (lit
from above), walls darker, floors and closures darker still. Both are folded into ONE lookup
table indexed by ``band * n_surfaces + surface``, so the city stays one actor with one scalar
array and colour changes only swap the table (no per-frame cost). Roof outlines are one merged
line mesh per layer, built once from the roof triangles' boundary edges (numpy, no VTK filter).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from controlroom.core.city import CityLayer, Surface

if TYPE_CHECKING:
    import pyvista as pv

    from controlroom.render.theme import SceneLight

N_SURFACES = max(int(s) for s in Surface) + 1
HEIGHT_BANDS = 48
# dark navy for low blocks → steel blue → cyan → pale ice for the tallest towers
HEIGHT_RAMP: tuple[tuple[float, str], ...] = (
    (0.0, "#1b2840"),
    (0.25, "#284b73"),
    (0.5, "#2f7fb0"),
    (0.75, "#48c0e0"),
    (1.0, "#e6fbff"),
)
# (scale, lift towards white) per surface class: lit roofs, shaded walls
SURFACE_SHADE: dict[int, tuple[float, float]] = {
    int(Surface.UNKNOWN): (0.9, 0.0),
    int(Surface.GROUND): (0.45, 0.0),
    int(Surface.WALL): (0.82, 0.0),
    int(Surface.ROOF): (1.0, 0.2),
    int(Surface.CLOSURE): (0.6, 0.0),
    int(Surface.TERRAIN): (0.5, 0.0),
    int(Surface.OTHER): (0.9, 0.0),
}


def _hex(value: str) -> npt.NDArray[np.float64]:
    v = value.lstrip("#")
    return np.array([int(v[i : i + 2], 16) for i in (0, 2, 4)], np.float64)


def ramp(stops: tuple[tuple[float, str], ...], n: int) -> npt.NDArray[np.float64]:
    """(n, 3) colours 0..255 interpolated along ``stops`` (position 0..1, '#rrggbb')."""
    pos = np.array([p for p, _ in stops])
    rgb = np.array([_hex(c) for _, c in stops])
    t = np.linspace(0.0, 1.0, n)
    return np.column_stack([np.interp(t, pos, rgb[:, i]) for i in range(3)])


def height_bands(heights: list[float | None], n: int = HEIGHT_BANDS) -> npt.NDArray[np.int64]:
    """Band 0..n-1 per object on a log scale from the 2nd height percentile to the tallest (a log
    scale keeps 6-40 m blocks apart while a 400 m tower still tops the ramp); unknown → band 0."""
    h = np.array([np.nan if v is None else float(v) for v in heights], np.float64)
    known = h[np.isfinite(h) & (h > 0)]
    if not len(known):
        return np.zeros(len(h), np.int64)
    lo, hi = np.log(np.percentile(known, 2.0)), np.log(float(known.max()))
    scaled = (np.log(np.where(np.isfinite(h) & (h > 0), h, np.exp(lo))) - lo) / max(hi - lo, 1e-6)
    return np.clip(np.round(scaled * (n - 1)), 0, n - 1).astype(np.int64)


def shaded_table(band_rgb: npt.NDArray[np.float64]) -> npt.NDArray[np.uint8]:
    """(bands × surfaces, 4) RGBA: each band's colour as each surface class shows it."""
    table = np.zeros((len(band_rgb) * N_SURFACES, 4), np.uint8)
    for surface in range(N_SURFACES):
        scale, lift = SURFACE_SHADE.get(surface, (0.9, 0.0))
        rgb = band_rgb * scale
        rgb = rgb + (255.0 - rgb) * lift
        table[surface::N_SURFACES, :3] = np.clip(np.round(rgb), 0, 255)
    table[:, 3] = 255
    return table


def shaded_display(
    bands: npt.NDArray[np.int64], cell_object: Any, cell_surface: Any
) -> npt.NDArray[np.float32]:
    """Per-cell index into :func:`shaded_table`: the object's band and the cell's surface class."""
    band = bands[np.asarray(cell_object, np.intp)] if len(bands) else np.zeros(len(cell_surface), np.int64)
    return (band * N_SURFACES + np.asarray(cell_surface, np.int64)).astype(np.float32)


def outlined_roofs(layer: CityLayer, min_quantile: float = 0.0) -> npt.NDArray[np.intp]:
    """Indices of the roof triangles of the buildings at or above the ``min_quantile`` height."""
    surface = np.asarray(layer.cell_surface)
    keep = surface == int(Surface.ROOF)
    heights = np.array([np.nan if h is None else float(h) for h in layer.objects.heights], np.float64)
    if min_quantile > 0 and np.isfinite(heights).any():
        cut = float(np.nanquantile(heights, min_quantile))
        tall = np.nan_to_num(heights, nan=-1.0) >= cut
        keep &= tall[np.asarray(layer.cell_object, np.intp)]
    return np.flatnonzero(keep)


def typical_roof_m(layer: CityLayer, roofs: npt.NDArray[np.intp]) -> float:
    """The median width (m) of the roofs the triangles ``roofs`` belong to (the longer side of
    each building's roof box): what an outline's level of detail compares with a pixel."""
    if not len(roofs):
        return 0.0
    objects = np.asarray(layer.cell_object, np.intp)[roofs]
    corners = np.asarray(layer.points, np.float64)[np.asarray(layer.triangles, np.int64)[roofs]]
    n = int(objects.max()) + 1
    lo = np.full((n, 2), np.inf)
    hi = np.full((n, 2), -np.inf)
    for k in range(3):
        np.minimum.at(lo, objects, corners[:, k, :2])
        np.maximum.at(hi, objects, corners[:, k, :2])
    seen = np.isfinite(lo[:, 0])
    return float(np.median((hi[seen] - lo[seen]).max(axis=1)))


def roof_outline(
    layer: CityLayer, lift_m: float = 0.15, min_quantile: float = 0.0, max_edges: int = 0
) -> pv.PolyData:
    """The outline of roofs as one line mesh: roof-triangle edges used only once.

    An edge inside a roof is shared by two of its triangles; the outline edges are not. Lifted
    a little so the line wins the depth test against its own roof. Lines cost frame time on
    software GL like triangles do, so only buildings at or above the ``min_quantile`` height
    are outlined (the towers and tall blocks whose shape matters), and none when the outline
    would exceed ``max_edges`` (a streamed million-building city), if given.
    """
    import pyvista as pv

    roof = outlined_roofs(layer, min_quantile)
    if not len(roof):
        return pv.PolyData()
    tris = np.asarray(layer.triangles, np.int64)[roof]
    edges = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    edges.sort(axis=1)
    key = edges[:, 0] * len(layer.points) + edges[:, 1]  # one int64 per undirected edge
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    outline = edges[first[counts == 1]]
    if max_edges and len(outline) > max_edges:
        return pv.PolyData()
    if not len(outline):
        return pv.PolyData()
    used, inverse = np.unique(outline, return_inverse=True)
    points = np.asarray(layer.points, np.float64)[used].copy()
    points[:, 2] += lift_m
    lines = np.column_stack([np.full(len(outline), 2, np.int64), inverse.reshape(-1, 2)]).ravel()
    return pv.PolyData(points, lines=lines)


def outward_wound(layer: CityLayer, share: float = 0.98) -> bool:
    """Whether the layer's triangles all face outwards, so back faces can be culled.

    Culling skips rasterising every wall turned away from the camera (about 15 % of a city
    frame on software GL). It is safe when the winding is consistent (no directed edge is used
    twice, so neighbours agree) and anchored (roofs face up and share their vertices with the
    walls, so the walls agree with the roofs). Footprints extruded by ``geo.extrude`` qualify; a
    CityJSON file with mixed winding does not, and is drawn both-sided, so no wall disappears.
    """
    tris = np.asarray(layer.triangles, np.int64)
    surface = np.asarray(layer.cell_surface)
    roofs = surface == int(Surface.ROOF)
    if len(tris) < 2 or roofs.sum() < 1 or (surface == int(Surface.WALL)).sum() < 1:
        return False
    pts = np.asarray(layer.points, np.float64)
    a, b, c = (pts[tris[roofs, k]] for k in range(3))
    if (np.cross(b - a, c - a)[:, 2] > 0).mean() < share:
        return False
    key = tris.ravel() * len(pts) + np.roll(tris, -1, axis=1).ravel()  # directed edges a→b
    key.sort()
    if (key[1:] == key[:-1]).any():
        return False  # a directed edge used twice: two neighbours disagree
    on_roof = np.zeros(len(pts), bool)
    on_wall = np.zeros(len(pts), bool)
    on_roof[tris[roofs].ravel()] = True
    on_wall[tris[surface == int(Surface.WALL)].ravel()] = True
    return bool((on_roof & on_wall).sum() >= share * on_roof.sum())


# layers seen only from above (height fields): their faces' normals point up, whatever the winding
HEIGHTFIELD_KINDS = ("terrain", "water", "landuse", "roads")
# the view the specular term is baked for: the overview's (``render.overview``: north, 50° down)
BAKE_VIEW_AZIMUTH_DEG = 0.0
BAKE_VIEW_ELEVATION_DEG = 50.0


def face_normals(
    points: npt.ArrayLike, triangles: npt.ArrayLike, up: bool = False
) -> npt.NDArray[np.float64]:
    """(n, 3) unit normals of the triangles by their winding (zero for degenerate ones); ``up``
    turns each to the sky (a height field is only seen from above)."""
    pts = np.asarray(points, np.float64)
    tris = np.asarray(triangles, np.int64).reshape(-1, 3)
    a, b, c = pts[tris[:, 0]], pts[tris[:, 1]], pts[tris[:, 2]]
    n = np.cross(b - a, c - a)
    length = np.linalg.norm(n, axis=1, keepdims=True)
    n = np.divide(n, length, out=np.zeros_like(n), where=length > 0)
    if up:
        n[n[:, 2] < 0] *= -1.0
    return n


def _towards(azimuth_deg: float, elevation_deg: float) -> npt.NDArray[np.float64]:
    """Unit vector towards a compass direction and height (0° = north, 90° = east)."""
    az, el = np.radians(azimuth_deg), np.radians(elevation_deg)
    return np.array([np.sin(az) * np.cos(el), np.cos(az) * np.cos(el), np.sin(el)])


def _rgb01(value: str) -> npt.NDArray[np.float64]:
    return _hex(value) / 255.0


class BakedLight:
    """The theme's scene lights worked out once per face, so the city is drawn unlit.

    Lit, a software renderer runs the lighting model (three lights) for every pixel of every
    building in every frame: about a third of a frame of the sample district on llvmpipe. The
    lights are fixed to the scene and the faces are flat, so each face's light is a constant:
    ``colour × scale + specular colour × shine``, VTK's own terms (ambient + diffuse × Σ max(0, n·l)
    × light colour, plus the specular highlight worked out for the overview's view direction
    instead of each pixel's: a difference of a few levels at most).
    """

    def __init__(
        self,
        normals: npt.NDArray[np.float64],
        lights: tuple[SceneLight, ...],
        ambient: float,
        diffuse: float,
        specular: float,
        specular_power: float = 1.0,
    ) -> None:
        view = _towards(BAKE_VIEW_AZIMUTH_DEG + 180.0, BAKE_VIEW_ELEVATION_DEG)  # towards the eye
        lit = np.zeros((len(normals), 3))
        shine = np.zeros((len(normals), 3))
        for light in lights:
            towards = _towards(light.azimuth_deg, light.elevation_deg)
            colour = _rgb01(light.color) * light.intensity
            facing = normals @ towards
            lit += np.maximum(facing, 0.0)[:, None] * colour
            reflected = 2.0 * facing[:, None] * normals - towards
            gloss = np.maximum(reflected @ view, 0.0) ** specular_power
            shine += np.where(facing > 0, gloss, 0.0)[:, None] * colour
        self.scale = (ambient + diffuse * lit).astype(np.float32)
        self.shine = (specular * shine).astype(np.float32)

    def __len__(self) -> int:
        return len(self.scale)

    def apply(self, rgb: npt.ArrayLike, specular_rgb: npt.ArrayLike = 255.0) -> npt.NDArray[np.uint8]:
        """(n, 3) uint8 lit colours of faces whose surface colour is ``rgb`` ((n, 3) or (3,),
        0..255); the highlight takes ``specular_rgb`` (VTK: white, or a flat colour set on the
        actor, since ``SetColor`` sets the specular colour too)."""
        base = np.asarray(rgb, np.float32)
        lit = base * self.scale + self.shine * np.asarray(specular_rgb, np.float32)
        return np.clip(np.round(lit), 0, 255).astype(np.uint8)


def bake_light_for(layer: CityLayer, theme: Any, culled: bool) -> BakedLight | None:
    """The baked light of a layer whose faces' outward side is known, else None (drawn lit).

    Known: a consistently outward-wound mesh (``culled``, the buildings of ``geo.extrude``) or a
    height field (terrain, water ...). A CityJSON file with mixed winding stays lit: VTK turns
    each face to the camera, which a bake cannot do.
    """
    if not getattr(theme, "bake_lighting", False) or not layer.n_triangles:
        return None
    if not culled and layer.kind not in HEIGHTFIELD_KINDS:
        return None
    normals = face_normals(layer.points, layer.triangles, up=not culled)
    return BakedLight(normals, theme.lights, theme.ambient, theme.diffuse, theme.specular)
