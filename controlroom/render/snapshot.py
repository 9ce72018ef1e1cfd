"""Off-screen pictures and timings of a city: for the CLI, reports and benchmarks, no X needed.

``pv.Plotter(off_screen=True)`` renders through EGL when there is no display (GLX under Xvfb).
An off-screen plotter draws nothing until ``show(auto_close=False)`` has run once, and
``Plotter.render()`` is a no-op before that, so timings call the render window directly.
"""

from __future__ import annotations

import ctypes.util
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from controlroom.core.city import CityModel
from controlroom.render.city_visual import LegendWords
from controlroom.render.map_projection import MapProjection
from controlroom.render.picking import time_picks
from controlroom.render.scene import CityScene, WgsFrame
from controlroom.render.theme import DEFAULT_THEME, CityTheme, configure_pyvista, hex_rgb

if TYPE_CHECKING:
    import pyvista as pv

    from controlroom.core.site import View


#: Paints over a written picture (its path) with the picture's projection: names, legend …
Decorate = Callable[[Path, MapProjection], None]


def prefer_egl_without_display() -> None:
    """Off-screen rendering with no X server: ask VTK for EGL directly.

    VTK (9.4+) picks its OpenGL window at run time and tries X first; with no ``DISPLAY`` that
    probe prints a coloured "bad X server connection" warning before falling back to EGL. Naming
    EGL up front (VTK's documented ``VTK_DEFAULT_OPENGL_WINDOW``) skips the probe. Only when
    libEGL is there, so VTK's own fallback to OSMesa still works where it is not; a user's own
    choice of window class is kept.
    """
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or not sys.platform.startswith("linux"):
        return
    if ctypes.util.find_library("EGL") is None:
        return
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


def open_offscreen(
    model: CityModel, size: tuple[int, int], theme: CityTheme = DEFAULT_THEME
) -> tuple[pv.Plotter, CityScene]:
    """An off-screen plotter showing ``model``, ready to render (caller closes the plotter)."""
    import pyvista as pv

    configure_pyvista()
    prefer_egl_without_display()
    plotter = pv.Plotter(off_screen=True, window_size=list(size))
    try:
        scene = CityScene(plotter, model, theme)
        if model.tilesets:  # frame the streamed city too, not only the layers the model holds
            scene.extra_bounds = tileset_bounds(model)  # type: ignore[attr-defined]
            scene.reset_camera()
        plotter.show(auto_close=False)
    except Exception:
        plotter.close()
        raise
    return plotter, scene


def render_snapshot(
    model: CityModel,
    out: Path,
    size: tuple[int, int] = (1600, 900),
    view: View | None = None,
    frame: WgsFrame | None = None,
    color_by: str | None = None,
    title: str | None = None,
    theme: CityTheme = DEFAULT_THEME,
    decorate: Decorate | None = None,
    legend_words: LegendWords | None = None,
) -> Path:
    """Render ``model`` to a PNG at ``out`` and return its path.

    ``view`` needs ``frame`` (to place its lon/lat in the local frame); without a view the
    oblique overview is used. ``color_by`` wins over the view's own colour setting. ``decorate``
    paints over the written PNG (map names, legend …) with the picture's projection;
    ``legend_words`` names the colour legend in the UI's language.
    """
    if view is not None and frame is None:
        raise ValueError(f"view '{view.name}' needs the site's local frame to place its lon/lat")
    if size[0] < 16 or size[1] < 16:
        raise ValueError(f"snapshot size must be at least 16x16 pixels, got {size[0]}x{size[1]}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    plotter, scene = open_offscreen(model, size, theme)
    try:
        if legend_words is not None:  # before the view: a view may colour by an attribute
            scene.set_legend_words(legend_words)
        if view is not None and frame is not None:
            scene.fly_to_view(view, frame)
        if color_by is not None:
            scene.set_color_by(color_by)
        if model.tilesets:  # a streamed city: the tiles this camera wants, loaded inline
            stream_tiles(plotter, model, size)
        if title:
            text_actor = plotter.add_text(
                title,
                position="upper_left",
                font_size=max(10, round(theme.title_font_size * size[1] / 1080 / 1.5)),
                color=hex_rgb(theme.text_color),
                font=cast(Any, theme.font_family),
                shadow=True,
                name="title",
            )
            text_actor.GetTextProperty().SetBold(True)
        window = plotter.render_window
        if window is not None:
            window.Render()  # screenshot() alone returns the frame show() rendered, before the view
        plotter.screenshot(str(out))
        if decorate is not None:
            decorate(out, MapProjection.of(plotter))
    finally:
        plotter.close()
    return out


def tileset_bounds(model: CityModel) -> tuple[float, float, float, float, float, float]:
    """(xmin, xmax, ymin, ymax, zmin, zmax) of the model's tilesets' roots in its local frame."""
    from controlroom.geo.tiles.select import TileIndex
    from controlroom.geo.tiles.tileset import read_tileset
    from controlroom.render.tiled_city import local_from_tileset

    los, his = [], []
    for path in model.tilesets:
        ts = read_tileset(path)
        index = TileIndex.of(ts, local_from_tileset(ts, model.crs, model.origin))
        los.append(index.lo[0])
        his.append(index.hi[0])
    lo, hi = np.min(los, axis=0), np.max(his, axis=0)
    return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]), float(lo[2]), float(hi[2]))


