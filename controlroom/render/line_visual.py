"""Roads, administrative boundaries and points of interest draped on the ground.

One actor per layer (all roads, one boundary level, all POIs): toggling a level is one
visibility flag, and 100k road segments stay one draw call. Lines are lifted a little above the
ground plane so they never z-fight with it; boundary levels get decreasing width and brightness
(city > district > street > grid) so the hierarchy reads at a glance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from controlroom.core.vector import LineLayer, PointLayer
from controlroom.render.theme import DEFAULT_THEME, CityTheme, PlotterLike, hex_rgb

if TYPE_CHECKING:
    from vtkmodules.vtkRenderingCore import vtkActor, vtkActor2D


def boundary_level(kind: str) -> str | None:
    """'boundary:district' → 'district'; None for layers that are not boundaries."""
    prefix, _, level = kind.partition(":")
    return level if prefix == "boundary" and level else None


def _plain_actor(mesh: Any) -> vtkActor:
    """An actor drawing ``mesh`` in one colour set on its property (no scalar colouring)."""
    from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

    mapper = vtkPolyDataMapper()
    mapper.SetInputData(mesh)
    mapper.ScalarVisibilityOff()
    actor = vtkActor()
    actor.SetMapper(mapper)
    return actor


class LineVisual:
    """One polyline layer as one line actor."""

    def __init__(self, layer: LineLayer, theme: CityTheme = DEFAULT_THEME) -> None:
        import pyvista as pv

        self.layer = layer
        self.kind = layer.kind
        self.theme = theme
        level = boundary_level(layer.kind)
        points = np.array(layer.points, dtype=np.float64, copy=True).reshape(-1, 3)
        # boundaries float above roads so a district edge along a road stays visible
        points[:, 2] += theme.drape_offset_m * (2.0 if level else 1.0)
        self.mesh = pv.PolyData(points, lines=layer.vtk_lines()) if layer.n_lines else pv.PolyData()
        self.actor = self._make_actor(level)
        self.major_actor: vtkActor | None = None
        if layer.kind == "roads" and layer.n_lines:
            self._style_road_hierarchy(points)

    def _style_road_hierarchy(self, points: np.ndarray) -> None:
        """Minor streets dimmer than the rest (per-line colour, same actor); major roads drawn again
        on top, wider and warmer, as a second merged mesh (one per layer and class)."""
        import pyvista as pv

        classes = np.array(
            [str(self.layer.features[f].get("highway", "")) if f < len(self.layer.features) else ""
             for f in self.layer.cell_feature]
        )  # fmt: skip
        minor = np.isin(classes, self.theme.minor_road_classes)
        rgb = np.tile(
            np.array([round(c * 255) for c in hex_rgb(self.theme.road_color)], np.uint8), (len(classes), 1)
        )
        rgb[minor] = [round(c * 255) for c in hex_rgb(self.theme.minor_road_color)]
        self.mesh.cell_data["rgb"] = rgb
        mapper = self.actor.GetMapper()
        mapper.ScalarVisibilityOn()
        mapper.SetScalarModeToUseCellFieldData()
        mapper.SetColorModeToDirectScalars()
        mapper.SelectColorArray("rgb")
        major = np.flatnonzero(np.isin(classes, self.theme.major_road_classes))
        if not len(major):
            return
        offsets = self.layer.offsets
        lines, pts = [], []
        n = 0
        for i in major:
            seg = points[offsets[i] : offsets[i + 1]]
            lines.append(np.concatenate([[len(seg)], np.arange(n, n + len(seg))]))
            pts.append(seg)
            n += len(seg)
        lifted = np.concatenate(pts)
        lifted[:, 2] += self.theme.drape_offset_m * 0.5
        self.major_actor = _plain_actor(pv.PolyData(lifted, lines=np.concatenate(lines)))
        prop = self.major_actor.GetProperty()
        prop.LightingOff()
        prop.SetColor(*hex_rgb(self.theme.major_road_color))
        prop.SetLineWidth(self.theme.major_road_width)
        self.major_actor.SetPickable(False)

    def _make_actor(self, level: str | None) -> vtkActor:
        actor = _plain_actor(self.mesh)
        prop = actor.GetProperty()
        prop.LightingOff()  # lines are annotations: same brightness from every angle
        if level is not None:
            style = self.theme.boundary_style(level)
            prop.SetColor(*hex_rgb(style.color))
            prop.SetLineWidth(style.width)
            prop.SetOpacity(style.opacity)
        else:
            prop.SetColor(*hex_rgb(self.theme.road_color))
            prop.SetLineWidth(self.theme.road_width)
        actor.SetPickable(False)
        return actor

    @property
    def visible(self) -> bool:
        return bool(self.actor.GetVisibility())

    def set_visible(self, visible: bool) -> None:
        self.actor.SetVisibility(visible)
        if self.major_actor is not None:
            self.major_actor.SetVisibility(visible)

    def add_to(self, plotter: PlotterLike) -> None:
        plotter.add_actor(
            self.actor, reset_camera=False, name=f"lines:{self.kind}", pickable=False, render=False
        )
        if self.major_actor is not None:
            name = f"lines:{self.kind}:major"
            plotter.add_actor(self.major_actor, reset_camera=False, name=name, pickable=False, render=False)

    def remove_from(self, plotter: PlotterLike) -> None:
        plotter.remove_actor(self.actor, reset_camera=False, render=False)
        if self.major_actor is not None:
            plotter.remove_actor(self.major_actor, reset_camera=False, render=False)


def _importance(feature: dict[str, Any]) -> float:
    for key in ("importance", "rank", "priority"):
        value = feature.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return 0.0


class PointVisual:
    """A point layer as one flat point-sprite actor, plus labels for its few most important points.

    Flat points, not shaded spheres: spheres cost 2-3.5x per frame on software GL.
    """

    def __init__(
        self,
        layer: PointLayer,
        theme: CityTheme = DEFAULT_THEME,
        label_field: str = "name",
        max_labels: int = 12,
    ) -> None:
        import pyvista as pv

        self.layer = layer
        self.kind = layer.kind
        self.theme = theme
        points = np.array(layer.points, dtype=np.float64, copy=True).reshape(-1, 3)
        points[:, 2] += theme.drape_offset_m
        self.mesh = pv.PolyData(points) if len(points) else pv.PolyData()
        self.actor = self._make_actor()
        self.labels = self._pick_labels(points, label_field, max_labels)
        self.label_actor: vtkActor2D | None = None

    def _make_actor(self) -> vtkActor:
        actor = _plain_actor(self.mesh)
        prop = actor.GetProperty()
        prop.SetRepresentationToPoints()
        prop.SetPointSize(self.theme.poi_size)
        prop.SetColor(*hex_rgb(self.theme.poi_color))
        prop.LightingOff()
        actor.SetPickable(False)
        return actor

    def _pick_labels(
        self, points: np.ndarray, label_field: str, max_labels: int
    ) -> list[tuple[str, tuple[float, float, float]]]:
        """The ``max_labels`` named features with the highest importance/rank (ties: file order)."""
        named = [
            (i, str(f[label_field]))
            for i, f in enumerate(self.layer.features[: len(points)])
            if f.get(label_field) not in (None, "")
        ]
        named.sort(key=lambda item: -_importance(self.layer.features[item[0]]))
        return [
            (text, (float(points[i, 0]), float(points[i, 1]), float(points[i, 2])))
            for i, text in named[:max_labels]
        ]

    @property
    def visible(self) -> bool:
        return bool(self.actor.GetVisibility())

    def set_visible(self, visible: bool) -> None:
        self.actor.SetVisibility(visible)
        if self.label_actor is not None:
            self.label_actor.SetVisibility(visible)

    def add_to(self, plotter: PlotterLike) -> None:
        plotter.add_actor(
            self.actor, reset_camera=False, name=f"points:{self.kind}", pickable=False, render=False
        )
        if self.labels:
            self.label_actor = plotter.add_point_labels(
                np.array([p for _, p in self.labels]),
                [t for t, _ in self.labels],
                name=f"labels:{self.kind}",
                font_size=self.theme.poi_label_font_size,
                text_color=self.theme.text_color,
                font_family=self.theme.font_family,
                shape="rounded_rect",
                shape_color=self.theme.background_top,
                shape_opacity=0.7,
                show_points=False,
                always_visible=True,
                reset_camera=False,
                render=False,
            )

    def remove_from(self, plotter: PlotterLike) -> None:
        plotter.remove_actor(self.actor, reset_camera=False, render=False)
        if self.label_actor is not None:
            plotter.remove_actor(self.label_actor, reset_camera=False, render=False)
            self.label_actor = None
