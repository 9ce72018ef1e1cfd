"""``controlroom bench bigcity``: the generated city of N buildings, tiled, streamed under a budget.

Three processes so each peak is its own: a child generates the city and builds the tiles
(``build_s``), this process opens the tileset and flies the camera (``first_frame_s``, frame times,
``rss_mb_peak``, ``tile_bytes_peak`` against ``budget_bytes``, ``pick_ms``), and a last child draws
today's single merged mesh of the same city (``single_mesh_frame_ms``) when it fits.

``first_frame_s`` is the time from start to the first frame without holes as the app streams
(coarse first: the root's stand-in of the whole city at worst); ``overview_detail_s`` when the
overview's own tiles are all in. Frame times are ``Render()`` calls at 1280×800 off-screen, MSAA
off, with the map's lights, after the frame's tiles were selected; tile loads run between frames
(in the app they run in a worker), timed as ``load_ms``.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from controlroom.app.big_city import ARTERIAL_EVERY, BLOCK, DISTRICT_BLOCKS, STREET, _grid_side

SIZE = (1280, 800)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _child(code: str, timeout: float) -> dict[str, Any]:
    env = dict(os.environ)
    # Tiles and meshes of the generated city stay in the bench folder, not the user's cache.
    env["CONTROLROOM_CACHE_DIR"] = env.get("CONTROLROOM_BENCH_CACHE", env.get("CONTROLROOM_CACHE_DIR", ""))
    if not env["CONTROLROOM_CACHE_DIR"]:
        del env["CONTROLROOM_CACHE_DIR"]
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, env=env
    )
    if run.returncode != 0:
        return {"error": (run.stderr.strip().splitlines() or ["failed"])[-1]}
    return dict(json.loads(run.stdout.strip().splitlines()[-1]))


def _build(folder: Path, n: int) -> dict[str, Any]:
    code = f"""
