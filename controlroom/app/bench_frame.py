"""Feed benchmark part (c): frame time of the sample site with 50,000 live entities vs the static city.

Off-screen (EGL or GLX), MSAA off, 1280×800, the same camera. First the static scene is timed;
then every feed overlay is switched on (vehicles, trails, heatmap, incidents, sensors) over
50,000 entities that move every frame, and each live frame is timed *including* the overlay
refresh (the numpy work that copies the models into VTK arrays), since that is what a pump tick
costs the GUI thread. ``frame_ratio_50k`` = median live frame / median static frame.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

WINDOW = (1280, 800)


def _median_frame_ms(plotter: Any, frames: int, before: Any = None) -> float:
    times = []
    for i in range(frames):
        plotter.camera.Azimuth(0.5)
        start = time.perf_counter()
        if before is not None:
            before(i)
        plotter.render_window.Render()
        times.append((time.perf_counter() - start) * 1000.0)
    return float(np.median(times))


def bench_frame(entities: int = 50_000, frames: int = 15, seed: int = 3) -> dict[str, float | int]:
    """Static vs live frame time; keys frame_ms_static, frame_ms_live_50k, frame_ratio_50k."""
    import pyvista as pv

    from controlroom.app.sample_site import ensure_sample_site
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
    model = load_city(load_site(ensure_sample_site()))
    plotter: Any = pv.Plotter(off_screen=True, window_size=list(WINDOW))
    try:
        CityScene(plotter, model)
        plotter.show(auto_close=False)
        static_ms = _median_frame_ms(plotter, frames)

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
        stack = OverlayStack()
        for overlay in feed_overlays(
            lambda: store,
            lambda: sensors,
            lambda: board,
            time.time,
            (float(x0), float(x1), float(y0), float(y1)),
        ):
            stack.add(overlay)
            overlay.set_visible(True)  # all on, trails and heatmap included
        stack.attach(plotter)
        rad = np.radians(heading.astype(np.float64))
        dx, dy = np.sin(rad) * speed * 0.1, np.cos(rad) * speed * 0.1

        update_ms: list[float] = []

        def tick(i: int) -> None:
            start = time.perf_counter()
            t = now + 0.1 * (i + 1)
            store.upsert(ids, kind, store.x + dx, store.y + dy, heading, speed, status, t)
            stack.refresh(t)
            update_ms.append((time.perf_counter() - start) * 1000.0)

        tick(-1)
        plotter.render_window.Render()
        live_ms = _median_frame_ms(plotter, frames, tick)
    finally:
        plotter.close()
    return {
        "frame_ms_static": round(static_ms, 1),
        "frame_ms_live_50k": round(live_ms, 1),
        "frame_ratio_50k": round(live_ms / static_ms, 3) if static_ms > 0 else -1.0,
        "frame_ms_live_update_50k": round(float(np.median(update_ms[1:])), 1),  # model apply + overlay copy
        "frame_entities": entities,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(bench_frame(), indent=2))
