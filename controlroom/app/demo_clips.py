"""Demo camera clips: a few seconds of a street scene with the camera's name and time burned in.

The sample site's 2,400 cameras must play something recognisable without shipping video, so
each clip is rendered on first request (PyAV + Pillow, H.264 in MP4 with the index up front so
playback over HTTP starts at once) into a cache folder, seeded by the camera id so a camera
always shows the same street. Sub-streams are small (grid tiles), main streams larger (enlarged).
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# (width, height, fps) per stream: sub for grid tiles, main for an enlarged tile.
STREAMS: dict[str, tuple[int, int, int]] = {"sub": (384, 216, 15), "main": (960, 540, 15)}
CLIP_SECONDS = 4.0
_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)
_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


def clip_cache_dir() -> Path:
    """``$CONTROLROOM_CACHE_DIR/demo-video``, else the platform's per-user cache folder."""
    from controlroom.core.user_dirs import cache_dir as user_cache

    return user_cache("demo-video")


@dataclass(frozen=True)
class ClipSpec:
    camera_id: str
    name: str
    width: int = 384
    height: int = 216
    fps: int = 15
    seconds: float = CLIP_SECONDS


def _font(size: int) -> Any:
    from PIL import ImageFont

    for path in _FONTS:
        if Path(path).is_file():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _background(spec: ClipSpec, rng: np.random.Generator) -> Any:
    """Sky, a row of buildings with lit windows, a road with lane marks: one still per camera."""
    from PIL import Image, ImageDraw

    w, h = spec.width, spec.height
    img = Image.new("RGB", (w, h))
    draw = ImageDraw.Draw(img)
    top = rng.integers(20, 60, 3)
    for yy in range(h // 2):
        t = yy / (h / 2)
        draw.line([(0, yy), (w, yy)], fill=tuple(int(c + (110 - c) * t) for c in top))
    x = 0.0
    horizon = int(h * 0.55)
    while x < w:
        bw, bh = rng.uniform(0.06, 0.16) * w, rng.uniform(0.15, 0.45) * h
        shade = int(rng.integers(45, 95))
        draw.rectangle([x, horizon - bh, x + bw, horizon], fill=(shade, shade + 5, shade + 12))
        for wy in np.arange(horizon - bh + 4, horizon - 4, max(h * 0.04, 4)):
            for wx in np.arange(x + 3, x + bw - 3, max(w * 0.02, 4)):
                if rng.random() < 0.35:
                    draw.rectangle([wx, wy, wx + 2, wy + 2], fill=(230, 210, 140))
        x += bw + rng.uniform(0, 0.02) * w
    draw.rectangle([0, horizon, w, h], fill=(58, 60, 64))
    for k in range(12):
        lx = (k / 12) * w
        draw.rectangle([lx, h * 0.78, lx + w * 0.04, h * 0.79], fill=(210, 210, 200))
    return img


def render_clip(spec: ClipSpec, out: Path, *, codec: str = "libx264") -> Path:
    """Write an MP4 clip (atomically: a half-written file is never served)."""
    import av
    from PIL import ImageDraw

    seed = int.from_bytes(hashlib.sha256(spec.camera_id.encode()).digest()[:8], "little")
    rng = np.random.default_rng(seed)
    background = _background(spec, rng)
    w, h = spec.width, spec.height
    n_cars = 5
    lanes = rng.choice([0.66, 0.88], n_cars)
    speeds = rng.uniform(0.12, 0.35, n_cars) * rng.choice([-1, 1], n_cars)
    starts = rng.uniform(0, 1, n_cars)
    colours = [tuple(int(c) for c in rng.integers(60, 255, 3)) for _ in range(n_cars)]
    big, small = _font(max(12, h // 14)), _font(max(10, h // 18))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    n_frames = max(1, round(spec.seconds * spec.fps))
    with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        stream: Any = container.add_stream(codec, rate=spec.fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"preset": "ultrafast", "g": str(spec.fps)} if codec == "libx264" else {}
        for i in range(n_frames):
            t = i / spec.fps
            img = background.copy()
            draw = ImageDraw.Draw(img)
            for lane, v, s0, colour in zip(lanes, speeds, starts, colours, strict=True):
                cx = ((s0 + v * t) % 1.2 - 0.1) * w
                cy = lane * h
                draw.rectangle([cx, cy - h * 0.05, cx + w * 0.09, cy + h * 0.02], fill=colour)
                draw.rectangle([cx + w * 0.02, cy - h * 0.08, cx + w * 0.07, cy - h * 0.05], fill=colour)
            # On-screen display below the tile's own title bar, as a camera's OSD would be.
            osd_y = int(h * 0.14)
            draw.text(
                (8, osd_y), spec.name, font=big, fill=(255, 255, 255), stroke_width=2, stroke_fill=(0, 0, 0)
            )
            stamp = f"{int(t // 60):02d}:{t % 60:05.2f}"
            draw.text(
                (w - 8, osd_y),
                stamp,
                font=small,
                fill=(255, 255, 0),
                anchor="ra",
                stroke_width=2,
                stroke_fill=(0, 0, 0),
            )
            frame = av.VideoFrame.from_image(img)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    os.replace(tmp, out)
    return out


def ensure_clip(folder: Path, camera_id: str, name: str, stream: str = "sub") -> Path:
    """The cached clip for one camera and stream, rendered on first use (thread-safe)."""
    if stream not in STREAMS:
        raise ValueError(f"unknown stream '{stream}'; expected one of {sorted(STREAMS)}")
    w, h, fps = STREAMS[stream]
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in camera_id)
    out = folder / safe / f"{stream}.mp4"
    if out.is_file():
        return out
    with _locks_guard:
        lock = _locks.setdefault(out, threading.Lock())
    with lock:
        if not out.is_file():
            render_clip(ClipSpec(camera_id, name, w, h, fps), out)
    return out
