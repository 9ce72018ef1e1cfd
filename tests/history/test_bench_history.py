"""``controlroom bench history`` with few seconds an hour, and the options it refuses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from controlroom.app.bench.history import bench_history


@pytest.mark.parametrize("seconds", [1, 5])
def test_the_bench_measures_with_a_few_seconds_recorded_an_hour(tmp_path: Path, seconds: int) -> None:
    """Five seconds an hour or fewer used to fail (``high - low < 0``) before measuring anything."""
    result = bench_history(entities=200, seconds_per_hour=seconds, queries=3, draw=False, scratch=tmp_path)
    assert result["seconds_recorded_per_hour"] == seconds
    assert result["state_at_entities_ok"] is True
    assert result["scrub_frames"] >= 4  # at least a frame in each scrubbed minute
    assert result["state_at_ms_p95"] > 0 and result["scrub_fps"] > 0
    assert len(result["load_average_1m"]) == 2  # what else ran, said beside the timings
    assert not list(tmp_path.iterdir())  # its scratch history is removed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seconds-per-hour", "0"], "--seconds-per-hour must be from 1 to 3000; got 0"),
        (["--seconds-per-hour", "3601"], "--seconds-per-hour must be from 1 to 3000; got 3601"),
        (["--queries", "1"], "--queries must be at least 2; got 1"),
    ],
)
def test_options_it_cannot_measure_with_are_refused_by_name(args: list[str], message: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "controlroom", "bench", "history", *args, "--no-draw"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr
