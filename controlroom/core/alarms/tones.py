"""Alarm tones by priority, synthesised (numpy + wave) into the cache folder at first use.

Nothing binary is committed and there is no licence to track: each tone is a few hundred
milliseconds of sine beeps with soft edges. Priorities differ in pitch, count and rhythm so an
operator can tell them apart without looking (critical: three fast high beeps; low: one soft
low one); a predicted alarm gets one quiet short chirp. Run ``python -m
controlroom.core.alarms.tones DIR`` to write them by hand.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 22_050
TONES_VERSION = 1  # bump when the sound changes, so caches regenerate


@dataclass(frozen=True)
class Tone:
    freq_hz: float
    beeps: int
    beep_s: float
    gap_s: float
    volume: float  # 0..1 of full scale


TONES: dict[str, Tone] = {
    "critical": Tone(1320.0, 3, 0.11, 0.05, 0.8),
    "high": Tone(988.0, 2, 0.14, 0.07, 0.7),
    "medium": Tone(784.0, 2, 0.12, 0.12, 0.55),
    "low": Tone(587.0, 1, 0.22, 0.0, 0.45),
    "predicted": Tone(660.0, 1, 0.09, 0.0, 0.35),
}


def tone_samples(tone: Tone, rate: int = RATE) -> np.ndarray:
    """16-bit mono samples: ``beeps`` sine bursts with 8 ms raised-cosine edges (no clicks)."""
    n_beep = int(tone.beep_s * rate)
    t = np.arange(n_beep) / rate
    beep = np.sin(2 * np.pi * tone.freq_hz * t) + 0.25 * np.sin(4 * np.pi * tone.freq_hz * t)
    edge = min(int(0.008 * rate), n_beep // 2)
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, edge))
    env = np.ones(n_beep)
    env[:edge], env[-edge:] = ramp, ramp[::-1]
    beep = beep * env / 1.25
    gap = np.zeros(int(tone.gap_s * rate))
    parts: list[np.ndarray] = []
    for i in range(tone.beeps):
        parts.append(beep)
        if i < tone.beeps - 1:
            parts.append(gap)
    samples = np.concatenate(parts) * tone.volume * 32767
    return samples.astype("<i2")


def write_tone(path: Path, tone: Tone, rate: int = RATE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(tone_samples(tone, rate).tobytes())
    tmp.replace(path)  # another app instance may be reading it
    return path


def tones_dir() -> Path:
    """``$CONTROLROOM_CACHE_DIR/alarm-tones``, else the platform's per-user cache folder."""
    from controlroom.core.user_dirs import cache_dir as user_cache

    return user_cache("alarm-tones")


def ensure_tones(folder: Path | None = None) -> dict[str, Path]:
    """Every tone's WAV file (written when missing); name → path."""
    folder = folder or tones_dir()
    out = {}
    for name, tone in TONES.items():
        p = folder / f"{name}-v{TONES_VERSION}.wav"
        out[name] = p if p.is_file() else write_tone(p, tone)
    return out


if __name__ == "__main__":
    import sys

    for name, p in ensure_tones(Path(sys.argv[1]) if len(sys.argv) > 1 else None).items():
        print(f"{name:<10} {p}")
