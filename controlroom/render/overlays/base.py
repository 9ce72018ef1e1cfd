"""Shared machinery of the live map overlays: one merged mesh + actor, screen-space picking.

Every overlay is one ``pv.PolyData`` drawn by one actor whose arrays are replaced in place on
each refresh (the actor and mapper live as long as the map), coloured by a per-vertex RGBA
array so opacity (staleness) and status tint cost nothing extra. Moving things can be drawn on a
top renderer layer that shares the city's camera but not its depth buffer, so a vehicle in a
street canyon is never hidden behind the towers in front of it. Picking projects the items'
anchor points through the camera's matrix (numpy, no render) and takes the nearest within a
few pixels, which is what the eye expects of small glyphs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import numpy.typing as npt

from controlroom.render.hover_words import PLAIN, HoverWords
from controlroom.render.theme import plain_blending

if TYPE_CHECKING:
    from vtkmodules.vtkRenderingCore import vtkRenderer

F64 = npt.NDArray[np.float64]
U8 = npt.NDArray[np.uint8]
RGBA_ARRAY = "rgba"
_TOP_LAYER_ATTR = "_controlroom_overlay_layer"
_GROUND_ATTR = "_controlroom_ground"


def set_ground(plotter: Any, ground: Any) -> None:
    """The ground the city stands on (``geo.drape.Ground``, None: flat z = 0), for the overlays."""
    setattr(plotter, _GROUND_ATTR, ground)


def ground_height(plotter: Any, x: npt.ArrayLike, y: npt.ArrayLike) -> F64 | None:
    """Height of the drawn ground under each point, or None where the city is on flat ground."""
    ground = getattr(plotter, _GROUND_ATTR, None) if plotter is not None else None
    return None if ground is None else ground.height(x, y)


def rgb255(value: str) -> tuple[int, int, int]:
    """'#rrggbb' → (r, g, b) in 0..255."""
    v = value.lstrip("#")
    return int(v[0:2], 16), int(v[2:4], 16), int(v[4:6], 16)


def palette(colours: list[str]) -> U8:
    """A (k, 3) uint8 lookup table from hex colours, indexed by a model's code column."""
    return np.array([rgb255(c) for c in colours], np.uint8)


def main_renderer(plotter: Any) -> vtkRenderer:
    renderer = getattr(plotter, "renderer", None)
    return renderer if renderer is not None else plotter


def top_layer(plotter: Any) -> vtkRenderer:
    """A renderer above the city (own depth buffer, shared camera), created once per plotter."""
    layer = getattr(plotter, _TOP_LAYER_ATTR, None)
    if layer is not None:
        return layer
    from vtkmodules.vtkRenderingCore import vtkRenderer

    base = main_renderer(plotter)
    window = base.GetRenderWindow()
    layer = vtkRenderer()
    layer.SetActiveCamera(base.GetActiveCamera())
    layer.SetViewport(base.GetViewport())
    layer.InteractiveOff()
    plain_blending(layer)
    layer.SetLayer(window.GetNumberOfLayers())
    window.SetNumberOfLayers(window.GetNumberOfLayers() + 1)
    window.AddRenderer(layer)
    setattr(plotter, _TOP_LAYER_ATTR, layer)
    return layer


def release_top_layer(plotter: Any) -> None:
    """Remove the top layer once nothing is drawn on it any more."""
    layer = getattr(plotter, _TOP_LAYER_ATTR, None)
    if layer is None or layer.GetViewProps().GetNumberOfItems():
        return
    window = layer.GetRenderWindow()
    if window is not None:
        window.RemoveRenderer(layer)
    setattr(plotter, _TOP_LAYER_ATTR, None)


def project_points(plotter: Any, points: F64) -> F64:
    """World points (n, 3) → VTK display pixels (n, 2), origin bottom-left; NaN behind the camera.

    The vectorised form of ``picking.world_to_display``: one matrix product for all points.
    """
    pts = np.asarray(points, np.float64).reshape(-1, 3)
    if not len(pts):
        return np.zeros((0, 2))
    return project_xy(plotter, pts[:, 0], pts[:, 1], pts[:, 2])


