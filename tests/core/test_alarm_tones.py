"""Alarm tones are made at first use in the cache folder: valid WAVs, distinct per priority."""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np

from controlroom.core.alarms.tones import RATE, ensure_tones, tones_dir


def test_tones_are_written_once_into_the_cache_and_sound_different(tmp_path: Path) -> None:
    assert tones_dir() == Path(os.environ["CONTROLROOM_CACHE_DIR"]) / "alarm-tones"
    paths = ensure_tones(tmp_path)
    assert set(paths) == {"critical", "high", "medium", "low", "predicted"}
    signatures = set()
    for name, p in paths.items():
        with wave.open(str(p)) as w:
            assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE)
            samples = np.frombuffer(w.readframes(w.getnframes()), "<i2")
        assert 0.05 < len(samples) / RATE < 0.6, f"{name}: a short tone"
        assert np.abs(samples).max() > 5000 and abs(int(samples[0])) < 200, f"{name}: audible, no click"
        spectrum = np.abs(np.fft.rfft(samples))
        signatures.add((round(float(np.argmax(spectrum)) * RATE / len(samples)), len(samples)))
    assert len(signatures) == 5, "every priority has its own pitch or rhythm"
    mtimes = {p: p.stat().st_mtime_ns for p in paths.values()}
    assert ensure_tones(tmp_path) == paths and all(p.stat().st_mtime_ns == m for p, m in mtimes.items())
