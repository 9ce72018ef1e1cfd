"""Feed benchmark part (c): frame time of the sample site with 50,000 live entities vs the static city.

Off-screen (EGL or GLX), MSAA off, 1280×800, the camera turning half a degree per frame. Static
and live frames are interleaved (a static frame with every overlay hidden, then a live frame),
so load from other processes on a shared machine hits both alike. Each live frame is timed
*including* the pump's work on the GUI thread: writing 50,000 moved entities into the store and
the overlay refresh that copies the models into VTK arrays. Two layer sets are measured:

- ``frame_ratio_50k``: every feed overlay on — vehicles, trails, density heatmap, incidents,
  sensors (the strictest case; trails and heatmap are off on a wall by default);
- ``frame_ratio_50k_default_layers``: the layers a map starts with (vehicles, incidents, sensors).

Each ratio is median live frame / median static frame of its own interleaved run.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

WINDOW = (1280, 800)


def _interleaved_ms(
    plotter: Any, overlays: list[Any], shown: list[Any], frames: int, tick: Any
) -> tuple[float, float]:
    """(median static frame, median live frame) in ms, alternating the two every frame."""
    static, live = [], []
    for i in range(frames):
        plotter.camera.Azimuth(0.5)
        for overlay in overlays:
            overlay.set_visible(False)
        start = time.perf_counter()
        plotter.render_window.Render()
        static.append(time.perf_counter() - start)
        for overlay in shown:
            overlay.set_visible(True)
        start = time.perf_counter()
        tick(i)
        plotter.render_window.Render()
        live.append(time.perf_counter() - start)
    return float(np.median(static)) * 1000.0, float(np.median(live)) * 1000.0


def bench_frame(entities: int = 50_000, frames: int = 21, seed: int = 3) -> dict[str, float | int]:
    """Static vs live frame time, all feed layers and the default ones (keys: module docstring)."""
    import pyvista as pv

    from controlroom.app.sample_site import demo_site
    from controlroom.core.entities import EntityStore
    from controlroom.core.incidents import IncidentBoard, IncidentState
    from controlroom.core.protocol import ENTITY_KINDS, INCIDENT_TYPES
    from controlroom.core.sensors import SensorStore
    from controlroom.core.site import load_site
    from controlroom.geo.city_loader import load_city
    from controlroom.render.overlays import feed_overlays
    from controlroom.render.overlays.stack import OverlayStack
    from controlroom.render.scene import CityScene
    from controlroom.render.theme import configure_pyvista

    configure_pyvista()
    model = load_city(load_site(demo_site()))
    plotter: Any = pv.Plotter(off_screen=True, window_size=list(WINDOW))
    try:
        CityScene(plotter, model)
        plotter.show(auto_close=False)

        rng = np.random.default_rng(seed)
        x0, x1, y0, y1 = model.bounds()[:4]
        now = time.time()
        store = EntityStore(capacity=entities)
        ids = [f"veh-{i}" for i in range(entities)]
        x = rng.uniform(x0, x1, entities)
        y = rng.uniform(y0, y1, entities)
        heading = rng.uniform(0, 360, entities).astype(np.float32)
        kind = rng.integers(0, len(ENTITY_KINDS), entities).astype(np.uint8)
        status = rng.integers(0, 3, entities).astype(np.uint8)
        speed = rng.uniform(0, 15, entities).astype(np.float32)
        store.upsert(ids, kind, x, y, heading, speed, status, now)
        sensors = SensorStore()
        sx, sy = rng.uniform(x0, x1, 40), rng.uniform(y0, y1, 40)
        sensors.upsert(
            [f"S{i}" for i in range(40)],
            ["aqi"] * 40,
            ["AQI"] * 40,
            sx,
            sy,
            rng.uniform(20, 200, 40),
            ["ok"] * 40,
            now,
        )
        board = IncidentBoard()
        board.apply(
            IncidentState(f"I{i}", INCIDENT_TYPES[i % 8], 1 + i % 4, float(rng.uniform(x0, x1)),
                          float(rng.uniform(y0, y1)), (), "", "new", now, now)
            for i in range(30)
        )  # fmt: skip
        overlays = feed_overlays(
            lambda: store,
            lambda: sensors,
            lambda: board,
            time.time,
            (float(x0), float(x1), float(y0), float(y1)),
        )
        stack = OverlayStack()
        for overlay in overlays:
            stack.add(overlay)
        stack.attach(plotter)
        rad = np.radians(heading.astype(np.float64))
        dx, dy = np.sin(rad) * speed * 0.1, np.cos(rad) * speed * 0.1
        update_ms: list[float] = []
        clock = [now]

        def tick(_: int) -> None:
            start = time.perf_counter()
            clock[0] += 0.1
            store.upsert(ids, kind, store.x + dx, store.y + dy, heading, speed, status, clock[0])
            stack.refresh(clock[0])
            update_ms.append((time.perf_counter() - start) * 1000.0)

        default = [o for o in overlays if o.default_visible]
        results = {}
        for name, shown in (("all", overlays), ("default", default)):
            for overlay in shown:
                overlay.set_visible(True)
            for i in range(3):  # warm up: first uploads, trails filling
                tick(i)
                plotter.render_window.Render()
            update_ms.clear()
            static_ms, live_ms = _interleaved_ms(plotter, overlays, shown, frames, tick)
            results[name] = (static_ms, live_ms, float(np.median(update_ms)))
    finally:
        plotter.close()
    (s_all, l_all, u_all), (s_def, l_def, u_def) = results["all"], results["default"]
    return {
        "frame_ms_static": round(s_all, 1),
        "frame_ms_live_50k": round(l_all, 1),
        "frame_ratio_50k": round(l_all / s_all, 3) if s_all > 0 else -1.0,
        "frame_ms_live_update_50k": round(u_all, 1),  # store upsert + overlay copies, in the live frame
        "frame_ms_static_default_layers": round(s_def, 1),
        "frame_ms_live_50k_default_layers": round(l_def, 1),
        "frame_ratio_50k_default_layers": round(l_def / s_def, 3) if s_def > 0 else -1.0,
        "frame_ms_live_update_50k_default_layers": round(u_def, 1),
        "frame_entities": entities,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(bench_frame(), indent=2))
