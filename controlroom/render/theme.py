"""The look of the 3D city on an operations wall: dark, calm, high contrast, readable from metres away.

One frozen ``CityTheme`` holds every colour, width, font size and light, so a site (or a
future "daylight" theme) changes the look in one place and visuals never hard-code colours.
Lighting is a warm key light from the south-east plus a cool, weaker fill from the north-west,
both fixed to the scene: walls facing different compass directions get visibly different
shades, which is what makes a city of flat-coloured boxes read as 3D.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from controlroom.core.city import Surface

RGB = tuple[float, float, float]

# A ``pv.Plotter`` or a ``pyvistaqt.QtInteractor``. Typed loosely on purpose: pyvista wraps its
# plotter methods with ``functools.wraps``, which mypy cannot call through.
PlotterLike = Any


def hex_rgb(value: str) -> RGB:
    """'#rrggbb' → (r, g, b) in 0..1, the form VTK wants."""
    v = value.lstrip("#")
    if len(v) != 6:
        raise ValueError(f"colour must look like '#2ea8ff', got {value!r}")
    return (int(v[0:2], 16) / 255.0, int(v[2:4], 16) / 255.0, int(v[4:6], 16) / 255.0)


@dataclass(frozen=True)
class BoundaryStyle:
    """How one administrative level is drawn: coarser levels are brighter and wider."""

    color: str
    width: float
    opacity: float = 1.0


@dataclass(frozen=True)
class SceneLight:
    """A directional scene light, given as the compass direction and height it shines *from*."""

    azimuth_deg: float  # 0 = from the north, 90 = from the east
    elevation_deg: float
    color: str
    intensity: float


@dataclass(frozen=True)
class CityTheme:
    """Every visual constant of the 3D map."""

    # background: a vertical gradient, darker at the top like a night sky over the city
    background_top: str = "#05080f"
    background_bottom: str = "#142033"
    ground: str = "#1c2430"
    ground_margin_fraction: float = 3.0

    # semantic surfaces (colour by surface): roofs lighter than walls, a subtle cool tint
    surface_colors: dict[int, str] = field(
        default_factory=lambda: {
            int(Surface.UNKNOWN): "#8d99ab",
            int(Surface.GROUND): "#3a4452",
            int(Surface.WALL): "#7d8ba0",
            int(Surface.ROOF): "#c9d3e2",
            int(Surface.CLOSURE): "#6b778a",
            int(Surface.TERRAIN): "#2b3542",
            int(Surface.OTHER): "#8d99ab",
        }
    )
    # layer kinds that are not buildings get one flat colour (their surfaces matter less)
    layer_colors: dict[str, str] = field(
        default_factory=lambda: {
            "water": "#1b5f96",
            "terrain": "#26303c",
            "roads": "#5d6673",
            "vegetation": "#2f6b45",
            "landuse": "#2a3340",
            "bridges": "#9aa6b8",
        }
    )
    # buildings shaded by height with lit roofs (render.city_style) and a subtle roof edge
    shade_by_height: bool = True
    roof_edges: bool = True
    roof_edge_color: str = "#4a7aa3"
    roof_edge_width: float = 1.0
    roof_edge_min_quantile: float = 0.6  # outline the taller 40 % (lines cost frame time too)
    roof_edge_max: int = 150_000  # no outlines past this many edges (a big city's overview)
    # level of detail: outlines only while a typical outlined roof is this wide on screen (at a
    # city's overview a one-pixel rim swamps a four-pixel roof, for a tenth of a software frame)
    roof_edge_min_px: float = 8.0
    no_data: str = "#5b6270"  # objects without a value when colouring by an attribute
    highlight: str = "#ffb000"  # amber: visible on every colour map we use
    highlight_edge: str = "#fff4d6"

    # flat GIS layers, draped a little above the ground to avoid z-fighting
    road_color: str = "#7f8a99"
    road_width: float = 1.5
    # road hierarchy (OSM ``highway`` classes): major roads drawn again, wider and brighter
    major_road_classes: tuple[str, ...] = ("motorway", "trunk", "primary")
    major_road_color: str = "#e3c98f"
    major_road_width: float = 3.0
    minor_road_classes: tuple[str, ...] = ("residential", "service", "living_street", "unclassified", "track")
    minor_road_color: str = "#4f5a69"
    poi_color: str = "#4fd1ff"
    poi_size: float = 6.0
    drape_offset_m: float = 0.6
    boundary_styles: dict[str, BoundaryStyle] = field(
        default_factory=lambda: {
            "city": BoundaryStyle("#ff5d73", 5.0),
            "district": BoundaryStyle("#ffa94d", 3.5),
            "street": BoundaryStyle("#8a7d45", 1.6, 0.9),
            "grid": BoundaryStyle("#2f5a45", 1.0, 0.7),
        }
    )

    # colour maps for attributes
    numeric_cmap: str = "plasma"
    categorical_colors: tuple[str, ...] = (
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
        "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#86bcb6", "#d37295",
    )  # fmt: skip
    max_categories: int = 12  # the rest is drawn as "other"

    # text: sized for a wall seen from across the room
    text_color: str = "#f2f5fa"
    title_font_size: int = 30
    legend_title_font_size: int = 22
    legend_label_font_size: int = 18
    poi_label_font_size: int = 18
    font_family: str = "arial"

    # material and lights; baked: the light is worked out per face once and the city drawn unlit
    # (``city_style.BakedLight``: the same picture, a third less frame time on software GL)
    bake_lighting: bool = True
    ambient: float = 0.28
    diffuse: float = 0.78
    specular: float = 0.05
    lights: tuple[SceneLight, ...] = (
        SceneLight(azimuth_deg=150.0, elevation_deg=48.0, color="#fff3e0", intensity=0.9),  # key, SSE
        SceneLight(azimuth_deg=285.0, elevation_deg=28.0, color="#cfe0ff", intensity=0.35),  # fill, W
        SceneLight(azimuth_deg=20.0, elevation_deg=20.0, color="#ffffff", intensity=0.12),  # back, NNE
    )

    def boundary_style(self, level: str) -> BoundaryStyle:
        return self.boundary_styles.get(level, BoundaryStyle("#c0c8d4", 1.5))

    def layer_color(self, kind: str) -> str | None:
        """Flat colour for a layer kind, or None for layers coloured by surface (buildings)."""
        return self.layer_colors.get(kind)


DEFAULT_THEME = CityTheme()


def configure_pyvista() -> None:
    """Global pyvista settings for software GL: no MSAA (4-7x slower on llvmpipe), no smoothing.

    FXAA was measured to cost little on llvmpipe, but it softens thin boundary lines and small
    text on the wall, so it stays off.
    """
    import pyvista as pv

    pv.global_theme.multi_samples = 0
    pv.global_theme.anti_aliasing = None
    pv.global_theme.smooth_shading = False
    pv.global_theme.lighting = True


def plain_blending(renderer: Any) -> None:
    """Blend translucent things in drawing order instead of order-independent transparency.

    VTK's default (OIT) renders translucent geometry into extra float buffers and composites
    them in a full-screen pass every frame: about 7 % of a city frame on software GL, for the
    few translucent lines and fills of a map, whose overlaps look the same either way.
    """
    renderer.SetUseOIT(False)


def apply_lighting(plotter: PlotterLike, theme: CityTheme = DEFAULT_THEME) -> None:
    """Replace the default light kit with the theme's scene-fixed directional lights."""
    import math

    import pyvista as pv

    plotter.remove_all_lights()
    for spec in theme.lights:
        az = math.radians(spec.azimuth_deg)
        el = math.radians(spec.elevation_deg)
        direction_from = (math.sin(az) * math.cos(el), math.cos(az) * math.cos(el), math.sin(el))
        light = pv.Light(
            position=direction_from,
            focal_point=(0.0, 0.0, 0.0),
            color=hex_rgb(spec.color),
            intensity=spec.intensity,
            light_type="scene light",
        )
        light.positional = False
        plotter.add_light(light)
