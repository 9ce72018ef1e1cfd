"""``replay export``: a recorded period becomes an H.264 clip of duration × fps frames that move."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from controlroom.app.cli import main
from controlroom.core.site import load_site
from controlroom.history.rows import position_rows
from controlroom.history.schema import EVENTS, POSITIONS
from controlroom.history.writer import HistoryWriter

T0 = 1_796_536_800.0


@pytest.mark.slow
def test_export_makes_a_clip_of_duration_times_fps_frames_that_differ(
    sample_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import av

    from controlroom.geo.city_loader import load_city

    site = sample_folder / "site.toml"
    x0, x1, y0, y1 = load_city(load_site(site)).bounds()[:4]
    n = 40
    w = HistoryWriter(tmp_path / "h")
    ids = [f"BUS{i:03d}" for i in range(n)]
    start_x = np.linspace(x0, x0 + (x1 - x0) * 0.2, n)
    for s in range(5):  # the fleet crosses the city eastwards, 20 % of its width a second
        x = start_x + (x1 - x0) * 0.15 * s
        u8 = np.zeros(n, np.uint8)
        w.append(POSITIONS, position_rows(ids, round((T0 + s) * 1000), u8, u8, x, np.full(n, (y0 + y1) / 2),
                                          np.full(n, 90.0), np.full(n, 10.0), kf=True))  # fmt: skip
    alarm = {"subject": "flood|S01", "t_ms": round((T0 + 2.5) * 1000), "kind": "alarm",
             "action": "raised", "who": "system", "desk": "d1", "accepted": True,
             "detail": '{"alarm_id": "flood|S01@1"}'}  # fmt: skip
    w.append(EVENTS, {k: [v] for k, v in alarm.items()})
    w.flush()
    out = tmp_path / "clip.mp4"
    args = ["replay", "export", "--site", str(site), "--dir", str(tmp_path / "h"), "--out", str(out),
            "--from", str(T0), "--to", str(T0 + 4), "--fps", "5", "--speed", "2",
            "--size", "320x180"]  # fmt: skip
    assert main(args) == 0
    captured = capsys.readouterr()
    result = json.loads(captured.out)
    assert result["frames"] == 10  # (4 s / speed 2) × 5 fps
    assert "10/10 frames" in captured.err
    with av.open(str(out)) as clip:
        stream = clip.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = [f.to_ndarray(format="rgb24") for f in clip.decode(video=0)]
    assert len(frames) == 10
    assert frames[0].shape == (180, 320, 3)
    # frames 3 apart are 1.2 s of history apart: the fleet has moved and the clock has ticked
    diffs = [np.abs(a.astype(int) - b.astype(int)).mean() for a, b in zip(frames, frames[3:], strict=False)]
    assert min(diffs) > 0.1, diffs

    # the alarm raised 2.5 s in shows as a red banner from frame 7 (2.8 s) on, never before
    def red_rows(frame: np.ndarray) -> int:
        r, g, b = (frame[..., i].astype(int) for i in range(3))
        return int((((r > 150) & (g < 80) & (b < 80)).mean(axis=1) > 0.8).sum())

    assert [red_rows(f) > 5 for f in frames] == [False] * 7 + [True] * 3


def test_export_refuses_a_backwards_period(
    sample_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "h").mkdir()
    args = ["replay", "export", "--site", str(sample_folder / "site.toml"), "--dir", str(tmp_path / "h"),
            "--out", str(tmp_path / "c.mp4"), "--from", "100", "--to", "50"]  # fmt: skip
    assert main(args) == 2
    assert "replay export: the period ends (50) at or before it starts (100)" in capsys.readouterr().err