def project_xy(plotter: Any, x: F64, y: F64, z: F64 | float) -> F64:
    """``project_points`` for coordinate columns (z may be one height for all): no (n, 3) copy."""
    renderer = main_renderer(plotter)
    camera = renderer.GetActiveCamera()
    aspect = renderer.GetTiledAspectRatio()
    vtk_matrix = camera.GetCompositeProjectionTransformMatrix(aspect, -1.0, 1.0)
    m = np.array([[vtk_matrix.GetElement(i, j) for j in range(4)] for i in range(4)])

    def row(i: int) -> F64:
        return x * m[i, 0] + y * m[i, 1] + (z * m[i, 2] + m[i, 3])

    w = row(3)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_w = np.where(w > 0, 1.0 / w, np.nan)
    width, height = renderer.GetRenderWindow().GetActualSize()
    vx0, vy0, vx1, vy1 = renderer.GetViewport()
    out = np.empty((len(w), 2))
    out[:, 0] = (row(0) * inv_w + 1.0) * (0.5 * (vx1 - vx0) * width) + vx0 * width
    out[:, 1] = (row(1) * inv_w + 1.0) * (0.5 * (vy1 - vy0) * height) + vy0 * height
    return out


def nearest_on_screen(plotter: Any, points: F64, x_px: float, y_px: float, radius_px: float) -> int | None:
    """Index of the point drawn nearest (x, y), within ``radius_px``, or None."""
    if not len(points):
        return None
    display = project_points(plotter, points)
    d2 = (display[:, 0] - x_px) ** 2 + (display[:, 1] - y_px) ** 2
    d2 = np.where(np.isnan(d2), np.inf, d2)
    best = int(np.argmin(d2))
    return best if d2[best] <= radius_px * radius_px else None


def camera_distance(plotter: Any) -> float:
    """Camera to focal point, metres: the scale glyphs follow to stay a readable size on screen."""
    camera = main_renderer(plotter).GetActiveCamera()
    return float(camera.GetDistance())


def _viewport_px(renderer: Any, horizontal: bool) -> float:
    width, height = renderer.GetSize()
    size = width if horizontal else height
    return float(size) if size > 0 else FALLBACK_VIEWPORT_PX


FALLBACK_VIEWPORT_PX = 800.0  # a renderer not yet shown reports 0 × 0


def metres_per_pixel(plotter: Any, points: F64 | None = None) -> F64:
    """Ground metres one screen pixel spans at each point's depth (at the focal point if None).

    What screen-sized glyphs multiply their size in pixels by: a glyph 12 px tall near the
    horizon and one at the bottom of an oblique view then look the same size, and both keep it
    from the overview down to a street. Perspective: 2·depth·tan(angle/2) / viewport pixels;
    parallel projection: 2·parallel scale / viewport pixels.
    """
    renderer = main_renderer(plotter)
    camera = renderer.GetActiveCamera()
    horizontal = bool(camera.GetUseHorizontalViewAngle())
    pixels = _viewport_px(renderer, horizontal)
    if camera.GetParallelProjection():
        n = 1 if points is None else len(points)
        return np.full(n, 2.0 * camera.GetParallelScale() / pixels)
    if points is None:
        depth = np.array([camera.GetDistance()], np.float64)
    else:
        pts = np.asarray(points, np.float64).reshape(-1, 3)
        direction = np.array(camera.GetDirectionOfProjection())
        depth = (pts - np.array(camera.GetPosition())) @ direction
    depth = np.maximum(depth, 1.0)  # behind or at the eye: keep a tiny, finite size
    return depth * (2.0 * np.tan(np.radians(camera.GetViewAngle()) / 2.0) / pixels)


class ViewWatch:
    """Tells whether the camera moved enough since the last look to re-size screen-sized glyphs.

    The map's clock asks 4 times a second; re-sizing 50,000 glyphs when nothing moved would be
    wasted, so the eye position, focal point, view angle and viewport size are compared, with a
    tolerance of ``tolerance`` × the camera distance (a glyph's size changes < 1 % below that).
    """

    def __init__(self, tolerance: float = 0.01) -> None:
        self.tolerance = tolerance
        self._last: F64 | None = None

    @staticmethod
    def state(plotter: Any) -> F64:
        renderer = main_renderer(plotter)
        camera = renderer.GetActiveCamera()
        return np.array(
            [*camera.GetPosition(), *camera.GetFocalPoint(), camera.GetViewAngle(),
             camera.GetParallelScale(), *renderer.GetSize()],
            np.float64,
        )  # fmt: skip

    def moved(self, plotter: Any) -> bool:
        """True (and remembered) when the view differs from the last call's; False otherwise."""
        now = self.state(plotter)
        last = self._last
        if last is not None:
            tol = self.tolerance * max(float(np.linalg.norm(now[:3] - now[3:6])), 1.0)
            same_place = np.abs(now[:6] - last[:6]).max() <= tol
            same_lens = np.allclose(now[6:], last[6:], rtol=1e-3)
            if same_place and same_lens:
                return False
        self._last = now
        return True

    def forget(self) -> None:
        self._last = None