def stream_tiles(plotter: Any, model: CityModel, size: tuple[int, int], memory_mb: int = 600) -> list[Any]:
    """Draw ``model.tilesets`` for the plotter's current camera (loads inline; for pictures)."""
    from controlroom.geo.tiles.select import Camera
    from controlroom.geo.tiles.tileset import read_tileset
    from controlroom.render.tiled_city import TiledCity, local_from_tileset

    cam = plotter.camera
    camera = Camera(tuple(cam.position), tuple(cam.focal_point), tuple(cam.up), float(cam.view_angle), size)
    cities = []
    for path in model.tilesets:
        ts = read_tileset(path)
        city = TiledCity(
            ts, local_from_tileset(ts, model.crs, model.origin), memory_mb << 20, renderer=plotter.renderer
        )
        city.update(camera)
        cities.append(city)
    plotter.renderer.ResetCameraClippingRange()
    window = plotter.render_window
    if window is not None:
        window.Render()  # pyvista's own render() skips actors it did not add
    return cities


def measure_render(
    model: CityModel, size: tuple[int, int] = (1280, 800), frames: int = 5, picks: int = 100
) -> dict[str, Any]:
    """Frame time and pick latency of ``model`` off-screen, as the benchmark reports them.

    Returns ``frame_ms`` (median of ``frames`` full renders from the overview), ``locator_build_s``
    and the pick statistics of :func:`controlroom.render.picking.time_picks` over a grid of
    pixels across the view.
    """
    plotter, scene = open_offscreen(model, size)
    try:
        window = plotter.render_window
        assert window is not None, "off-screen plotter has no render window"
        window.Render()
        times = []
        for _ in range(max(frames, 1)):
            plotter.camera.Azimuth(0.5)  # a real camera change, as during interaction
            start = time.perf_counter()
            window.Render()
            times.append((time.perf_counter() - start) * 1000.0)
        start = time.perf_counter()
        build_s = scene.picker.build()
        side = max(int(np.sqrt(picks)), 1)
        xs = np.linspace(size[0] * 0.1, size[0] * 0.9, side)
        ys = np.linspace(size[1] * 0.1, size[1] * 0.9, side)
        pick_stats = time_picks(scene.picker, plotter, [(float(x), float(y)) for y in ys for x in xs])
        return {
            "triangles": model.n_triangles,
            "size": list(size),
            "frame_ms": float(np.median(times)),
            "locator_build_s": build_s if build_s > 0 else time.perf_counter() - start,
            "pick": pick_stats,
        }
    finally:
        plotter.close()
