"""Bezel compensation: each monitor's camera shows exactly its part of the larger canvas."""

from __future__ import annotations

import numpy as np
import pytest

from controlroom.layouts.geometry import BezelTile, Rect
from controlroom.render.bezel_view import tile_camera_params


def _project(camera, aspect: float, point: tuple[float, float, float]) -> np.ndarray:  # type: ignore[no-untyped-def]
    m = camera.GetCompositeProjectionTransformMatrix(aspect, -1, 1)
    p = np.array([[m.GetElement(i, j) for j in range(4)] for i in range(4)]) @ np.array([*point, 1.0])
    return p[:2] / p[3]  # normalised device coordinates, y up


@pytest.mark.parametrize("point", [(0.0, 0.0, 0.0), (120.0, -45.0, 30.0), (-300.0, 210.0, 80.0)])
def test_a_point_lands_on_the_same_canvas_pixel_through_its_tile(point: tuple[float, float, float]) -> None:
    import vtk

    main = vtk.vtkCamera()
    main.SetPosition(400, -900, 700)
    main.SetFocalPoint(0, 0, 0)
    main.SetViewUp(0, 0, 1)
    main.SetViewAngle(30)
    # two 640×360 monitors side by side, 20 px of bezel between them on the canvas; 2 rows likewise
    gap = 20.0
    canvas = (2 * 640 + gap, 2 * 360 + gap)
    tiles = [
        BezelTile(
            f"M{r}{c}", Rect(c * 640, r * 360, 640, 360), Rect(c * (640 + gap), r * (360 + gap), 640, 360)
        )
        for r in range(2)
        for c in range(2)
    ]
    ndc = _project(main, canvas[0] / canvas[1], point)
    canvas_px = ((ndc[0] + 1) / 2 * canvas[0], (1 - ndc[1]) / 2 * canvas[1])
    hits = 0
    for tile in tiles:
        camera = vtk.vtkCamera()
        camera.DeepCopy(main)
        r = tile.canvas_rect
        angle, centre = tile_camera_params(main.GetViewAngle(), canvas, (r.x, r.y, r.w, r.h))
        camera.SetViewAngle(angle)
        camera.SetWindowCenter(*centre)
        t_ndc = _project(camera, 640 / 360, point)
        px = tile.canvas_rect.x + (t_ndc[0] + 1) / 2 * 640
        py = tile.canvas_rect.y + (1 - t_ndc[1]) / 2 * 360
        assert px == pytest.approx(canvas_px[0], abs=1e-6) and py == pytest.approx(canvas_px[1], abs=1e-6)
        hits += abs(t_ndc[0]) <= 1 and abs(t_ndc[1]) <= 1
    assert hits <= 1, "a point shows on at most one monitor (or on none: behind a bezel)"