class MeshOverlay:
    """One merged PolyData + actor with per-vertex RGBA; subclasses fill it in ``refresh``."""

    key: str = "overlay"
    on_top: ClassVar[bool] = False  # draw above the city (own depth buffer)
    default_visible: ClassVar[bool] = True
    pick_radius_px: ClassVar[float] = 14.0
    #: heights are above the ground (glyphs, columns, routes): lifted onto the terrain, if any
    on_ground: ClassVar[bool] = True

    def __init__(self, title: str) -> None:
        import pyvista as pv

        self.title = title
        self.mesh = pv.PolyData()
        self.actor = self._make_actor()
        self.actor.SetVisibility(self.default_visible)
        self.plotter: Any = None
        self._renderer: Any = None
        #: Anchor points (n, 3) and ids of the items drawn, for picking; subclasses keep them current.
        self.anchors: F64 = np.zeros((0, 3))
        self.item_ids: list[str] = []
        self.pickable_mask: npt.NDArray[np.bool_] | None = None

    def _make_actor(self) -> Any:
        from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

        mapper = vtkPolyDataMapper()
        mapper.SetInputData(self.mesh)
        mapper.SetColorModeToDirectScalars()
        mapper.SetScalarModeToUsePointFieldData()
        mapper.SelectColorArray(RGBA_ARRAY)
        mapper.ScalarVisibilityOn()
        actor = vtkActor()
        actor.SetMapper(mapper)
        actor.SetPickable(False)
        self._style(actor.GetProperty())
        return actor

    def _style(self, prop: Any) -> None:
        """Flat, unlit colours by default (glyphs); 3D columns override to keep shading."""
        prop.LightingOff()

    # ---------------------------------------------------------------- MapOverlay
    def attach(self, plotter: Any) -> None:
        if self.plotter is not None:
            return
        self.plotter = plotter
        self._renderer = top_layer(plotter) if self.on_top else main_renderer(plotter)
        self._renderer.AddActor(self.actor)

    def detach(self, plotter: Any) -> None:
        if self._renderer is not None:
            self._renderer.RemoveActor(self.actor)
        if self.on_top and self.plotter is not None:
            release_top_layer(self.plotter)
        self.plotter = None
        self._renderer = None

    def set_visible(self, visible: bool) -> None:
        self.actor.SetVisibility(bool(visible))

    def is_visible(self) -> bool:
        return bool(self.actor.GetVisibility())

    def refresh(self, now: float) -> bool:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def pick(self, plotter: Any, x_px: float, y_px: float) -> str | None:
        if not self.is_visible() or not len(self.item_ids):
            return None
        anchors, ids = self.anchors, self.item_ids
        if self.pickable_mask is not None:
            keep = np.flatnonzero(self.pickable_mask)
            anchors = anchors[keep]
            ids = [ids[i] for i in keep]
        if self.on_ground and len(anchors):
            lift = ground_height(plotter, anchors[:, 0], anchors[:, 1])
            if lift is not None:
                anchors = anchors + np.column_stack([np.zeros((len(lift), 2)), lift])
        index = nearest_on_screen(plotter, anchors, x_px, y_px, self.pick_radius_px)
        return None if index is None else ids[index]

    def describe(self, item_id: str, words: HoverWords = PLAIN) -> str:
        return item_id

    # ---------------------------------------------------------------- helpers
    def _set_geometry(
        self,
        points: npt.NDArray[np.floating],
        rgba: U8,
        *,
        faces: Any = None,
        lines: Any = None,
        verts: Any = None,
    ) -> None:
        """Swap the mesh's arrays for new ones (same PolyData, same actor); cells passed as None stay."""
        import pyvista as pv

        mesh = self.mesh
        if not len(points):
            mesh.SetPoints(pv.vtk_points(np.zeros((0, 3)), deep=False))
            mesh.SetPolys(pv.CellArray())
            mesh.SetLines(pv.CellArray())
            mesh.SetVerts(pv.CellArray())
            mesh.point_data.clear()
            mesh.Modified()
            return
        lift = ground_height(self.plotter, points[:, 0], points[:, 1]) if self.on_ground else None
        if lift is not None:  # the city stands on its terrain: so does what is drawn on it
            points = np.array(points, np.float32)
            points[:, 2] += lift
        mesh.points = np.ascontiguousarray(points, np.float32)
        if faces is not None:
            mesh.faces = faces
        if lines is not None:
            mesh.lines = lines
        if verts is not None:
            mesh.verts = verts
        mesh.point_data.set_array(np.ascontiguousarray(rgba, np.uint8), RGBA_ARRAY)  # type: ignore[arg-type]
        mesh.Modified()
