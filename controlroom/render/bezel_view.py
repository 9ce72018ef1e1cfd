"""Bezel compensation for a 3D view spanning several monitors.

A map across a 2 × 2 block of monitors must look like one picture behind a window frame: what
lies behind a bezel is hidden, not squeezed, so roads stay straight across the gaps. VTK does
this with one renderer per monitor: each gets that monitor's viewport of the spanning window
and a copy of the main camera whose view angle covers only its share of the (larger) virtual
canvas and whose window centre shifts the frustum to its place (``vtkCamera.SetWindowCenter``,
made for exactly this). The main renderer keeps the actors and the camera the interactor moves;
it is simply not drawn. Props and camera are copied at the start of every render.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

#: (x, y, w, h) in pixels, origin top-left.
Box = tuple[float, float, float, float]


def tile_camera_params(
    view_angle_deg: float, canvas: tuple[float, float], tile_on_canvas: Box
) -> tuple[float, tuple[float, float]]:
    """(view angle, window centre) for one tile, given the whole canvas's vertical view angle."""
    cw, ch = canvas
    x, y, w, h = tile_on_canvas
    half = math.tan(math.radians(view_angle_deg) / 2.0)
    angle = 2.0 * math.degrees(math.atan(half * h / ch))
    cx = ((x + w / 2.0) - cw / 2.0) / (w / 2.0)
    cy = -((y + h / 2.0) - ch / 2.0) / (h / 2.0)
    return angle, (cx, cy)


class BezelTiles:
    """Draw a plotter's scene as per-monitor tiles of a bezel-compensated canvas.

    ``tiles`` are (rect in the window, rect on the canvas) per monitor, as
    ``layouts.geometry.BezelCompensation`` computes them.
    """

    def __init__(
        self,
        plotter: Any,
        canvas: tuple[float, float],
        tiles: Sequence[tuple[Box, Box]],
        window_size: tuple[int, int],
    ) -> None:
        import vtk

        self.plotter = plotter
        self.canvas = canvas
        self.tiles = list(tiles)
        self.main = plotter.renderer
        self.renderers: list[Any] = []
        self.cameras: list[Any] = []
        ww, wh = window_size
        render_window = plotter.render_window
        for (x, y, w, h), _on_canvas in self.tiles:
            renderer = vtk.vtkRenderer()
            renderer.SetViewport(x / ww, 1.0 - (y + h) / wh, (x + w) / ww, 1.0 - y / wh)
            renderer.SetBackground(self.main.GetBackground())
            renderer.SetBackground2(self.main.GetBackground2())
            renderer.SetGradientBackground(self.main.GetGradientBackground())
            renderer.SetLightFollowCamera(self.main.GetLightFollowCamera())
            renderer.SetUseOIT(self.main.GetUseOIT())
            camera = vtk.vtkCamera()
            renderer.SetActiveCamera(camera)
            render_window.AddRenderer(renderer)
            self.renderers.append(renderer)
            self.cameras.append(camera)
        self.main.SetDraw(False)
        self._observer = render_window.AddObserver("StartEvent", lambda *_: self.sync())
        self.sync()

    def sync(self) -> None:
        """Copy the main renderer's props, lights and camera into every tile (cheap: references)."""
        props = self.main.GetViewProps()
        main_camera = self.main.GetActiveCamera()
        lights = self.main.GetLights()
        wanted = _prop_keys(props)
        for renderer, camera, (_in_window, on_canvas) in zip(
            self.renderers, self.cameras, self.tiles, strict=True
        ):
            # By identity, not count: a streamed city swaps tile actors (one in, one evicted).
            if _prop_keys(renderer.GetViewProps()) != wanted:
                renderer.RemoveAllViewProps()
                props.InitTraversal()
                for _ in range(props.GetNumberOfItems()):
                    renderer.AddViewProp(props.GetNextProp())
                renderer.RemoveAllLights()
                lights.InitTraversal()
                for _ in range(lights.GetNumberOfItems()):
                    renderer.AddLight(lights.GetNextItem())
            camera.DeepCopy(main_camera)
            angle, centre = tile_camera_params(main_camera.GetViewAngle(), self.canvas, on_canvas)
            camera.SetViewAngle(angle)
            camera.SetWindowCenter(*centre)
            camera.SetClippingRange(main_camera.GetClippingRange())

    def remove(self) -> None:
        render_window = self.plotter.render_window
        render_window.RemoveObserver(self._observer)
        for renderer in self.renderers:
            renderer.RemoveAllViewProps()
            render_window.RemoveRenderer(renderer)
        self.renderers.clear()
        self.cameras.clear()
        self.main.SetDraw(True)


def _prop_keys(props: Any) -> list[str]:
    """The C++ identities of a prop collection, in order."""
    props.InitTraversal()
    return [props.GetNextProp().__this__ for _ in range(props.GetNumberOfItems())]
