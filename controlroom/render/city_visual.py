"""One city layer as ONE VTK actor: colour by surface or by any attribute, highlight one object.

A city of 100k buildings is ~1.2 M triangles; one merged mesh renders ~50x faster than one actor
per building on software GL. Colour modes therefore only swap the mesh's cell scalar array and
the mapper's lookup table; a selection is a second, reusable actor whose polydata is replaced.
Per-object values reach the triangles by indexing with ``cell_object`` (one numpy gather).
Where the faces' outward side is known the scene's light is baked into per-face colours once
per colour mode (``city_style.BakedLight``) and the layer is drawn unlit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import numpy.typing as npt

from controlroom.core.city import CityLayer, CityObjects, Surface
from controlroom.render.theme import DEFAULT_THEME, CityTheme, PlotterLike, hex_rgb

if TYPE_CHECKING:
    import pyvista as pv
    from vtkmodules.vtkRenderingAnnotation import vtkLegendBoxActor, vtkScalarBarActor
    from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

    from controlroom.render.city_style import BakedLight

DISPLAY_ARRAY = "display"
LIT_ARRAY = "lit_rgb"  # per-face colours with the scene's light baked in (city_style.BakedLight)
SURFACE_MODE = "surface"


def layer_polydata(layer: CityLayer) -> pv.PolyData:
    """The layer's triangles as one PolyData (float64 local points) with 'object'/'surface' cell data."""
    import pyvista as pv

    mesh = pv.PolyData.from_regular_faces(
        np.ascontiguousarray(layer.points, dtype=np.float64),
        cast(Any, np.ascontiguousarray(layer.triangles, dtype=np.int64)),
    )
    mesh.cell_data["object"] = np.asarray(layer.cell_object, dtype=np.int32)
    mesh.cell_data["surface"] = np.asarray(layer.cell_surface, dtype=np.uint8)
    return mesh


@dataclass(frozen=True)
class ColorScheme:
    """Per-object display values plus what the legend needs to explain them."""

    name: str
    kind: str  # "numeric" | "categorical"
    values: npt.NDArray[np.float64]  # one per object; NaN = no value (drawn neutral grey)
    value_range: tuple[float, float] = (0.0, 1.0)
    categories: tuple[str, ...] = ()

    @property
    def n_missing(self) -> int:
        return int(np.isnan(self.values).sum())


def _as_number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def color_scheme(objects: CityObjects, name: str, max_categories: int = 12) -> ColorScheme:
    """Classify a column as numeric (every present value is a number) or categorical.

    Raises KeyError naming the column and the ones that exist, so a typo in a site's view
    (``color_by = "hieght"``) is reported, not silently drawn grey.
    """
    builtin = {"height", "type", "lod", "name", "id", "parent"}
    if name not in builtin and name not in objects.attribute_names():
        known = ", ".join(["height", "type", "lod", *objects.attribute_names()])
        raise KeyError(f"no attribute '{name}' on this layer's objects (available: {known})")
    column = objects.column(name)
    present = [v for v in column if v is not None and v != ""]
    numbers = [_as_number(v) for v in present]
    if present and all(n is not None and math.isfinite(n) for n in numbers):
        values = np.array([np.nan if v is None or v == "" else _as_number(v) for v in column], np.float64)
        finite = values[np.isfinite(values)]
        lo, hi = float(finite.min()), float(finite.max())
        if hi - lo < 1e-9:
            lo, hi = lo - 0.5, hi + 0.5
        return ColorScheme(name, "numeric", values, (lo, hi))

    labels = ["" if v is None else str(v) for v in column]
    counts: dict[str, int] = {}
    for label in labels:
        if label:
            counts[label] = counts.get(label, 0) + 1
    ranked = sorted(counts, key=lambda k: (-counts[k], k))
    if len(ranked) > max_categories:
        kept = ranked[: max_categories - 1]
        categories = (*kept, "other")
    else:
        kept = ranked
        categories = tuple(ranked)
    code = {label: float(i) for i, label in enumerate(kept)}
    other = float(len(kept)) if len(categories) > len(kept) else np.nan
    values = np.array([np.nan if not lb else code.get(lb, other) for lb in labels], np.float64)
    return ColorScheme(name, "categorical", values, (-0.5, len(categories) - 0.5), categories)