import json, resource, time
from pathlib import Path
from controlroom.app.big_city import generate
from controlroom.core.site import load_site
from controlroom.geo.tiles.build import default_workers
from controlroom.geo.tiles.store import build_site_tiles
t0 = time.perf_counter()
site = generate(Path({str(folder)!r}), n={n})
gen = time.perf_counter() - t0
t0 = time.perf_counter()
result, out = build_site_tiles(load_site(site), Path({str(folder / "tiles")!r}))
print(json.dumps({{"generate_s": gen, "build_s": time.perf_counter() - t0, "tiles": result.tiles,
  "levels": result.levels, "tile_disk_bytes": result.bytes,
  "build_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
  "build_workers": default_workers(),
  "build_worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}}))
"""
    return _child(code, timeout=1800)


def _single_mesh(folder: Path) -> dict[str, Any]:
    code = f"""
import json, resource
from controlroom.core.site import load_site
from controlroom.geo.city_loader import load_city
from controlroom.render.snapshot import measure_render
model = load_city(load_site({str(folder / "site.toml")!r}), include_vectors=False, as_tiles=False)
m = measure_render(model, size=(1280, 800), frames=3, picks=1)
print(json.dumps({{"frame_ms": m["frame_ms"], "triangles": m["triangles"],
  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""
    return _child(code, timeout=1800)


def _cameras(n: int, lo: np.ndarray, hi: np.ndarray) -> dict[str, list[tuple[Any, Any]]]:
    """Scripted camera positions (position, focal point) for each view, in local metres."""
    centre = (lo + hi) / 2
    ext = float(max(hi[0] - lo[0], hi[1] - lo[1]))
    side = _grid_side(n)
    half = side * BLOCK / 2
    # The CBD (centre block of a district) of the district holding the city centre.
    k = min((side // 2) // DISTRICT_BLOCKS * DISTRICT_BLOCKS + DISTRICT_BLOCKS // 2, side - 1)
    cbd_x = k * BLOCK + (k // ARTERIAL_EVERY) * STREET - half + BLOCK / 2
    cbd = np.array([cbd_x, cbd_x, 0.0])
    ov = [(centre + np.array([0, -0.55 * ext, 0.75 * ext]), centre)]
    overview = [(p + np.array([ext * 0.01 * i, 0, 0]), f) for i in range(4) for p, f in ov]
    district = [
        (cbd + np.array([1800 * math.cos(a), 1800 * math.sin(a), 1500]), cbd) for a in np.linspace(0, 0.6, 6)
    ]
    street = [
        (cbd + np.array([-500 + 40 * i, -BLOCK * 1.5, 60]), cbd + np.array([-500 + 40 * i + 300, 600, 80]))
        for i in range(6)
    ]
    fly = []
    for i in range(60):
        s = i / 59
        focal = centre * (1 - s) + cbd * s
        height = 0.75 * ext * (1 - s) ** 2 + 120 * s
        back = 0.55 * ext * (1 - s) ** 2 + 600 * s
        fly.append((focal + np.array([0, -back, height]), focal))
    return {"overview": overview, "district": district, "street": street, "flythrough": fly}


def _camera_of(plotter: Any, pos: Any, focal: Any) -> Any:
    from controlroom.geo.tiles.select import Camera

    cam = plotter.camera
    cam.position = tuple(float(v) for v in pos)
    cam.focal_point = tuple(float(v) for v in focal)
    cam.up = (0.0, 0.0, 1.0)
    plotter.renderer.ResetCameraClippingRange()
    return Camera(tuple(cam.position), tuple(cam.focal_point), (0.0, 0.0, 1.0), float(cam.view_angle), SIZE)


def _view_run(tiles: Path, n: int, budget: int, max_sse: float) -> dict[str, Any]:
    import pyvista as pv

    from controlroom.geo.tiles.tileset import read_tileset
    from controlroom.render.picking import display_ray
    from controlroom.render.snapshot import prefer_egl_without_display
    from controlroom.render.theme import apply_lighting, configure_pyvista, plain_blending
    from controlroom.render.tiled_city import TiledCity, load_tile, local_from_tileset

    configure_pyvista()
    prefer_egl_without_display()
    t_start = time.perf_counter()
    ts = read_tileset(tiles)
    ours = ts.extras["controlroom"]
    to_local = local_from_tileset(ts, ours["crs"], tuple(ours["origin"]))
    plotter = pv.Plotter(off_screen=True, window_size=list(SIZE))
    out: dict[str, Any] = {}
    try:
        plotter.set_background("#05080f")  # type: ignore[arg-type]
        apply_lighting(plotter)  # the map's own lights and blending (render.scene), not pyvista's kit
        plain_blending(plotter.renderer)
        plotter.show(auto_close=False)
        window = plotter.render_window
        assert window is not None
        city = TiledCity(ts, to_local, budget, renderer=plotter.renderer, max_sse=max_sse)
        cams = _cameras(n, city.index.lo[0], city.index.hi[0])
        load_s = 0.0
        cpu: list[float] = []

        def frame(pos: Any, focal: Any) -> float:
            nonlocal load_s
            camera = _camera_of(plotter, pos, focal)
            t0 = time.perf_counter()
            city.update(camera)  # loads inline here; in the app a worker does this
            load_s += time.perf_counter() - t0
            t0, c0 = time.perf_counter(), time.process_time()
            window.Render()
            cpu.append((time.process_time() - c0) * 1000.0)
            return (time.perf_counter() - t0) * 1000.0

        # First frame as the app streams it: loads come back coarse first, and the frame is drawn
        # once the view has no holes (the root stand-in at worst); then the view's detail.
        queued: list[int] = []
        city.submit = queued.append
        camera = _camera_of(plotter, *cams["overview"][0])
        city.update(camera)
        while queued and not city.covered:
            city.deliver(load_tile(ts, queued.pop(0), to_local, city.theme))
        window.Render()
        out["first_frame_s"] = round(time.perf_counter() - t_start, 3)
        while queued:
            city.deliver(load_tile(ts, queued.pop(0), to_local, city.theme))
        window.Render()
        out["overview_detail_s"] = round(time.perf_counter() - t_start, 3)
        city.submit = city._load_inline
        for view, path in cams.items():
            times = [frame(p, f) for p, f in path]
            if view != "flythrough":  # settled views: the same path again with everything loaded
                cpu.clear()
                times = [frame(p, f) for p, f in path]
            # CPU time of a frame (llvmpipe's threads included): the work, whatever else runs.
            out[f"cpu_ms_p50_{view}"] = round(float(np.percentile(cpu[-len(times) :], 50)), 1)
            out[f"cpu_ms_p95_{view}"] = round(float(np.percentile(cpu[-len(times) :], 95)), 1)
            out[f"frame_ms_p50_{view}"] = round(float(np.percentile(times, 50)), 1)
            out[f"frame_ms_p95_{view}"] = round(float(np.percentile(times, 95)), 1)
            out[f"triangles_{view}"] = city.shown_triangles
            out[f"tiles_{view}"] = len(city.shown)
            out[f"budget_bound_{view}"] = city.budget_bound
        out["load_ms_total"] = round(load_s * 1000, 1)
        # Picks at the district view: a coarse tile or a leaf, whichever is drawn under the pixel.
        frame(*cams["district"][0])
        picks, hits, coarse = [], 0, 0
        for x in np.linspace(SIZE[0] * 0.3, SIZE[0] * 0.7, 5):
            for y in np.linspace(SIZE[1] * 0.3, SIZE[1] * 0.7, 4):
                near, far = display_ray(plotter, float(x), float(y))
                t0 = time.perf_counter()
                got = city.pick_ray(np.asarray(near), np.asarray(far) - np.asarray(near))
                picks.append((time.perf_counter() - t0) * 1000.0)
                hits += got is not None
                coarse += bool(got and got.resolved_from_coarse)
        out["pick_ms"] = round(float(np.median(picks)), 2)
        out["pick_ms_max"] = round(float(np.max(picks)), 2)
        out["pick_hits"] = f"{hits}/{len(picks)} ({coarse} on coarse tiles)"
        out["tile_bytes_peak"] = city.cache.peak
        out["budget_bytes"] = budget
        out["tile_loads_refused"] = city.cache.refused
    finally:
        plotter.close()
    out["rss_mb_peak"] = round(_rss_mb(), 1)
    out["load_avg_1min"] = round(os.getloadavg()[0], 2)  # a shared machine: say how busy it was
    return out


def bench_bigcity(
    n: int = 1_000_000,
    memory_mb: int = 600,
    *,
    folder: Path | None = None,
    baseline: bool = True,
    max_sse: float = 16.0,
) -> dict[str, Any]:
    out: dict[str, Any] = {"buildings": n, "frame_size": f"{SIZE[0]}x{SIZE[1]}", "msaa": 0}
    tmp = None
    if folder is None:
        tmp = tempfile.TemporaryDirectory(prefix="controlroom-bigcity-")
        folder = Path(tmp.name)
    os.environ["CONTROLROOM_BENCH_CACHE"] = str(folder / "cache")
    try:
        built = _build(folder, n)
        if "error" in built:
            return out | {"error": f"build: {built['error']}"}
        out["build_s"] = round(built["build_s"], 1)
        out["generate_s"] = round(built["generate_s"], 1)
        out.update({k: built[k] for k in ("tiles", "levels", "tile_disk_bytes")})
        out["build_rss_mb"] = round(built["build_rss_mb"], 1)
        out["build_workers"] = built["build_workers"]  # tile writers (forked; their peak below)
        out["build_worker_rss_mb"] = round(built["build_worker_rss_mb"], 1)
        out.update(_view_run(folder / "tiles", n, memory_mb << 20, max_sse))
        if baseline:
            single = _single_mesh(folder)
            out["single_mesh_frame_ms"] = round(single["frame_ms"], 1) if "frame_ms" in single else None
            out["single_mesh_rss_mb"] = round(single.get("rss_mb", 0.0), 1) or None
            if "error" in single:
                out["single_mesh_note"] = single["error"]
        else:
            out["single_mesh_frame_ms"] = None
        out["targets"] = {
            "frame_ms_p95_*": "<= 200",
            "rss_mb_peak": "<= 1500 (600 MB budget)",
            "tile_bytes_peak": "<= budget_bytes",
            "first_frame_s": "<= 3",
            "build_s": "<= 90",
            "pick_ms": "<= 30",
        }
        return out
    finally:
        if tmp is not None:
            tmp.cleanup()
