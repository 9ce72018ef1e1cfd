"""Flood what-if benchmark: extent + depth on a 10 km × 10 km DEM at 2 m (25 M cells), ground depth
of 1 M buildings, against a plain ``scipy.ndimage`` flood fill of the same grid in the same run.

The DEM is a synthetic river valley (a meandering river, ground rising away from it, ripples that
leave closed pockets), deterministic; making it is not timed. Our extent is one connected-component
labelling of the below-level mask plus a table lookup (``geo.flood.flood_from``); the baseline is
what one writes with scipy alone: ``ndimage.binary_propagation`` of the river cells through the
below-level mask (a repeated dilation until nothing changes), then the same depth. Both must give
the same cells (``same_extent``), at two levels (``LEVELS_M``); the top-level figures are the
slower level's. Each timing is the best of ``repeats`` runs: the machine is shared. The slider
figures are the sample site's, standing on its terrain: what-if with the panel's totals, both map
layers refreshed and one off-screen render a step; the 1-minute load average says how busy the
machine was meanwhile.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

N = 5000  # cells a side
CELL_M = 2.0
LEVELS_M = (4.5, 7.5)  # a flood along the river (9 km²) and a wide one (41 km², many pockets)


def valley(n: int = N, cell: float = CELL_M) -> tuple[Any, np.ndarray]:
    """(Terrain, river mask) of an n × n grid."""
    from controlroom.geo.terrain import Terrain

    x = np.arange(n, dtype=np.float32) * np.float32(cell)
    y = x[:, None]
    centre = np.float32(n * cell / 2) + np.float32(900) * np.sin(x / np.float32(1700))
    dist = np.abs(y - centre[None, :])
    ripple = np.float32(0.8) * np.sin(x / np.float32(310))[None, :] * np.cos(y / np.float32(270))
    z = np.float32(3.0) + np.float32(6.0) * (1 - np.exp(-dist / np.float32(1500))) + ripple
    river = dist < np.float32(150)
    z[river] = np.float32(-2.0)
    return Terrain(z.astype(np.float32), 0.0, 0.0, cell, "bench valley"), river


def _best(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _baseline(terrain: Any, river: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    from scipy import ndimage

    z = terrain.z
    below = z < np.float32(level)
    flooded = ndimage.binary_propagation(river & below, mask=below)
    return flooded, np.where(flooded, np.float32(level) - z, np.float32(0))


def _buildings(n: int, extent_m: float, rng: np.random.Generator) -> Any:
    from controlroom.geo.flood_impact import BuildingSamples

    cx = rng.uniform(20, extent_m - 20, n)
    cy = rng.uniform(20, extent_m - 20, n)
    w = rng.uniform(6, 30, n)
    h = rng.uniform(6, 30, n)
    corner_x = np.stack([cx - w / 2, cx + w / 2, cx + w / 2, cx - w / 2], 1).ravel()
    corner_y = np.stack([cy - h / 2, cy - h / 2, cy + h / 2, cy + h / 2], 1).ravel()
    ids = [f"B{i}" for i in range(n)]
    return BuildingSamples.from_points(np.repeat(np.arange(n), 4), corner_x, corner_y, ids)


def slider_redraw(steps: int = 20, size: tuple[int, int] = (1280, 800)) -> dict[str, Any]:
    """Dragging the level on the sample site: what-if + both map layers rebuilt + one render per
    step, off-screen at ``size`` from the overview, levels 3.2 → 5.6 m (banks to a wide flood)."""
    from controlroom.app.sample_site import demo_site
    from controlroom.core.site import load_site
    from controlroom.geo.city_loader import load_city
    from controlroom.geo.crs import LocalFrame
    from controlroom.geo.flood_site import scene_for
    from controlroom.render.overlays.flood import FloodBuildingsOverlay, FloodWaterOverlay
    from controlroom.render.snapshot import open_offscreen

    site = load_site(demo_site(report=lambda _m: None))
    model = load_city(site)
    scene = scene_for(site, model, LocalFrame.of_model(model))
    scene.prepare_levels()  # as the desk does when it builds the scene, in the background
    state: dict[str, Any] = {"version": 0, "impact": None}

    def source() -> tuple[int, Any]:
        return state["version"], state["impact"]

    plotter, _ = open_offscreen(model, size)
    water = FloodWaterOverlay(source)
    bld = FloodBuildingsOverlay(source, lambda: model.layers.get("buildings"))
    try:
        water.attach(plotter)
        bld.attach(plotter)
        window = plotter.render_window
        assert window is not None
        window.Render()
        city = []
        for _ in range(5):  # the city alone, for scale: what any redraw of this view costs
            plotter.camera.Azimuth(0.2)
            t0 = time.perf_counter()
            window.Render()
            city.append(time.perf_counter() - t0)
        compute, layers, total = [], [], []
        for level in np.linspace(3.2, 5.6, steps):
            t0 = time.perf_counter()
            impact = scene.impact(scene.at(float(level)))
            impact.summary()  # the panel's totals and lists come from it on every step too
            impact.cut_roads()
            state["impact"] = impact
            state["version"] += 1
            t1 = time.perf_counter()
            water.refresh(t1)
            bld.refresh(t1)
            t2 = time.perf_counter()
            window.Render()
            compute.append(t1 - t0)
            layers.append(t2 - t1)
            total.append(time.perf_counter() - t0)
        per_step = float(np.median(total))
        return {
            "slider_fps": round(1.0 / per_step, 1),
            "slider_step_ms_p50": round(per_step * 1000, 1),
            "slider_compute_ms_p50": round(float(np.median(compute)) * 1000, 1),
            "slider_layers_ms_p50": round(float(np.median(layers)) * 1000, 1),
            "city_frame_ms_p50": round(float(np.median(city)) * 1000, 1),
            "slider_buildings": scene.buildings.n,
            "slider_triangles": model.n_triangles,
            "slider_size": list(size),
            "load_avg_1min": round(os.getloadavg()[0], 2),  # other work on the machine while it ran
            "cpus": os.cpu_count(),
        }
    finally:
        water.detach(plotter)
        bld.detach(plotter)
        plotter.close()


def bench_flood(
    n: int = N, buildings: int = 1_000_000, repeats: int = 3, slider: bool = True
) -> dict[str, Any]:
    from controlroom.core.site import FloodConfig
    from controlroom.geo.flood import flood_from
    from controlroom.geo.flood_impact import building_depths, classify

    terrain, river = valley(n)
    levels: dict[str, dict[str, Any]] = {}
    for level in LEVELS_M:
        ours_s, ext = _best(partial(flood_from, terrain, level, river), repeats)
        base_s, (flooded, depth) = _best(partial(_baseline, terrain, river, level), repeats)
        levels[f"{level:g}"] = {
            "flooded_km2": round(ext.area_km2, 3),
            "extent_depth_s": round(ours_s, 3),
            "baseline_scipy_s": round(base_s, 3),
            "ratio": round(base_s / ours_s, 2),
            "same_extent": bool(np.array_equal(flooded, ext.flooded)) and bool(np.allclose(depth, ext.depth)),
        }
        del flooded, depth
    t0 = time.perf_counter()
    samples = _buildings(buildings, n * CELL_M, np.random.default_rng(21))
    prep_s = time.perf_counter() - t0
    cfg = FloodConfig()
    b_s, state = _best(lambda: classify(building_depths(ext, samples), cfg), repeats)
    worst = max(levels.values(), key=lambda v: v["extent_depth_s"])
    return {
        "cells": int(terrain.z.size),
        "cell_m": CELL_M,
        "extent_depth_s": worst["extent_depth_s"],
        "baseline_scipy_s": worst["baseline_scipy_s"],
        "ratio": min(v["ratio"] for v in levels.values()),
        "same_extent": all(v["same_extent"] for v in levels.values()),
        "levels": levels,
        "buildings": buildings,
        "buildings_depth_s": round(b_s, 3),
        "buildings_prep_s": round(prep_s, 3),
        "buildings_flooded": int(np.count_nonzero(state == 2)),
        "buildings_wet": int(np.count_nonzero(state == 1)),
        "target_extent_s": 1.0,
        "target_buildings_s": 2.0,
    } | (slider_redraw() | {"target_slider_fps": 5.0} if slider else {})
