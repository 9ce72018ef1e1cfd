"""``controlroom bench city``: mesh building, CityJSON loading, frame time and pick latency.

Each comparison is measured side by side in one run, because the machines are shared and noisy:
only the ratios travel between runs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def synthetic_footprints(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """n rectangles and L-shapes on a city grid (local metres), with heights; exterior CCW."""
    import shapely

    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    ij = np.stack(np.divmod(np.arange(n), side), axis=1).astype(float)
    centre = ij * 30.0
    w = rng.uniform(8, 20, n)
    d = rng.uniform(8, 20, n)
    x0, y0 = centre[:, 0] - w / 2, centre[:, 1] - d / 2
    x1, y1 = x0 + w, y0 + d
    l_shape = rng.random(n) < 0.3
    # rectangle: 4 corners (padded to 6 by repeating), L-shape: 6 corners
    cx, cy = x0 + w * 0.5, y0 + d * 0.5
    xs = np.stack([x0, x1, x1, cx, cx, x0], axis=1)
    ys = np.stack([y0, y0, cy, cy, y1, y1], axis=1)
    rect_x = np.stack([x0, x1, x1, x0], axis=1)
    rect_y = np.stack([y0, y0, y1, y1], axis=1)
    polys = np.empty(n, dtype=object)
    lp = shapely.polygons(np.stack([xs[l_shape], ys[l_shape]], axis=2))
    rp = shapely.polygons(np.stack([rect_x[~l_shape], rect_y[~l_shape]], axis=2))
    polys[l_shape] = lp
    polys[~l_shape] = rp
    polys = shapely.orient_polygons(polys, exterior_cw=False)
    heights = rng.gamma(2.0, 9.0, n) + 6.0
    return polys, heights


def _time(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def bench_footprints(n: int = 100_000, naive_subset: int = 1_000) -> dict[str, Any]:
    from controlroom.geo.extrude import extrude_footprints

    polys, heights = synthetic_footprints(n)
    ours_s, layer = _time(lambda: extrude_footprints(polys, heights), repeat=2)
    k = min(naive_subset, n)
    naive_s, _ = _time(lambda: naive_extrude_merge(polys[:k], heights[:k]))
    naive_scaled = naive_s * (n / k)
    return {
        "footprints_100k_s": round(ours_s, 3),
        "footprints_triangles": int(layer.n_triangles),
        "naive_subset": k,
        "naive_subset_s": round(naive_s, 3),
        "naive_100k_s_scaled": round(naive_scaled, 2),
        "naive_ratio": round(naive_scaled / ours_s, 1),
        "_layer": layer,
    }


def bench_cityjson(path: Path) -> dict[str, Any]:
    from cjio import cityjson as cjio_cityjson

    from controlroom.geo.cityjson import read_cityjson

    def ours() -> Any:
        return read_cityjson(path).to_layers(None)

    def cjio_load() -> Any:
        with path.open(encoding="utf-8-sig") as fh:
            return cjio_cityjson.CityJSON(file=fh)

    ours_s, (layers, _issues) = _time(ours, repeat=3)
    cjio_s, _ = _time(cjio_load, repeat=3)
    return {
        "cityjson_denhaag_s": round(ours_s, 3),
        "cityjson_denhaag_triangles": int(sum(layer.n_triangles for layer in layers.values())),
        "cjio_load_s": round(cjio_s, 3),
        "cjio_ratio": round(ours_s / cjio_s, 2),
    }


def bench_render(layer: Any, size: tuple[int, int] = (1280, 800)) -> dict[str, Any]:
    from controlroom.core.city import CityModel
    from controlroom.render.snapshot import measure_render
    from controlroom.render.theme import configure_pyvista

    configure_pyvista()
    model = CityModel(crs="EPSG:32649", origin=(0.0, 0.0, 0.0), layers={"buildings": layer})
    m = measure_render(model, size=size, frames=10, picks=100)
    return {
        "frame_ms_100k": round(m["frame_ms"], 1),
        "frame_size": f"{size[0]}x{size[1]}",
        "pick_ms_100k": round(m["pick"]["median_ms"], 3),
        "pick_ms_100k_max": round(m["pick"]["max_ms"], 3),
        "picker_build_s": round(m["locator_build_s"], 3),
    }


def naive_extrude_merge(polygons: np.ndarray, heights: np.ndarray) -> Any:
    """The baseline: one PolyData per footprint, pyvista extrude, then merge (what we must beat)."""
    import pyvista as pv
    import shapely

    meshes = []
    for poly, h in zip(polygons, heights, strict=True):
        xy = shapely.get_coordinates(poly.exterior)[:-1]
        face = np.concatenate([[len(xy)], np.arange(len(xy))])
        base = pv.PolyData(np.column_stack([xy, np.zeros(len(xy))]), face)
        meshes.append(base.extrude((0, 0, float(h)), capping=True))
    return pv.merge(meshes).triangulate()


def default_shared_data() -> Path:
    """``$CONTROLROOM_SHARED_DATA``, else ``shared/data`` beside the source checkout (as the tests
    look for it), else ``shared/data`` under the current folder (the benchmark notes it missing)."""
    env = os.environ.get("CONTROLROOM_SHARED_DATA")
    if env:
        return Path(env)
    from controlroom.core.shipped import source_checkout

    checkout = source_checkout()
    return (checkout.parent if checkout else Path.cwd()) / "shared" / "data"


def bench_city(n: int = 100_000, data: Path | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"buildings": n}
    fp = bench_footprints(n)
    layer = fp.pop("_layer")
    out.update(fp)
    denhaag = (data or default_shared_data()) / "cityjson" / "DenHaag_01.city.json"
    if denhaag.exists():
        out.update(bench_cityjson(denhaag))
    else:
        out.update({"cityjson_denhaag_s": None, "cjio_ratio": None, "cityjson_note": f"{denhaag} not found"})
    out.update(bench_render(layer))
    out["targets"] = {"naive_ratio": ">= 20", "cjio_ratio": "<= 1.0", "pick_ms_100k": "<= 30"}
    return out
