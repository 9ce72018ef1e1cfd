"""``controlroom replay export``: a recorded period as an H.264 video of the map, off-screen.

Each frame is the state at its instant from history (``HistoryPlayer``: the same answer as
``history at``, with the alarms as they stood), drawn over the city off-screen (no window, no X
server: EGL or OSMesa, as ``snapshot``) with the time, a KPI strip and, while an alarm is open,
a red alarm banner burned in, and encoded with PyAV. The clip lasts
(T2 - T1) / speed seconds at ``fps`` frames a second.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from controlroom.core.site import Site

#: Entity colours by kind (RGB 0-1), the map's own palette is Qt-side; these read on the dark city.
_KIND_RGB = {
    "bus": (0.2, 0.6, 1.0), "muck_truck": (0.9, 0.6, 0.2), "police": (0.3, 0.4, 1.0),
    "city_management": (0.3, 0.9, 0.5), "taxi": (1.0, 0.85, 0.2), "ambulance": (1.0, 1.0, 1.0),
    "fire_engine": (1.0, 0.25, 0.2), "sanitation": (0.6, 0.8, 0.3), "other": (0.8, 0.8, 0.8),
}  # fmt: skip


class ExportError(ValueError):
    """A request the export cannot make (empty period, bad size); says what to change."""


def frame_times(t0: float, t1: float, speed: float, fps: int) -> list[float]:
    """History instants of each frame: duration (t1 - t0) / speed seconds at ``fps``."""
    if t1 <= t0:
        raise ExportError(f"the period ends ({t1:.0f}) at or before it starts ({t0:.0f})")
    if speed <= 0 or fps <= 0:
        raise ExportError(f"speed and fps must be positive; got speed {speed:g}, fps {fps}")
    n = max(1, round((t1 - t0) / speed * fps))
    return [t0 + i * speed / fps for i in range(n)]


def export_replay(
    site: Site,
    history: Path,
    t0: float,
    t1: float,
    out: Path,
    *,
    speed: float = 1.0,
    fps: int = 10,
    size: tuple[int, int] = (1280, 720),
    view: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    import av
    import pyvista as pv

    from controlroom.geo.city_loader import load_city, site_frame
    from controlroom.history.player import HistoryPlayer
    from controlroom.history.query import HistoryReader
    from controlroom.history.times import format_time
    from controlroom.render.snapshot import open_offscreen

    times = frame_times(t0, t1, speed, fps)
    w, h = size[0] - size[0] % 2, size[1] - size[1] % 2  # H.264 wants even sizes
    if w < 64 or h < 64:
        raise ExportError(f"video size must be at least 64x64 pixels, got {size[0]}x{size[1]}")
    spec = site.view(view) if view else None  # KeyError names the known views
    model = load_city(site)
    frame = site_frame(site)
    reader = HistoryReader(history)
    player = HistoryPlayer(reader, prefetch=False)
    plotter, scene = open_offscreen(model, (w, h))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    z = float(model.bounds()[4]) + 3.0 if len(model.bounds()) > 4 else 3.0
    encoded = 0
    try:
        if spec is not None:
            scene.fly_to_view(spec, frame)
        with av.open(str(tmp), "w", format="mp4") as container:
            stream: Any = container.add_stream("libx264", rate=fps)
            stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
            stream.options = {"preset": "veryfast", "g": str(fps * 2)}
            for i, t in enumerate(times):
                state = player.seek(t)
                _draw_entities(plotter, pv, state.entities, z)
                values = {r["name"]: r["value"] for r in state.metrics.to_pylist()}
                metrics = "  ".join(f"{k} {v:g}" for k, v in sorted(values.items())[:4])
                clock = format_time(t, site.site.timezone)[:19].replace("T", " ")
                plotter.add_text(
                    f"REPLAY  {clock}", position="upper_left", font_size=14, color="yellow", name="clock"
                )
                kpi = (f"entities {state.entities.num_rows}   incidents open {state.incidents.num_rows}   "
                       f"alarms active {len(state.alarms)}   {metrics}")  # fmt: skip
                plotter.add_text(kpi, position="lower_left", font_size=10, color="white", name="kpi")
                plotter.render()
                img = np.asarray(plotter.screenshot(return_img=True))[:h, :w, :3]
                if state.alarms:
                    img = alarm_banner(img, banner_text(state.alarms, site.site.timezone))
                vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
                for packet in stream.encode(vf):
                    container.mux(packet)
                encoded += 1
                if progress:
                    progress(i + 1, len(times))
            for packet in stream.encode():
                container.mux(packet)
        os.replace(tmp, out)
    finally:
        plotter.close()
        reader.close()
        tmp.unlink(missing_ok=True)
    return {"out": str(out), "frames": encoded, "fps": fps, "seconds": encoded / fps, "size": [w, h],
            "from": t0, "to": t1, "speed": speed}  # fmt: skip


def _draw_entities(plotter: Any, pv: Any, entities: Any, z: float) -> None:
    n = entities.num_rows
    if not n:
        plotter.remove_actor("entities", render=False)
        return
    x = entities.column("x").to_numpy()
    y = entities.column("y").to_numpy()
    pts = np.column_stack((x, y, np.full(n, z)))
    colours = np.array([_KIND_RGB.get(k, _KIND_RGB["other"]) for k in entities.column("kind").to_pylist()])
    cloud = pv.PolyData(pts)
    cloud["rgb"] = (colours * 255).astype(np.uint8)
    plotter.add_mesh(cloud, scalars="rgb", rgb=True, point_size=8, render_points_as_spheres=True,
                     name="entities", reset_camera=False)  # fmt: skip


#: The banner's colour (RGB): the alarm red of the room's walls.
BANNER_RGB = (200, 30, 30)


def banner_text(alarms: list[Any], timezone: str) -> str:
    """The most recent open alarm, when it was raised, whether someone acknowledged it."""
    from controlroom.history.times import format_time

    top = max(alarms, key=lambda a: a.raised_at)
    since = format_time(top.raised_at, timezone)[11:19]
    ack = f"acknowledged by {top.acknowledged_by}" if top.acknowledged else "not acknowledged"
    more = f"   (+{len(alarms) - 1} more)" if len(alarms) > 1 else ""
    return f"ALARM  {top.key}  since {since}  {ack}{more}"


def alarm_banner(img: np.ndarray, text: str) -> np.ndarray:
    """A red strip with white text across the frame, below the clock."""
    from PIL import Image, ImageDraw, ImageFont

    h, w = img.shape[:2]
    band = max(14, h // 14)
    top = min(h - band, max(band + 8, h // 10))
    pic = Image.fromarray(np.ascontiguousarray(img))
    draw = ImageDraw.Draw(pic)
    draw.rectangle((0, top, w, top + band), fill=BANNER_RGB)
    font = ImageFont.load_default(size=max(10, band * 2 // 3))
    draw.text((8, top + band // 2), text, fill=(255, 255, 255), font=font, anchor="lm")
    return np.asarray(pic)


def print_progress(done: int, total: int) -> None:
    """A one-line progress bar on stderr."""
    width = 30
    filled = round(width * done / total)
    end = "\n" if done == total else ""
    bar = "#" * filled + "." * (width - filled)
    print(f"\rexport [{bar}] {done}/{total} frames", end=end, file=sys.stderr, flush=True)
