"""Scrubbing 50,000 recorded entities does not stall the GUI: frames are built on the replay
thread, only the newest instant asked for, and the GUI thread only writes ready frames.

The event loop's stall is measured as the longest gap between ticks of a 10 ms timer while the
clock is dragged back and forth across two minute files (each first visit decodes its file),
then stopped (trails rebuilt from history). Building those frames on the GUI thread gave gaps of
900-1000 ms on this 2-core machine under load; with the replay thread 110-310 ms (the first frame
allocates the replay's stores). The bound is loose enough for a loaded machine.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from PySide6.QtCore import QTimer

from controlroom.history.files import MINUTE_MS
from controlroom.history.rows import position_rows
from controlroom.history.schema import POSITIONS
from controlroom.history.writer import HistoryWriter
from tests.panels.live_city import Clock, live_city

pytestmark = [pytest.mark.gui, pytest.mark.slow]
ENTITIES = 50_000
#: The longest the event loop may go without running a 10 ms timer while scrubbing.
MAX_STALL_MS = 400.0


def _fleet_history(root: Path, first_s: float, seconds: int) -> None:
    """50,000 vehicles at 1 Hz for ``seconds`` from ``first_s``, as minute files (keyframes every 5 s)."""
    rng = np.random.default_rng(5)
    ids = pa.array([f"V{i:05d}" for i in range(ENTITIES)])
    x, y = rng.uniform(-5000, 5000, ENTITIES), rng.uniform(-5000, 5000, ENTITIES)
    heading, speed = rng.uniform(0, 360, ENTITIES), rng.uniform(0, 15, ENTITIES)
    kind, status = np.zeros(ENTITIES, np.uint8), np.zeros(ENTITIES, np.uint8)
    w = HistoryWriter(root)
    for s in range(seconds):
        x += speed * np.sin(np.radians(heading))
        y += speed * np.cos(np.radians(heading))
        t_ms = round((first_s + s) * 1000)
        w.append(POSITIONS, position_rows(ids, t_ms, kind, status, x, y, heading, speed, kf=s % 5 == 0))
        if s % 4 == 3:
            w.flush()
    w.flush()
    w.close_minutes(None)
    w.close()


def test_scrubbing_50k_entities_keeps_the_event_loop_running(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from controlroom.qt.replay_clock import ReplayClock

    clock = Clock()
    minute = (round(clock.t * 1000) - 10 * MINUTE_MS) // MINUTE_MS * MINUTE_MS  # ten minutes ago
    first = (minute - 20_000) / 1000  # 20 s before a minute boundary to 16 s after it
    _fleet_history(tmp_path / "history", first, 36)
    path = [first + 6 + 1.5 * k for k in range(20)]  # a drag forwards across the boundary…
    path += path[::-1]  # …and back

    with live_city(tmp_path, clock) as (live, _pub):
        replay = ReplayClock(live, tmp_path / "history")
        gaps: list[float] = []
        last = [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

        ticker = QTimer()
        ticker.setInterval(10)
        ticker.timeout.connect(tick)
        ticker.start()
        try:
            last[0] = time.perf_counter()
            assert replay.enter(path[0])
            for t in path:  # the drag: a new instant every 20 ms, whatever is still being built
                replay.seek(t)
                qtbot.wait(20)
            replay.pause()  # released: trails rebuilt from history for the last instant
            qtbot.waitUntil(lambda: replay.replaying and not replay.busy(), timeout=60_000)
            qtbot.wait(50)
            ticker.stop()
            worker = replay.worker
            entities = live.state.entities
            assert len(entities) == ENTITIES and live.state.replay_at == pytest.approx(path[-1])
            assert entities.trail(entities.ids[0]).shape[0] > 1  # the stop rebuilt the trails
        finally:
            ticker.stop()
            replay.close()

        assert worker is not None and worker.asked == len(path) + 2  # enter, the drag, the pause
        assert worker.built < worker.asked  # passed-over instants were never built
        assert replay.shown >= 2
        stall_ms = max(gaps) * 1000
        print(f"longest event-loop gap while scrubbing: {stall_ms:.0f} ms")
        assert stall_ms < MAX_STALL_MS, f"the event loop stalled {stall_ms:.0f} ms while scrubbing"
