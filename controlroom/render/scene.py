"""A whole city on any pyvista plotter: ground, layers, lights, camera bookmarks, pick and highlight.

The scene is the one adapter between a ``CityModel`` and a plotter, used alike by the Qt map
panel (``QtInteractor``) and the off-screen snapshot command (``pv.Plotter(off_screen=True)``).
It only reads the model. It never renders by itself: callers decide when a frame is drawn
(a Qt ``update()`` or a screenshot), so several changes cost one render.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from controlroom.core.city import CityModel
from controlroom.render.city_visual import CityVisual, LegendWords
from controlroom.render.line_visual import LineVisual, PointVisual, boundary_level
from controlroom.render.overlays.base import set_ground
from controlroom.render.picking import Picker, PickResult
from controlroom.render.theme import (
    DEFAULT_THEME,
    CityTheme,
    PlotterLike,
    apply_lighting,
    hex_rgb,
    plain_blending,
)

if TYPE_CHECKING:
    import numpy.typing as npt

    from controlroom.core.site import View

# the layer that "colour by" and the attribute list refer to
BUILDINGS = "buildings"


class WgsFrame(Protocol):
    """What fly_to_view needs from controlroom.geo.crs.LocalFrame (render does not import geo)."""

    def from_wgs84(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[Any, Any]: ...


def camera_pose(
    focal: tuple[float, float, float], distance: float, azimuth_deg: float, elevation_deg: float
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """Camera position and view-up for looking at ``focal``.

    ``azimuth_deg`` is the compass heading the camera faces (0 = looking north, 90 = east);
    ``elevation_deg`` is the angle above the horizon it looks down from (90 = straight down).
    """
    az, el = math.radians(azimuth_deg), math.radians(elevation_deg)
    forward = (math.sin(az) * math.cos(el), math.cos(az) * math.cos(el), -math.sin(el))
    position = (
        focal[0] - forward[0] * distance,
        focal[1] - forward[1] * distance,
        focal[2] - forward[2] * distance,
    )
    view_up = (math.sin(az) * math.sin(el), math.cos(az) * math.sin(el), math.cos(el))
    return position, view_up


class CityScene:
    """Adds a ``CityModel`` to a plotter and drives its camera, colouring, selection and picking."""

    def __init__(self, plotter: PlotterLike, model: CityModel, theme: CityTheme = DEFAULT_THEME) -> None:
        self.plotter = plotter
        self.model = model
        self.theme = theme
        self.city_visuals: dict[str, CityVisual] = {
            kind: CityVisual(layer, theme) for kind, layer in model.layers.items() if layer.n_triangles
        }
        self.line_visuals: dict[str, LineVisual] = {
            kind: LineVisual(layer, theme) for kind, layer in model.lines.items() if layer.n_lines
        }
        self.point_visuals: dict[str, PointVisual] = {
            kind: PointVisual(layer, theme) for kind, layer in model.points.items() if layer.n_points
        }
        self.picker = Picker({kind: v.mesh for kind, v in self.city_visuals.items()})
        set_ground(plotter, getattr(model, "ground", None))  # the live overlays stand on the terrain too
        self._selection: tuple[str, int] | None = None
        for visual in self._all_visuals():
            visual.add_to(plotter)
        # Drawn after the city (same picture): the depth test then skips the ground's pixels under
        # terrain and buildings before shading them, ~8 % of a software-rendered static frame.
        self.ground_actor = self._add_ground()
        plotter.set_background(hex_rgb(theme.background_bottom), top=hex_rgb(theme.background_top))
        apply_lighting(plotter, theme)
        renderer = getattr(plotter, "renderer", None)
        if renderer is not None:
            plain_blending(renderer)
        self.reset_camera()

    def _all_visuals(self) -> list[CityVisual | LineVisual | PointVisual]:
        return [*self.city_visuals.values(), *self.line_visuals.values(), *self.point_visuals.values()]

    # ------------------------------------------------------------------ ground
    def _extent(self) -> tuple[float, float, float, float, float, float]:
        """Bounds over meshes, lines and points; a unit box around the origin for an empty model."""
        chunks = [layer.points for layer in self.model.layers.values() if len(layer.points)]
        chunks += [layer.points for layer in self.model.lines.values() if len(layer.points)]
        chunks += [layer.points for layer in self.model.points.values() if len(layer.points)]
        extra = getattr(self, "extra_bounds", None)  # streamed tiles (the model holds no mesh of them)
        if extra is not None:
            x0, x1, y0, y1, z0, z1 = extra
            chunks.append(np.array([[x0, y0, z0], [x1, y1, z1]]))
        if not chunks:
            return (-50.0, 50.0, -50.0, 50.0, 0.0, 10.0)
        lo = np.min([c.min(axis=0) for c in chunks], axis=0)
        hi = np.max([c.max(axis=0) for c in chunks], axis=0)
        return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]), float(lo[2]), float(hi[2]))

    def _add_ground(self) -> Any:
        import pyvista as pv

        xmin, xmax, ymin, ymax, zmin, _ = self._extent()
        size = max(xmax - xmin, ymax - ymin, 100.0)
        margin = size * self.theme.ground_margin_fraction
        plane = pv.Plane(
            center=((xmin + xmax) / 2, (ymin + ymax) / 2, min(zmin, 0.0) - 0.05),
            direction=(0, 0, 1),
            i_size=xmax - xmin + 2 * margin,
            j_size=ymax - ymin + 2 * margin,
            i_resolution=1,
            j_resolution=1,
        )
        color: tuple[float, ...] = hex_rgb(self.theme.ground)
        ambient, diffuse = 0.35, 0.6
        if self.theme.bake_lighting:  # a flat plane under fixed lights is one colour: baked once
            from controlroom.render.city_style import BakedLight

            light = BakedLight(np.array([[0.0, 0.0, 1.0]]), self.theme.lights, ambient, diffuse, 0.0)
            color = tuple(float(c) / 255.0 for c in light.apply(np.array(color) * 255.0)[0])
            ambient, diffuse = 1.0, 0.0  # unlit, VTK still scales the colour by ambient + diffuse
        actor = self.plotter.add_mesh(
            plane,
            color=color,
            ambient=ambient,
            diffuse=diffuse,
            specular=0.0,
            lighting=not self.theme.bake_lighting,
            pickable=False,
            reset_camera=False,
            name="ground",
            render=False,
        )
        return actor

    # ------------------------------------------------------------------ layers
    def layer_keys(self) -> list[str]:
        """Every toggleable layer: city layers, line layers ('roads', 'boundary:district' ...), points."""
        return [*self.city_visuals, *self.line_visuals, *self.point_visuals]

    def boundary_levels(self) -> list[str]:
        return [lvl for k in self.line_visuals if (lvl := boundary_level(k)) is not None]

    def is_layer_visible(self, key: str) -> bool:
        visual = self._visual(key)
        return visual.visible

    def set_layer_visible(self, key: str, visible: bool) -> None:
        self._visual(key).set_visible(visible)
        if key in self.city_visuals:
            self.picker.set_enabled(key, visible)

    def _visual(self, key: str) -> CityVisual | LineVisual | PointVisual:
        for group in (self.city_visuals, self.line_visuals, self.point_visuals):
            if key in group:
                return group[key]
        raise KeyError(f"no layer '{key}' in this city (layers: {', '.join(self.layer_keys()) or 'none'})")

    # ------------------------------------------------------------------ colour
    def color_by_options(self) -> list[str]:
        visual = self.city_visuals.get(BUILDINGS)
        return visual.color_by_options() if visual else []

    @property
    def color_by(self) -> str | None:
        visual = self.city_visuals.get(BUILDINGS)
        return visual.color_by if visual else None

    def set_legend_words(self, words: LegendWords) -> None:
        """Name the colour legend's columns in the UI's language (and its font), from now on."""
        for visual in self.city_visuals.values():
            visual.words = words

    def set_color_by(self, name: str | None) -> None:
        """Colour the buildings by a column (None = by surface); other layers keep their colour."""
        visual = self.city_visuals.get(BUILDINGS)
        if visual is None:
            if name not in (None, "", "surface"):
                raise KeyError(f"cannot colour by '{name}': this city has no buildings layer")
            return
        visual.set_color_by(name)

    # ------------------------------------------------------------------ selection
    @property
    def selection(self) -> tuple[str, int] | None:
        return self._selection

    def highlight(self, layer_kind: str | None, object_index: int | None = None) -> None:
        """Highlight one object (clearing any other); ``highlight(None)`` clears the selection."""
        for kind, visual in self.city_visuals.items():
            visual.highlight(object_index if kind == layer_kind else None)
        ok = layer_kind in self.city_visuals and object_index is not None
        self._selection = (layer_kind, object_index) if ok else None  # type: ignore[assignment]

    def pick(self, x_px: float, y_px: float) -> PickResult | None:
        """The object under a display pixel (VTK convention: origin bottom-left, device pixels)."""
        return self.picker.pick(self.plotter, x_px, y_px)

    # ------------------------------------------------------------------ camera
    def _set_camera(self, focal: tuple[float, float, float], distance: float, az: float, el: float) -> None:
        position, view_up = camera_pose(focal, distance, az, el)
        camera = self.plotter.camera
        camera.focal_point = focal
        camera.position = position
        camera.up = view_up
        self.plotter.renderer.ResetCameraClippingRange()

    def reset_camera(self, size: tuple[int, int] | None = None) -> None:
        """An oblique overview, looking north, in which the city fills the map (``render.overview``).

        ``size`` is the map's size in pixels when the caller knows it before VTK does (a resize).
        """
        from controlroom.render.overview import fit_overview

        width, height = size or self.viewport_size()
        # A streamed (tiled) city has no mesh here: its extent's own towers rule (``fit_overview``);
        # the tile streamer's triangle cap keeps the framed overview's frames light.
        streamed = getattr(self, "extra_bounds", None) is not None
        pose = fit_overview(
            self._extent(),
            float(self.plotter.camera.view_angle),
            width / max(height, 1),
            tops=None if streamed else self._tops(),
        )
        self._set_camera(pose.focal, pose.distance, pose.azimuth_deg, pose.elevation_deg)
        self._overview_camera = self._camera_tuple()

    def _tops(self) -> npt.NDArray[np.float64] | None:
        """The highest points of the city's meshes (at most ~2,000), which the overview keeps in view."""
        chunks = [layer.points for layer in self.model.layers.values() if len(layer.points)]
        if not chunks:
            return None
        points = np.concatenate(chunks)
        high = points[points[:, 2] >= np.percentile(points[:, 2], 99.0)]
        return np.asarray(high[:: max(1, len(high) // 2000)], np.float64)

    def viewport_size(self) -> tuple[int, int]:
        """The main renderer's size in pixels (the window's before the first render)."""
        renderer = getattr(self.plotter, "renderer", None)
        size = tuple(renderer.GetSize()) if renderer is not None else (0, 0)
        if not size[0] or not size[1]:
            size = tuple(getattr(self.plotter, "window_size", (1024, 768)))
        return int(size[0]) or 1024, int(size[1]) or 768

    def _camera_tuple(self) -> tuple[float, ...]:
        camera = self.plotter.camera
        return (*map(float, camera.position), *map(float, camera.focal_point))

    def at_overview(self) -> bool:
        """Whether the camera is still where the last overview put it (so a resize may refit it)."""
        last = getattr(self, "_overview_camera", None)
        return last is not None and np.allclose(last, self._camera_tuple(), rtol=0, atol=1e-3)

    def focus_on(self, x: float, y: float, distance_m: float, azimuth_deg: float | None = None) -> None:
        """Look at a local-frame point from ``distance_m``, keeping the current heading by default."""
        az = self.camera_state()["azimuth_deg"] if azimuth_deg is None else azimuth_deg
        self._set_camera((float(x), float(y), 0.0), float(distance_m), float(az), 45.0)

    def camera_state(self) -> dict[str, float]:
        """Focal point, distance, compass heading and elevation: what push-to-wall sends."""
        camera = self.plotter.camera
        fx, fy, fz = camera.focal_point
        px, py, pz = camera.position
        dx, dy, dz = fx - px, fy - py, fz - pz
        distance = math.sqrt(dx * dx + dy * dy + dz * dz)
        azimuth = math.degrees(math.atan2(dx, dy)) % 360.0
        elevation = math.degrees(math.asin(max(-1.0, min(1.0, -dz / distance)))) if distance else 90.0
        return {
            "x": float(fx),
            "y": float(fy),
            "z": float(fz),
            "distance_m": float(distance),
            "azimuth_deg": float(azimuth),
            "elevation_deg": float(elevation),
        }

    def apply_camera_state(self, state: dict[str, float]) -> None:
        """The inverse of :meth:`camera_state` (elevation clamped to what the views allow)."""
        elevation = max(5.0, min(90.0, float(state.get("elevation_deg", 45.0))))
        self._set_camera(
            (float(state["x"]), float(state["y"]), float(state.get("z", 0.0))),
            float(state["distance_m"]),
            float(state.get("azimuth_deg", 0.0)),
            elevation,
        )

    def fly_to_view(self, view: View, frame: WgsFrame) -> None:
        """Point the camera at a site bookmark; colour by the view's ``color_by`` when it sets one."""
        x, y = frame.from_wgs84(view.lon, view.lat)
        focal = (float(np.asarray(x).reshape(-1)[0]), float(np.asarray(y).reshape(-1)[0]), 0.0)
        self._set_camera(focal, view.distance_m, view.azimuth_deg, view.elevation_deg)
        if view.color_by is not None:
            self.set_color_by(view.color_by)

    # ------------------------------------------------------------------ teardown
    def clear(self) -> None:
        """Remove every actor this scene added, so the plotter can take another model."""
        for visual in self._all_visuals():
            visual.remove_from(self.plotter)
        self.plotter.remove_actor(self.ground_actor, reset_camera=False, render=False)
        self.city_visuals.clear()
        self.line_visuals.clear()
        self.point_visuals.clear()
        self.picker = Picker({})
        self._selection = None