def _as_is(name: str) -> str:
    return name


@dataclass(frozen=True)
class LegendWords:
    """How the colour legend names things in the UI's language (the Qt side fills this in)."""

    title: Callable[[str], str] = _as_is  # a column's name as shown ("height" → "高度")
    no_value: str = "(no value)"
    value: Callable[[str], str] = _as_is  # a category as shown ("residential" → "住宅")
    font_file: str | None = None  # a font with the language's glyphs (VTK's own has no CJK)


class CityVisual:
    """Draws one ``CityLayer`` with one surface actor, one highlight actor and one legend."""

    def __init__(self, layer: CityLayer, theme: CityTheme = DEFAULT_THEME) -> None:
        self.layer = layer
        self.kind = layer.kind
        self.theme = theme
        self.mesh = layer_polydata(layer)
        self._cell_object = np.asarray(layer.cell_object, dtype=np.intp)
        self._plotter: PlotterLike | None = None
        self._color_by: str | None = None
        self._scheme: ColorScheme | None = None
        self._highlighted: int | None = None
        self._visible = True
        self._culled = False
        self._roof_m = 0.0  # the typical outlined roof's width (the outlines' level of detail)
        self._lod_observer: tuple[Any, int] | None = None
        self.actor, self._mapper = self._make_surface_actor()
        # the scene lights baked per face (None: drawn lit, see city_style.bake_light_for)
        self._light = self._bake_light()
        self.edge_actor = self._make_edge_actor()
        self.highlight_actor, self._highlight_mapper = self._make_highlight_actor()
        self.legend = self._make_legend()
        self.category_legend = self._make_category_legend()
        self.words = LegendWords()
        self._apply_base_colors()

    # ------------------------------------------------------------------ actors
    def _make_surface_actor(self) -> tuple[vtkActor, vtkPolyDataMapper]:
        from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

        mapper = vtkPolyDataMapper()
        mapper.SetInputData(self.mesh)
        mapper.SetScalarModeToUseCellFieldData()
        mapper.SetColorModeToMapScalars()
        mapper.SetUseLookupTableScalarRange(True)
        actor = vtkActor()
        actor.SetMapper(mapper)
        prop = actor.GetProperty()
        prop.SetInterpolationToFlat()
        prop.SetAmbient(self.theme.ambient)
        prop.SetDiffuse(self.theme.diffuse)
        prop.SetSpecular(self.theme.specular)
        actor.SetPickable(False)  # picking goes through render.picking, never VTK's hardware picker
        if self.kind == "buildings":
            from controlroom.render.city_style import outward_wound

            self._culled = outward_wound(self.layer)
            prop.SetBackfaceCulling(self._culled)  # see outward_wound: safe and ~15 % faster
        return actor, mapper

    def _bake_light(self) -> BakedLight | None:
        from controlroom.render.city_style import bake_light_for

        light = bake_light_for(self.layer, self.theme, self._culled)
        if light is not None:  # the colours carry the light (BakedLight), drawn as they are:
            prop = self.actor.GetProperty()  # unlit, VTK still scales them by ambient + diffuse
            prop.LightingOff()
            prop.SetAmbient(1.0)
            prop.SetDiffuse(0.0)
        return light

    def _make_edge_actor(self) -> vtkActor | None:
        """Roof outlines (one line mesh for the layer) so blocks and towers read; buildings only."""
        if self.kind != "buildings" or not self.theme.roof_edges:
            return None
        from controlroom.render.city_style import outlined_roofs, roof_outline, typical_roof_m
        from controlroom.render.line_visual import _plain_actor

        quantile = self.theme.roof_edge_min_quantile
        outline = roof_outline(self.layer, min_quantile=quantile, max_edges=self.theme.roof_edge_max)
        if not outline.n_points:
            return None
        self._roof_m = typical_roof_m(self.layer, outlined_roofs(self.layer, quantile))
        actor = _plain_actor(outline)
        prop = actor.GetProperty()
        prop.LightingOff()
        prop.SetColor(*hex_rgb(self.theme.roof_edge_color))
        prop.SetLineWidth(self.theme.roof_edge_width)
        actor.SetPickable(False)
        return actor

    def _make_highlight_actor(self) -> tuple[vtkActor, vtkPolyDataMapper]:
        from vtkmodules.vtkCommonDataModel import vtkPolyData
        from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

        mapper = vtkPolyDataMapper()
        mapper.SetInputData(vtkPolyData())
        mapper.SetScalarModeToUseCellData()
        mapper.SetColorModeToDirectScalars()
        actor = vtkActor()
        actor.SetMapper(mapper)
        prop = actor.GetProperty()
        prop.SetInterpolationToFlat()
        prop.SetAmbient(0.55)
        prop.SetDiffuse(0.6)
        prop.SetLineWidth(3.0)
        actor.SetPickable(False)
        actor.SetVisibility(False)
        return actor, mapper

    def _make_legend(self) -> vtkScalarBarActor:
        from vtkmodules.vtkRenderingAnnotation import vtkScalarBarActor

        bar = vtkScalarBarActor()
        bar.SetOrientationToVertical()
        bar.UnconstrainedFontSizeOn()
        bar.SetPosition(0.86, 0.08)
        bar.SetWidth(0.12)
        bar.SetHeight(0.55)
        bar.SetMaximumWidthInPixels(260)
        bar.SetBarRatio(0.25)
        bar.SetNumberOfLabels(5)
        bar.DrawBackgroundOn()
        bg = bar.GetBackgroundProperty()
        bg.SetColor(hex_rgb(self.theme.background_top))
        bg.SetOpacity(0.7)
        bar.SetTextPad(6)
        for text, size, bold in (
            (bar.GetTitleTextProperty(), self.theme.legend_title_font_size, True),
            (bar.GetLabelTextProperty(), self.theme.legend_label_font_size, False),
        ):
            text.SetColor(hex_rgb(self.theme.text_color))
            text.SetFontSize(size)
            text.SetBold(bold)
            text.SetItalic(False)
            text.SetShadow(False)
            text.SetFontFamilyAsString(self.theme.font_family)
        bar.SetDrawAnnotations(False)
        bar.SetVisibility(False)
        return bar

    def _make_category_legend(self) -> vtkLegendBoxActor:
        """Swatch + label rows; VTK fits the text to the box, so the box grows with the row count."""
        from vtkmodules.vtkRenderingAnnotation import vtkLegendBoxActor

        box = vtkLegendBoxActor()
        box.UseBackgroundOn()
        box.SetBackgroundColor(hex_rgb(self.theme.background_top))
        box.SetBackgroundOpacity(0.75)
        box.BorderOff()
        box.SetPadding(8)
        text = box.GetEntryTextProperty()
        text.SetColor(hex_rgb(self.theme.text_color))
        text.SetFontFamilyAsString(self.theme.font_family)
        text.SetBold(False)
        text.SetShadow(False)
        box.GetPositionCoordinate().SetCoordinateSystemToNormalizedViewport()
        box.SetVisibility(False)
        return box

    def _fill_category_legend(self, scheme: ColorScheme, table: npt.NDArray[np.uint8]) -> None:
        import pyvista as pv

        swatch = pv.Rectangle([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0]])
        rows = [f"{self.words.title(scheme.name)}:", *(self.words.value(c) for c in scheme.categories)]
        if scheme.n_missing:
            rows.append(self.words.no_value)
        box = self.category_legend
        box.SetNumberOfEntries(len(rows))
        for i, label in enumerate(rows):
            if i == 0:
                box.SetEntry(i, pv.PolyData(), label, list(hex_rgb(self.theme.text_color)))
            elif i <= len(scheme.categories):
                box.SetEntry(i, swatch, label, [float(c) / 255 for c in table[i - 1, :3]])
            else:
                box.SetEntry(i, swatch, label, list(hex_rgb(self.theme.no_data)))
        height = min(0.85, 0.045 * len(rows))
        width = min(0.3, 0.05 + 0.009 * max(len(r) for r in rows))
        box.SetPosition(0.985 - width, 0.06)
        box.SetPosition2(width, height)

    def add_to(self, plotter: PlotterLike) -> None:
        """Add the (one) surface actor, the highlight actor and the legend to a plotter."""
        for actor, name in (
            (self.actor, f"city:{self.kind}"),
            (self.highlight_actor, f"city:{self.kind}:highlight"),
        ):
            plotter.add_actor(actor, reset_camera=False, name=name, pickable=False, render=False)
        if self.edge_actor is not None:
            name = f"city:{self.kind}:edges"
            plotter.add_actor(self.edge_actor, reset_camera=False, name=name, pickable=False, render=False)
            renderer = plotter.renderer
            self._lod_observer = (renderer, renderer.AddObserver("StartEvent", self._edge_lod))
        plotter.renderer.AddViewProp(self.legend)
        plotter.renderer.AddViewProp(self.category_legend)
        self._plotter = plotter

    def remove_from(self, plotter: PlotterLike) -> None:
        plotter.remove_actor(self.actor, reset_camera=False, render=False)
        plotter.remove_actor(self.highlight_actor, reset_camera=False, render=False)
        if self.edge_actor is not None:
            plotter.remove_actor(self.edge_actor, reset_camera=False, render=False)
        if self._lod_observer is not None:
            renderer, tag = self._lod_observer
            renderer.RemoveObserver(tag)
            self._lod_observer = None
        plotter.renderer.RemoveViewProp(self.legend)
        plotter.renderer.RemoveViewProp(self.category_legend)
        self._plotter = None

    # ------------------------------------------------------------------ level of detail
    def roof_px(self, renderer: Any) -> float:
        """How wide the typical outlined roof is on screen (pixels), near the camera's focal point."""
        camera = renderer.GetActiveCamera()
        if camera.GetParallelProjection():
            span = 2.0 * camera.GetParallelScale()
        else:
            span = 2.0 * camera.GetDistance() * math.tan(math.radians(camera.GetViewAngle() / 2.0))
        return self._roof_m / span * renderer.GetSize()[1] if span > 0 else 0.0

    def _edge_lod(self, renderer: Any, _event: str = "") -> None:
        """Before each frame: roof outlines only while roofs are ``roof_edge_min_px`` wide on screen."""
        if self.edge_actor is not None:
            near = self.roof_px(renderer) >= self.theme.roof_edge_min_px
            self.edge_actor.SetVisibility(self._visible and near)

    # ------------------------------------------------------------------ visibility
    @property
    def visible(self) -> bool:
        return self._visible

    def set_visible(self, visible: bool) -> None:
        self._visible = visible
        self.actor.SetVisibility(visible)
        if self.edge_actor is not None:
            self.edge_actor.SetVisibility(visible)
        self.highlight_actor.SetVisibility(visible and self._highlighted is not None)
        self._show_legend()

    @property
    def legend_visible(self) -> bool:
        """Whether a legend (colour bar or category list) is on screen."""
        return bool(self.legend.GetVisibility() or self.category_legend.GetVisibility())

    def _show_legend(self) -> None:
        kind = self._scheme.kind if self._scheme is not None and self._visible else None
        self.legend.SetVisibility(kind == "numeric")
        self.category_legend.SetVisibility(kind == "categorical")

    # ------------------------------------------------------------------ colour
    @property
    def color_by(self) -> str | None:
        return self._color_by

    @property
    def scheme(self) -> ColorScheme | None:
        return self._scheme

    def color_by_options(self) -> list[str]:
        """Columns a user can colour this layer by: height (when known), type, then attributes."""
        objects = self.layer.objects
        options: list[str] = []
        if any(h is not None for h in objects.heights):
            options.append("height")
        if len(set(objects.types)) > 1:
            options.append("type")
        return options + [a for a in objects.attribute_names() if a not in options]

    def set_color_by(self, name: str | None) -> None:
        """Colour by an object column (numeric → colour map, text → categories), or None/'surface'.

        Updates the existing actor's scalars and lookup table in place; no actor is created.
        """
        if name in (None, "", SURFACE_MODE):
            self._color_by = None
            self._scheme = None
            self._apply_base_colors()
            return
        assert name is not None
        self._use_font()
        scheme = color_scheme(self.layer.objects, name, self.theme.max_categories)
        per_cell = scheme.values[self._cell_object] if len(scheme.values) else np.empty(0)
        self._set_display(per_cell.astype(np.float32))
        if scheme.kind == "numeric":
            lut = self._numeric_lut(scheme)
            span = scheme.value_range[1] - scheme.value_range[0]
            self.legend.SetLookupTable(lut)
            title = self.words.title(name)
            self.legend.SetTitle(f"{title} (m)" if name == "height" else title)
            self.legend.SetLabelFormat("%.0f" if span >= 20 else "%.1f")
        else:
            lut, table = self._categorical_lut(scheme)
            self._fill_category_legend(scheme, table)
        self._use_lut(lut)
        self._color_by = name
        self._scheme = scheme
        self._show_legend()
        self.mesh.Modified()

    def _use_font(self) -> None:
        """The legend's text in ``words.font_file`` when one is given (else the theme's family)."""
        if self.words.font_file is None:
            return
        for text in (
            self.legend.GetTitleTextProperty(),
            self.legend.GetLabelTextProperty(),
            self.category_legend.GetEntryTextProperty(),
        ):
            text.SetFontFamilyAsString("File")
            text.SetFontFile(self.words.font_file)

    def _set_display(self, values: npt.NDArray[np.float32]) -> None:
        self.mesh.cell_data[DISPLAY_ARRAY] = values
        self._mapper.SelectColorArray(DISPLAY_ARRAY)

    def _use_lut(self, lut: Any) -> None:
        """Colour the faces by the display array through ``lut``: mapped by VTK when drawn lit;
        with baked light, mapped once here and lit per face into a direct RGB array."""
        self._mapper.SetLookupTable(lut)
        self._mapper.ScalarVisibilityOn()
        if self._light is None:
            self._mapper.SetColorModeToMapScalars()
            self._mapper.SelectColorArray(DISPLAY_ARRAY)
            return
        from vtkmodules.util.numpy_support import vtk_to_numpy

        lut.Build()  # its special colours (NaN = no value) are filled in by Build, as a render would
        mapped = lut.MapScalars(self.mesh.GetCellData().GetArray(DISPLAY_ARRAY), 1, -1)  # 1: map scalars
        self._set_lit_rgb(vtk_to_numpy(mapped)[:, :3])

    def _set_lit_rgb(self, rgb: npt.ArrayLike, specular_rgb: npt.ArrayLike = 255.0) -> None:
        assert self._light is not None
        self.mesh.cell_data[LIT_ARRAY] = self._light.apply(rgb, specular_rgb)
        self._mapper.ScalarVisibilityOn()
        self._mapper.SetColorModeToDirectScalars()
        self._mapper.SelectColorArray(LIT_ARRAY)

    def _apply_base_colors(self) -> None:
        """Buildings shaded by height with lit roofs (``render.city_style``; the surface palette
        when no height is known), one flat colour for water, roads, terrain ..."""
        self._show_legend()
        flat = self.theme.layer_color(self.kind)
        if flat is not None:
            self.actor.GetProperty().SetColor(*hex_rgb(flat))
            if self._light is not None:
                self._set_lit_rgb(_rgb255(flat), _rgb255(flat))
                self.mesh.Modified()
            else:
                self._mapper.ScalarVisibilityOff()
            return
        import pyvista as pv

        heights = self.layer.objects.heights
        if self.theme.shade_by_height and any(h is not None for h in heights):
            from controlroom.render import city_style as style

            table = style.shaded_table(style.ramp(style.HEIGHT_RAMP, style.HEIGHT_BANDS))
            bands = style.height_bands(heights)
            self._set_display(style.shaded_display(bands, self._cell_object, self.layer.cell_surface))
            self._use_lut(pv.LookupTable(values=table, scalar_range=(-0.5, len(table) - 0.5)))
            self.mesh.Modified()
            return
        n = max(int(s) for s in Surface) + 1
        table = np.zeros((n, 4), np.uint8)
        for value in range(n):
            table[value, :3] = _rgb255(self.theme.surface_colors.get(value, self.theme.no_data))
            table[value, 3] = 255
        lut = pv.LookupTable(values=table, scalar_range=(-0.5, n - 0.5))
        self._set_display(np.asarray(self.layer.cell_surface, dtype=np.float32))
        self._use_lut(lut)
        self.mesh.Modified()

    def _numeric_lut(self, scheme: ColorScheme) -> pv.LookupTable:
        import pyvista as pv

        return pv.LookupTable(
            cmap=self.theme.numeric_cmap,
            n_values=256,
            scalar_range=scheme.value_range,
            nan_color=self.theme.no_data,
        )

    def _categorical_lut(self, scheme: ColorScheme) -> tuple[pv.LookupTable, npt.NDArray[np.uint8]]:
        """One colour per category code (range-mapped: code i → row i), "other" in neutral grey."""
        import pyvista as pv

        palette = self.theme.categorical_colors
        k = len(scheme.categories)
        table = np.zeros((max(k, 1), 4), np.uint8)
        for i in range(k):
            colour = self.theme.no_data if scheme.categories[i] == "other" else palette[i % len(palette)]
            table[i, :3] = _rgb255(colour)
            table[i, 3] = 255
        lut = pv.LookupTable(values=table, scalar_range=scheme.value_range, nan_color=self.theme.no_data)
        return lut, table

    # ------------------------------------------------------------------ selection
    @property
    def highlighted(self) -> int | None:
        return self._highlighted

    def highlight(self, object_index: int | None) -> None:
        """Show one object's triangles in the highlight colour (None clears). Reuses one actor."""
        from vtkmodules.vtkCommonDataModel import vtkPolyData

        if object_index is None or not (0 <= object_index < len(self.layer.objects)):
            self._highlighted = None
            self._highlight_mapper.SetInputData(vtkPolyData())
            self.highlight_actor.SetVisibility(False)
            return
        cells = np.flatnonzero(self._cell_object == object_index)
        if cells.size == 0:
            self._highlighted = None
            self.highlight_actor.SetVisibility(False)
            return
        self._highlighted = object_index
        self._highlight_mapper.SetInputData(self._highlight_polydata(cells))
        self.highlight_actor.SetVisibility(self._visible)

    def _highlight_polydata(self, cells: npt.NDArray[np.intp]) -> pv.PolyData:
        """The object's faces (amber) plus its crease edges (light), inflated ~0.3 m against z-fighting."""
        import pyvista as pv

        tris = self.layer.triangles[cells]
        used, inverse = np.unique(tris, return_inverse=True)
        pts = self.layer.points[used].astype(np.float64)
        centre = (pts.min(axis=0) + pts.max(axis=0)) / 2.0
        extent = float(np.ptp(pts, axis=0).max()) or 1.0
        pts = centre + (pts - centre) * (1.0 + 0.6 / extent)
        faces = pv.PolyData.from_regular_faces(pts, cast(Any, inverse.reshape(-1, 3).astype(np.int64)))
        edges = faces.extract_feature_edges(
            feature_angle=30.0, boundary_edges=True, feature_edges=True, manifold_edges=False
        )
        faces.cell_data["rgb"] = np.tile(_rgb255(self.theme.highlight), (faces.n_cells, 1))
        edges.cell_data["rgb"] = np.tile(_rgb255(self.theme.highlight_edge), (edges.n_cells, 1))
        out = faces.append_polydata(edges)
        out.cell_data.active_scalars_name = "rgb"
        return out


def _rgb255(colour: str) -> npt.NDArray[np.uint8]:
    return np.array([round(c * 255) for c in hex_rgb(colour)], np.uint8)
