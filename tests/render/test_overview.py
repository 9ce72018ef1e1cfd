"""The overview fills the map: the sample city covers >= 70 % of the map at the desk's, the small
desk's and the 3 × 2 wall's map shapes, measured through VTK's own camera (not the framing maths)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from controlroom.app.sample_site import ensure_sample_site
from controlroom.core.city import CityModel
from controlroom.core.site import load_site
from controlroom.geo.city_loader import load_city
from controlroom.render.overview import clip_to_square, polygon_area
from controlroom.render.picking import world_to_display
from controlroom.render.scene import CityScene
from controlroom.render.theme import configure_pyvista

# map areas (width, height) of the shipped screens, scaled down 3× to keep the test quick:
# the single window at 1920×1080 and 1366×768, and the map spanning the 3 × 2 wall
MAP_SHAPES = {"desk-1920": (1600 // 3, 860 // 3), "desk-1366": (760 // 2, 430 // 2), "wall-3x2": (1920, 720)}


@pytest.fixture(scope="module")
def sample_city(tmp_path_factory: pytest.TempPathFactory) -> CityModel:
    site: Path = ensure_sample_site(tmp_path_factory.mktemp("sample-site"), report=lambda _m: None)
    return load_city(load_site(site))


def city_share_of_map(plotter: Any, scene: CityScene) -> tuple[float, float]:
    """(fraction of the map inside the city's projected ground footprint, fraction of the
    footprint on the map)."""
    x0, x1, y0, y1, z0, _ = scene._extent()
    width, height = plotter.window_size
    corners = [(x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0)]
    screen = np.array([world_to_display(plotter, c) for c in corners])
    ndc = np.column_stack([screen[:, 0] / width * 2 - 1, screen[:, 1] / height * 2 - 1])
    inside = polygon_area(clip_to_square(ndc))
    return inside / 4.0, inside / polygon_area(ndc)


@pytest.mark.parametrize("shape", sorted(MAP_SHAPES))
def test_city_fills_the_map_at_the_overview(sample_city: CityModel, shape: str) -> None:
    import pyvista as pv

    configure_pyvista()
    size = MAP_SHAPES[shape]
    plotter = pv.Plotter(off_screen=True, window_size=list(size))
    try:
        scene = CityScene(plotter, sample_city)
        plotter.show(auto_close=False)
        scene.reset_camera()
        share, shown = city_share_of_map(plotter, scene)
        assert share >= 0.70, f"{shape}: the city covers {share:.0%} of the map at the overview"
        # filling a wide wall crops the corners of a squarish city, but only the corners
        assert shown >= 0.88, f"{shape}: only {shown:.0%} of the city is on the map at the overview"
        assert scene.at_overview()
        plotter.camera.Azimuth(10)
        assert not scene.at_overview(), "a turned camera is no longer the overview (no refit on resize)"
    finally:
        plotter.close()
