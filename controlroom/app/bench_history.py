"""``controlroom bench history``: the recorder's writer and the state-at-an-instant query.

A synthetic fleet (``--entities``, default 50,000, reporting at 1 Hz; a share parked, the rest
driving at up to 15 m/s and turning now and then) plus sensors and metrics goes through the real
path: ``position_rows`` → ``HistoryWriter.append`` → a segment per flush → hour compaction. To
stay within a few minutes, each of the 24 hours holds ``--seconds-per-hour`` seconds of
recording (default 60: one minute file, the unit a query reads), so
``bytes_per_hour`` is that hour's size scaled to 3600 s. ``state_at_ms_p95`` asks for the whole
state at random instants across the 24 hours through ``HistoryReader`` (DuckDB), as the service
does.
"""

from __future__ import annotations

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


def bench_history(
    entities: int = 50_000,
    seconds_per_hour: int = 60,
    queries: int = 40,
    keyframe_s: int = 5,
    flush_s: int = 2,
) -> dict[str, Any]:
    from controlroom.history.files import HOUR_MS
    from controlroom.history.query import HistoryReader
    from controlroom.history.rows import position_rows
    from controlroom.history.schema import METRICS as METRIC_TABLE
    from controlroom.history.schema import POSITIONS
    from controlroom.history.schema import SENSORS as SENSOR_TABLE
    from controlroom.history.writer import HistoryWriter

    work = Path(tempfile.mkdtemp(prefix="cr-bench-history-", dir="/tmp"))
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
            w.flush()
            w.close_minutes(None)
            t_write += time.perf_counter() - t0
        hour_bytes = [
            sum(p.stat().st_size for p in work.glob(f"*/{name}/*.parquet"))
            for name in sorted(p.name for p in (work / POSITIONS).iterdir() if p.is_dir())
        ]
        bytes_per_hour = float(np.mean(hour_bytes)) * 3600 / seconds_per_hour
        by_table = {
            table.name: round(
                sum(p.stat().st_size for p in table.glob("*/*.parquet")) / HOURS * 3600 / seconds_per_hour
            )
            for table in sorted(work.iterdir())
            if table.is_dir()
        }
        reader = HistoryReader(work)
        times: list[float] = []
        counts: list[int] = []
        for _ in range(queries):
            h = int(rng.integers(0, HOURS))
            t = (start + h * HOUR_MS + 10 * 60_000) / 1000 + float(
                rng.uniform(keyframe_s, seconds_per_hour - 1)
            )
            t0 = time.perf_counter()
            state = reader.state_at(t)
            times.append((time.perf_counter() - t0) * 1000)
            counts.append(state.entities.num_rows)
        reader.close()
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {
            "entities": entities,
            "sensors": SENSORS,
            "metrics": METRICS,
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
            "state_at_entities_ok": all(c == entities for c in counts),
            "writer_peak_rss_mb": round(rss_mb),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def register_bench(bench_sub: Any, print_result: Any) -> None:
    """Add ``bench history`` (called from cmd_bench)."""

    def run(args: Any) -> int:
        print_result(bench_history(args.entities, args.seconds_per_hour, args.queries), args.json)
        return 0

    p = bench_sub.add_parser(
        "history", help="history writer rows/s, bytes per hour, state-at-an-instant p95 over 24 h"
    )
    p.add_argument("--entities", type=int, default=50_000, help="fleet size at 1 Hz (default 50000)")
    p.add_argument(
        "--seconds-per-hour", type=int, default=60, help="seconds recorded in each of 24 hours (default 60)"
    )
    p.add_argument("--queries", type=int, default=40, help="state-at queries at random instants (default 40)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=run)
