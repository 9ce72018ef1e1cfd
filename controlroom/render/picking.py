"""Click → object: cast the camera ray through a pixel into per-mesh cell locators.

VTK's hardware/area pickers re-render the scene (hundreds of ms at a million triangles on
software GL). A static cell locator, built once per mesh, answers a ray query in well under a
millisecond, so a click on a 100k-building city maps to a building index without a render.
Coordinates are VTK display pixels (origin bottom-left, device pixels); Qt callers convert.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pyvista as pv
    from vtkmodules.vtkRenderingCore import vtkRenderer


@dataclass(frozen=True)
class PickResult:
    """The nearest object under a pixel: which layer, which object row, where in local metres."""

    layer_kind: str
    object_index: int
    point: tuple[float, float, float]
    distance: float  # from the camera, metres


def _renderer_of(target: Any) -> vtkRenderer:
    """Accept a pyvista plotter (or QtInteractor) or a bare vtkRenderer."""
    renderer = getattr(target, "renderer", None)
    return renderer if renderer is not None else target


def display_ray(
    target: Any, x_px: float, y_px: float
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """World points where the ray through display pixel (x, y) meets the near and far clip planes."""
    renderer = _renderer_of(target)
    ends = []
    for depth in (0.0, 1.0):
        renderer.SetDisplayPoint(float(x_px), float(y_px), depth)
        renderer.DisplayToWorld()
        x, y, z, w = renderer.GetWorldPoint()
        w = w or 1.0
        ends.append((x / w, y / w, z / w))
    return ends[0], ends[1]


def world_to_display(target: Any, point: tuple[float, float, float]) -> tuple[float, float]:
    """A local-frame point → VTK display pixel (origin bottom-left): the inverse of a click."""
    renderer = _renderer_of(target)
    renderer.SetWorldPoint(float(point[0]), float(point[1]), float(point[2]), 1.0)
    renderer.WorldToDisplay()
    x, y, _ = renderer.GetDisplayPoint()
    return float(x), float(y)


class Picker:
    """Ray picking over several meshes; each mesh needs an integer cell array named 'object'.

    ``Picker({"buildings": mesh, "water": water_mesh})``; meshes are shared, not copied (the
    render visuals' PolyData can be passed directly). Locators are built lazily on the first
    pick of each layer, so loading a city never waits for them.
    """

    def __init__(self, meshes: Mapping[str, pv.PolyData], object_array: str = "object") -> None:
        self._meshes = dict(meshes)
        self._object_array = object_array
        self._locators: dict[str, Any] = {}
        self._cell_objects: dict[str, np.ndarray] = {}
        self._enabled: dict[str, bool] = dict.fromkeys(self._meshes, True)
        for kind, mesh in self._meshes.items():
            if object_array not in mesh.cell_data:
                raise ValueError(f"mesh for layer '{kind}' has no '{object_array}' cell array to pick by")

    @property
    def kinds(self) -> list[str]:
        return list(self._meshes)

    def set_enabled(self, kind: str, enabled: bool) -> None:
        """Hidden layers are not pickable: a click goes through them."""
        if kind in self._enabled:
            self._enabled[kind] = enabled

    def build(self) -> float:
        """Build every locator now (e.g. in a worker or after loading); returns the seconds it took."""
        start = time.perf_counter()
        for kind in self._meshes:
            self._locator(kind)
        return time.perf_counter() - start

    def _locator(self, kind: str) -> Any:
        locator = self._locators.get(kind)
        if locator is None:
            from vtkmodules.vtkCommonDataModel import vtkStaticCellLocator

            mesh = self._meshes[kind]
            locator = vtkStaticCellLocator()
            locator.SetDataSet(mesh)
            locator.SetNumberOfCellsPerNode(32)
            locator.BuildLocator()
            self._locators[kind] = locator
            self._cell_objects[kind] = np.asarray(mesh.cell_data[self._object_array])
        return locator

    def intersect(
        self, start: tuple[float, float, float], end: tuple[float, float, float]
    ) -> PickResult | None:
        """Nearest hit along the segment start→end across all enabled layers."""
        from vtkmodules.vtkCommonCore import mutable, reference

        best: PickResult | None = None
        best_t = np.inf
        length = float(np.linalg.norm(np.subtract(end, start)))
        for kind, mesh in self._meshes.items():
            if not self._enabled.get(kind, True) or mesh.n_cells == 0:
                continue
            locator = self._locator(kind)
            t: Any = mutable(0.0)  # VTK's by-reference out-parameters
            hit = [0.0, 0.0, 0.0]
            pcoords = [0.0, 0.0, 0.0]
            sub_id = reference(0)
            cell_id: Any = reference(-1)
            found = locator.IntersectWithLine(start, end, 0.0, t, hit, pcoords, sub_id, cell_id)
            if found and float(t) < best_t:
                best_t = float(t)
                obj = int(self._cell_objects[kind][int(cell_id)])
                best = PickResult(kind, obj, (hit[0], hit[1], hit[2]), best_t * length)
        return best

    def pick(self, target: Any, x_px: float, y_px: float) -> PickResult | None:
        """The object under display pixel (x, y) of a plotter/renderer, or None (sky, bare ground)."""
        start, end = display_ray(target, x_px, y_px)
        return self.intersect(start, end)


def time_picks(picker: Picker, target: Any, pixels: list[tuple[float, float]]) -> dict[str, float]:
    """Pick latency statistics (ms) over the given pixels, for benchmarks: median, p95, max, hit rate."""
    picker.build()
    times = []
    hits = 0
    for x, y in pixels:
        start = time.perf_counter()
        result = picker.pick(target, x, y)
        times.append((time.perf_counter() - start) * 1000.0)
        hits += result is not None
    arr = np.array(times) if times else np.zeros(1)
    return {
        "median_ms": float(np.median(arr)),
        "p95_ms": float(np.percentile(arr, 95)),
        "max_ms": float(arr.max()),
        "hit_rate": hits / max(len(pixels), 1),
    }
