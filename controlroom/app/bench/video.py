"""``controlroom bench video``: click → first frame (file, HTTP), CPU for 16 tiles, nearest-4 at 35,000.

Figures, all measured here and printed as JSON:
- ``first_frame_ms_file`` / ``first_frame_ms_http``: from opening a camera in the grid to its
  first decoded frame (median of a few opens; clips rendered beforehand, so no encoding counted).
- ``cpu_16_tiles``: process CPU seconds per wall second (1.0 = one core busy) while 16
  sub-stream tiles play over HTTP, with ``fps_16_tiles`` frames shown per second in all.
- ``nearest_ms_35k``: median nearest-4 query over 35,000 cameras (target ≤ 1 ms), plus
  ``load_s_35k`` (reading a 35,000-row CSV registry) and ``index_build_ms_35k``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def bench_nearest(n: int = 35_000, queries: int = 2000, seed: int = 7) -> dict[str, float]:
    import numpy as np

    from controlroom.core.site import CameraSource
    from controlroom.geo.cameras import load_cameras
    from controlroom.geo.crs import LocalFrame

    rng = np.random.default_rng(seed)
    frame = LocalFrame.at_wgs84("EPSG:32649", 113.32, 23.11)
    lon, lat = frame.to_wgs84(rng.uniform(-8000, 8000, n), rng.uniform(-6000, 6000, n))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cameras.csv"
        lines = ["id,name,lon,lat,main_url,sub_url,ptz,heading_deg,fov_deg,district,grid,tags"]
        lines += [
            f"C{i:06d},Camera {i},{lon[i]:.7f},{lat[i]:.7f},rtsp://nvr/{i}/main,rtsp://nvr/{i}/sub,"
            f"{i % 7 == 0},{(i * 37) % 360},60,D{i % 11},G{i % 997},road;{'bridge' if i % 50 else 'street'}"
            for i in range(n)
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        import pandas  # noqa: F401  (imports are the app's start-up cost, not the registry's)
        import scipy.spatial  # noqa: F401

        frame.from_wgs84(lon[:1], lat[:1])
        t0 = time.perf_counter()
        registry = load_cameras(CameraSource(path=path, crs="EPSG:4326"), frame)
        load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    _ = registry.tree
    build_ms = (time.perf_counter() - t0) * 1000
    pts = rng.uniform([-8000, -6000], [8000, 6000], (queries, 2))
    times = []
    for x, y in pts:
        t0 = time.perf_counter()
        registry.nearest(float(x), float(y), 4)
        times.append(time.perf_counter() - t0)
    return {
        "nearest_ms_35k": round(statistics.median(times) * 1000, 4),
        "nearest_p99_ms_35k": round(sorted(times)[int(0.99 * len(times))] * 1000, 4),
        "load_s_35k": round(load_s, 3),
        "index_build_ms_35k": round(build_ms, 2),
    }


def _wait(app: Any, until: Callable[[], bool], timeout_s: float) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        app.processEvents()
        if until():
            return True
        time.sleep(0.002)
    return False


def bench_playback(repeats: int = 5, seconds_16: float = 6.0) -> dict[str, Any]:
    """First-frame latencies and the 16-tile CPU share (needs QtMultimedia; any display or offscreen)."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from controlroom.app.demo_clips import ensure_clip
    from controlroom.app.video_server import ClipServer
    from controlroom.core.cameras import Camera
    from controlroom.panels.video_grid import VideoGridPanel

    app = QApplication.instance() or QApplication([])
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ids = [f"BENCH{i:02d}" for i in range(16)]
        for cid in ids:
            ensure_clip(folder, cid, f"Bench camera {cid[-2:]}", "sub")
        server = ClipServer({cid: cid for cid in ids}, folder).start_in_thread()
        panel = VideoGridPanel()
        panel.resize(1280, 720)
        panel.show()
        try:

            def first_frame(url: str) -> float:
                camera = Camera(id="B", name="bench", x=0, y=0, lon=0, lat=0, sub_url=url)
                panel.clear()
                app.processEvents()
                t0 = time.perf_counter()
                panel.open_cameras([camera])
                tile = panel.tiles[0]
                if not _wait(app, lambda: tile.machine.frames > 0, 15.0):
                    return float("nan")
                return (time.perf_counter() - t0) * 1000

            files = [first_frame(str(folder / ids[0] / "sub.mp4")) for _ in range(repeats)]
            https = [first_frame(server.url(ids[0])) for _ in range(repeats)]
            out["first_frame_ms_file"] = round(statistics.median(files), 1)
            out["first_frame_ms_http"] = round(statistics.median(https), 1)

            cams = [
                Camera(
                    id=cid,
                    name=cid,
                    x=0,
                    y=0,
                    lon=0,
                    lat=0,
                    sub_url=server.url(cid),
                    main_url=server.url(cid),
                )
                for cid in ids
            ]
            panel.open_cameras(cams)
            live = _wait(app, lambda: all(t.machine.frames > 0 for t in panel.tiles), 20.0)
            frames0 = sum(t.machine.frames for t in panel.tiles)
            cpu0, wall0 = time.process_time(), time.perf_counter()
            _wait(app, lambda: False, seconds_16)
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            frames = sum(t.machine.frames for t in panel.tiles) - frames0
            out["cpu_16_tiles"] = round(cpu / wall, 3)
            out["fps_16_tiles"] = round(frames / wall, 1)
            out["tiles_live_16"] = sum(t.state.value == "live" for t in panel.tiles) if live else 0
            out["cpu_cores"] = os.cpu_count()
        finally:
            panel.shutdown()
            panel.close()
            panel.deleteLater()
            app.processEvents()
            server.close()
    return out


def bench_video(playback: bool = True) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if playback:
        result.update(bench_playback())
    result.update(bench_nearest())
    return result


def register_bench(bench_sub: Any, printer: Callable[[dict[str, Any], bool], None]) -> None:
    """Add ``bench video`` to the ``bench`` sub-commands (called from cmd_bench)."""

    def handler(args: argparse.Namespace) -> int:
        printer(bench_video(playback=not args.no_playback), args.json)
        return 0

    video = bench_sub.add_parser(
        "video", help="click → first frame (file, HTTP), 16-tile CPU, nearest-4 at 35k"
    )
    video.add_argument("--no-playback", action="store_true", help="only the registry figures (no Qt)")
    video.add_argument("--json", action="store_true", help="print JSON")
    video.set_defaults(handler=handler)
