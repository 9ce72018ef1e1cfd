"""``controlroom bench history``: the recorder's writer and the state-at-an-instant query.

A synthetic fleet (``--entities``, default 50,000, reporting at 1 Hz; a share parked, the rest
driving at up to 15 m/s and turning now and then) plus sensors and metrics goes through the real
path: ``position_rows`` → ``HistoryWriter.append`` → a segment per flush → hour compaction. To
stay within a few minutes, each of the 24 hours holds ``--seconds-per-hour`` seconds of
recording (default 60: one minute file, the unit a query reads), so
``bytes_per_hour`` is that hour's size scaled to 3600 s. Alarm transitions are recorded over
every minute of the 24 hours (``ALARM_EVENTS_PER_MINUTE``; one minute file each, merged into
hour files as the recorder does), so the alarms active at an instant come from a whole day as
in a room. ``state_at_ms_p95`` asks for the whole state at random instants across the 24 hours
through ``HistoryReader``, as the service does (cold: each instant in another hour's file).

``scrub_fps`` drags the replay clock through ``SCRUB_MINUTES`` recorded minutes, 1.5 s of
history a frame (the first frame of each minute decodes its file), through ``HistoryPlayer``:
each frame is the whole picture (entities, sensors, metrics, incidents, alarms) written into an
``EntityStore`` as the map's live state would take it; ``scrub_fps_drawn`` adds drawing the
50,000 points off-screen (VTK, 1280×800, no city underneath) each frame.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

HOURS = 24
SENSORS = 2000
METRICS = 20
SCRUB_MINUTES = 4
#: State questions asked. The percentiles leave out the first (the process's cold start); with
#: 99 left, p95 is the fifth-slowest answer (with 39 it was the second: one hiccup of a shared
#: machine set it).
QUERIES = 100
#: Alarm transitions recorded in every minute of the 24 hours (not only the recorded seconds),
#: over ``ALARM_KEYS`` alarms: the alarms active at an instant are read from the whole day.
ALARM_EVENTS_PER_MINUTE = 3
ALARM_KEYS = 300
SCRUB_STEP_S = 1.5
#: Each hour's recording starts 10 minutes into it and must end inside it.
MAX_SECONDS_PER_HOUR = 3000
#: Smallest values the bench can measure with: one recorded second an hour (its keyframe), two
#: state questions (the first, cold start, is reported apart from the percentiles), one entity.
LIMITS = {"--entities": (1, None), "--seconds-per-hour": (1, MAX_SECONDS_PER_HOUR), "--queries": (2, None)}


def check_option(option: str, value: int) -> int:
    """``value`` if ``option`` allows it, else a ``ValueError`` naming the option and its range."""
    lo, hi = LIMITS[option]
    if value < lo or (hi is not None and value > hi):
        allowed = f"from {lo} to {hi}" if hi is not None else f"at least {lo}"
        raise ValueError(f"{option} must be {allowed}; got {value}")
    return value


def bench_history(
    entities: int = 50_000,
    seconds_per_hour: int = 60,
    queries: int = QUERIES,
    keyframe_s: int = 5,
    flush_s: int = 2,
    draw: bool = True,
    scratch: Path | None = None,
) -> dict[str, Any]:
    from controlroom.history.files import HOUR_MS
    from controlroom.history.query import HistoryReader
    from controlroom.history.rows import position_rows
    from controlroom.history.schema import EVENTS as EVENT_TABLE
    from controlroom.history.schema import METRICS as METRIC_TABLE
    from controlroom.history.schema import POSITIONS
    from controlroom.history.schema import SENSORS as SENSOR_TABLE
    from controlroom.history.writer import HistoryWriter

    check_option("--entities", entities)
    check_option("--seconds-per-hour", seconds_per_hour)
    check_option("--queries", queries)
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="cr-bench-history-", dir=scratch or "/tmp"))
    try:
        rng = np.random.default_rng(7)
        ids = pa.array([f"V{i:06d}" for i in range(entities)])
        x = rng.uniform(-10_000, 10_000, entities)
        y = rng.uniform(-10_000, 10_000, entities)
        parked = rng.random(entities) < 0.3
        speed = np.where(parked, 0.0, rng.uniform(2, 15, entities))
        heading = rng.uniform(0, 360, entities)
        kind = rng.integers(0, 5, entities).astype(np.uint8)
        status = np.zeros(entities, np.uint8)
        sensor_ids = [f"S{i:05d}" for i in range(SENSORS)]
        metric_names = [f"metric_{i:02d}" for i in range(METRICS)]
        start = 1_796_515_200_000  # 2026-12-06 00:00 UTC
        w = HistoryWriter(work)
        rows = 0
        t_write = 0.0
        for h in range(HOURS):
            base = start + h * HOUR_MS + 10 * 60_000  # the recorded minute(s) start 10 min into the hour
            for s in range(seconds_per_hour):
                t_ms = base + s * 1000
                turn = rng.random(entities) < 0.02
                heading[turn] = rng.uniform(0, 360, int(turn.sum()))
                rad = np.radians(heading)
                x += speed * np.sin(rad)
                y += speed * np.cos(rad)
                t0 = time.perf_counter()
                kf = s % keyframe_s == 0
                w.append(POSITIONS, position_rows(ids, t_ms, kind, status, x, y, heading, speed, kf=kf))
                w.append(SENSOR_TABLE, {
                    "id": sensor_ids, "t_ms": np.full(SENSORS, t_ms), "kf": np.full(SENSORS, kf),
                    "kind": ["river_level"] * SENSORS, "unit": ["m"] * SENSORS, "x": np.zeros(SENSORS),
                    "y": np.zeros(SENSORS), "value": rng.normal(3, 0.1, SENSORS), "status": ["ok"] * SENSORS,
                })  # fmt: skip
                metric_rows = {"name": metric_names, "t_ms": np.full(METRICS, t_ms),
                               "value": rng.normal(50, 5, METRICS), "unit": [""] * METRICS}  # fmt: skip
                w.append(METRIC_TABLE, metric_rows)
                if s % flush_s == flush_s - 1:
                    w.flush()
                t_write += time.perf_counter() - t0
                rows += entities + SENSORS + METRICS
            t0 = time.perf_counter()
            w.append(EVENT_TABLE, _alarm_events(rng, start + h * HOUR_MS))
            w.flush()
            w.close_minutes(None)
            t_write += time.perf_counter() - t0
            rows += ALARM_EVENTS_PER_MINUTE * 60
        by_table = {  # events cover whole hours: not scaled
            table.name: round(
                sum(p.stat().st_size for p in table.glob("*/*.parquet"))
                / HOURS
                * (1 if table.name == EVENT_TABLE else 3600 / seconds_per_hour)
            )
            for table in sorted(work.iterdir())
            if table.is_dir()
        }
        bytes_per_hour = sum(by_table.values())
        reader = HistoryReader(work)
        times: list[float] = []
        cpu_times: list[float] = []
        counts: list[int] = []
        for _ in range(queries):
            h = int(rng.integers(0, HOURS))
            # after the first keyframe interval where the hour holds more (any recorded second
            # has a keyframe at or before it: the hour's first second is one)
            low = min(keyframe_s, seconds_per_hour - 1)
            t = (start + h * HOUR_MS + 10 * 60_000) / 1000 + float(rng.uniform(low, seconds_per_hour - 1))
            t0, c0 = time.perf_counter(), time.process_time()
            state = reader.state_at(t)
            times.append((time.perf_counter() - t0) * 1000)
            cpu_times.append((time.process_time() - c0) * 1000)
            counts.append(state.entities.num_rows)
        reader.close()
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        starts = [(start + h * HOUR_MS + 10 * 60_000) / 1000 for h in range(min(SCRUB_MINUTES, HOURS))]
        scrub = _scrub(work, starts, seconds_per_hour, entities, draw=False)
        drawn = _scrub(work, starts, seconds_per_hour, entities, draw=True) if draw else None
        return {
            "entities": entities,
            "sensors": SENSORS,
            "metrics": METRICS,
            "alarm_events_per_hour": ALARM_EVENTS_PER_MINUTE * 60,
            "hours": HOURS,
            "seconds_recorded_per_hour": seconds_per_hour,
            "parked_share": round(float(parked.mean()), 3),
            "keyframe_s": keyframe_s,
            "rows_written": rows,
            "write_rows_s": round(rows / t_write),
            "write_x_realtime": round(rows / t_write / (entities + SENSORS + METRICS), 1),
            "bytes_per_hour": round(bytes_per_hour),
            "bytes_per_hour_by_table": by_table,
            "bytes_per_position_row": round(by_table.get(POSITIONS, 0) / (3600 * entities), 2),
            "state_at_ms_first": round(times[0], 1),
            "state_at_ms_p50": round(float(np.percentile(times[1:], 50)), 1),
            "state_at_ms_p95": round(float(np.percentile(times[1:], 95)), 1),
            "state_at_ms_max": round(max(times[1:]), 1),
            "state_at_questions": len(times),
            "state_at_cpu_ms_p95": round(float(np.percentile(cpu_times[1:], 95)), 1),
            "state_at_entities_ok": all(c == entities for c in counts),
            "writer_peak_rss_mb": round(rss_mb),
            "scrub_fps": scrub["fps"],
            "scrub_frames": scrub["frames"],
            "scrub_frame_ms_p95": scrub["p95_ms"],
            "scrub_frame_cpu_ms_mean": scrub["cpu_ms"],
            "scrub_fps_drawn": drawn["fps"] if drawn else None,
            "scrub_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            # other work on the machine inflates every wall-clock key: the 1-minute load average
            # when the bench started and when it ended
            "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _alarm_events(rng: np.random.Generator, hour_ms: int) -> dict[str, Any]:
    """An hour of alarm transitions (raised, acknowledged, cleared), a few every minute."""
    n = ALARM_EVENTS_PER_MINUTE * 60
    t = hour_ms + np.sort(rng.integers(0, 3_600_000, n))
    return {
        "subject": [f"alarm-{k}" for k in rng.integers(0, ALARM_KEYS, n)], "t_ms": t, "kind": ["alarm"] * n,
        "action": rng.choice(["raised", "acknowledge", "cleared"], n).tolist(), "who": ["bench"] * n,
        "desk": [""] * n, "accepted": [True] * n, "detail": ["{}"] * n,
    }  # fmt: skip


def _scrub(work: Path, starts: list[float], seconds: int, entities: int, *, draw: bool) -> dict[str, Any]:
    """Drag the replay clock through each minute in ``starts``; frames a second over the drag."""
    from controlroom.history.player import HistoryPlayer
    from controlroom.history.query import HistoryReader
    from controlroom.history.replay_models import ReplayModels

    player = HistoryPlayer(HistoryReader(work), prefetch=False)
    models = ReplayModels()
    plotter: Any = None
    points: Any = None
    if draw:
        import pyvista as pv

        from controlroom.render.snapshot import prefer_egl_without_display

        prefer_egl_without_display()
        plotter = pv.Plotter(off_screen=True, window_size=[1280, 800])
        points = pv.PolyData(np.zeros((entities, 3)))
        plotter.add_mesh(points, point_size=3, color="yellow")
        plotter.view_xy()
    times: list[float] = []
    t_all, cpu_all = time.perf_counter(), time.process_time()
    try:
        for t0 in starts:
            for k in range(max(1, int((seconds - 1) / SCRUB_STEP_S))):
                t1 = time.perf_counter()
                models.show(player.seek(t0 + k * SCRUB_STEP_S))
                x, y = models.entities.x, models.entities.y
                if plotter is not None and points is not None:
                    n = min(len(x), entities)
                    xyz = np.asarray(points.points)
                    xyz[:n, 0], xyz[:n, 1] = x[:n], y[:n]
                    points.points = xyz
                    points.Modified()
                    if k == 0:
                        plotter.reset_camera()
                    plotter.render()
                times.append(time.perf_counter() - t1)
    finally:
        if plotter is not None:
            plotter.close()
        player.reader.close()
    total, cpu = time.perf_counter() - t_all, time.process_time() - cpu_all
    p95 = float(np.percentile(times, 95)) * 1000
    return {"fps": round(len(times) / total, 1), "frames": len(times),
            "cpu_ms": round(cpu / len(times) * 1000, 1), "p95_ms": round(p95, 1)}  # fmt: skip


def _limited(option: str) -> Any:
    """An argparse ``type`` for an integer option with ``LIMITS``: argparse then prints
    "argument OPTION: OPTION must be ...; got N" and exits 2, before anything is written."""

    def parse(text: str) -> int:
        try:
            return check_option(option, int(text))
        except ValueError as exc:
            msg = str(exc) if "must be" in str(exc) else f"{option} must be a whole number; got {text!r}"
            raise argparse.ArgumentTypeError(msg) from None

    return parse


def register_bench(bench_sub: Any, print_result: Any) -> None:
    """Add ``bench history`` (called from cmd_bench)."""

    def run(args: Any) -> int:
        result = bench_history(args.entities, args.seconds_per_hour, args.queries, draw=not args.no_draw)
        print_result(result, args.json)
        return 0

    p = bench_sub.add_parser(
        "history", help="history writer rows/s, bytes per hour, state-at-an-instant p95 over 24 h"
    )
    p.add_argument(
        "--entities", type=_limited("--entities"), default=50_000, help="fleet size at 1 Hz (default 50000)"
    )
    p.add_argument(
        "--seconds-per-hour",
        type=_limited("--seconds-per-hour"),
        default=60,
        help=f"seconds recorded in each of 24 hours, 1 to {MAX_SECONDS_PER_HOUR} (default 60)",
    )
    p.add_argument(
        "--queries",
        type=_limited("--queries"),
        default=QUERIES,
        help=f"state-at queries at random instants, at least 2 (default {QUERIES})",
    )
    p.add_argument("--no-draw", action="store_true", help="scrub without drawing the points (no OpenGL)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=run)
