"""Off-screen plotters for render tests (EGL without a display, GLX under pytest-xvfb)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from controlroom.render.theme import configure_pyvista


@pytest.fixture
def offscreen() -> Iterator[Any]:
    """A shown (so it really renders), closed-after-use off-screen plotter of 800x600."""
    import pyvista as pv

    configure_pyvista()
    plotter = pv.Plotter(off_screen=True, window_size=[800, 600])
    try:
        yield plotter
    finally:
        plotter.close()


def render(plotter: Any) -> np.ndarray:
    """The current frame as an (H, W, 3) uint8 array; shows the plotter on first use."""
    if not getattr(plotter, "_rendered", False):
        plotter.show(auto_close=False)
    plotter.render()
    return np.asarray(plotter.screenshot(None, return_img=True))[..., :3]


def pixel_at(image: np.ndarray, display_xy: tuple[float, float]) -> np.ndarray:
    """The RGB at a VTK display point (origin bottom-left) of an image with top-left origin."""
    x, y = round(display_xy[0]), round(display_xy[1])
    return image[image.shape[0] - 1 - y, x].astype(int)
