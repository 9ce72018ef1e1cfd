"""Alarm benchmark: 1,000 rules evaluated on the feed benchmark's stream, vs the pipeline alone.

The stream is the feed benchmark's (10,000 taxis in 100-record position batches, see
``bench_feed._frames``) plus 200 river/AQI/noise sensors and 8 city metrics, ingested and applied
at 30 ticks of pump per second of data. Both runs are in-process and CPU-bound (no sockets: the
transport is the same for both and would only add noise): decode + validate + coalesce + apply,
then the same with the alarm engine evaluating after every tick. ``overhead_ratio`` is the time
with alarms over the time without (target ≤ 1.2); ``updates_s`` the records per second with alarms.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

ORIGIN = (113.32, 23.12)
SITE_CRS = "EPSG:32649"


def _rules(n: int) -> Any:
    from controlroom.core.alarms.rules import RuleSet

    rng = np.random.default_rng(9)
    zones = []
    for i in range(20):
        lon0, lat0 = rng.uniform(113.305, 113.33), rng.uniform(23.105, 23.13)
        d = 0.003
        zones.append(
            {
                "name": f"z{i}",
                "polygon": [[lon0, lat0], [lon0 + d, lat0], [lon0 + d, lat0 + d], [lon0, lat0 + d]],
            }
        )
    rules: list[dict[str, Any]] = []
    kinds = ["river_level", "aqi", "noise"]
    for i in range(n):
        m = i % 20
        base: dict[str, Any] = {"id": f"r{i}", "title": f"Rule {i}", "priority": "medium"}
        if m < 11:  # thresholds on sensor kinds and metrics, some with early warning
            src = {"sensor_kind": kinds[i % 3]} if m < 8 else {"metric": f"metric_{i % 8}"}
            extra = {"forecast_horizon_s": 600.0} if m == 0 else {}
            rules.append(
                base
                | src
                | extra
                | {"kind": "threshold", "above": float(rng.uniform(140, 200)), "hysteresis": 1.0}
            )
        elif m < 15:
            rules.append(base | {"kind": "rate", "metric": f"metric_{i % 8}", "above": 5.0, "window_s": 60.0})
        elif m < 18:
            trig = ("enter", "leave", "dwell")[i % 3]
            rules.append(
                base | {"kind": "geofence", "zone": f"z{i % 20}", "entity_kinds": ["taxi"], "trigger": trig}
            )
        elif m == 18:
            rules.append(base | {"kind": "silence", "sensor_kind": kinds[i % 3], "after_s": 30.0})
        else:
            rules.append(base | {"kind": "incident", "min_severity": 1 + i % 4})
    return RuleSet.model_validate({"schema": 1, "zone": zones, "rule": rules})


def _extra_frames(ticks: int) -> list[list[bytes]]:
    """Per tick: one sensor batch (200 sensors) and one metric batch (8 metrics)."""
    from controlroom.core.protocol import SCHEMA_VERSION, MetricBatch, MetricPoint, SensorBatch, SensorReading
    from controlroom.feed.codec import encode

    rng = np.random.default_rng(2)
    lon = rng.uniform(113.305, 113.335, 200)
    lat = rng.uniform(23.105, 23.135, 200)
    kinds = ["river_level", "aqi", "noise"]
    t0 = time.time()
    out = []
    for k in range(ticks):
        vals = 100 + 30 * np.sin(k / 50 + np.arange(200)) + rng.normal(0, 2, 200)
        sens = [
            SensorReading(f"S{i}", kinds[i % 3], float(vals[i]), float(lon[i]), float(lat[i]))
            for i in range(200)
        ]
        mets = [
            MetricPoint(f"metric_{j}", float(100 + 40 * np.sin(k / 30 + j)), t0 + k / 30) for j in range(8)
        ]
        out.append(
            [
                encode(SensorBatch(SCHEMA_VERSION, "bench-s", k + 1, t0, sens)),
                encode(MetricBatch(SCHEMA_VERSION, "bench-m", k + 1, t0, mets)),
            ]
        )
    return out


def _run(pos: list[bytes], extra: list[list[bytes]], per_tick: int, engine: Any) -> tuple[float, int]:
    from controlroom.core.feed_stats import FeedStats
    from controlroom.feed.buffer import CoalescingBuffer
    from controlroom.feed.ingest import Ingestor
    from controlroom.feed.pump import FeedPump, site_to_local
    from controlroom.geo.crs import LocalFrame

    stats = FeedStats()
    buffer = CoalescingBuffer()
    pump = FeedPump(
        buffer, stats, to_local=site_to_local(LocalFrame.at_wgs84(SITE_CRS, *ORIGIN)), expire=False
    )
    ingest = Ingestor(buffer, stats)
    t_sim = 1.7e9
    t0 = time.perf_counter()
    for k, extra_frames in enumerate(extra):
        now = t_sim + k / 30
        ingest.ingest(pos[k * per_tick : (k + 1) * per_tick] + extra_frames, now)
        change = pump.apply_pending(now)
        if engine is not None:
            engine.evaluate(
                now,
                metrics=pump.metrics,
                sensors=pump.sensors,
                entities=pump.entities,
                incidents=pump.incidents,
                stats=stats,
                removed_entities=change.entities_removed,
            )
    return time.perf_counter() - t0, stats.records_applied


def bench_alarms(
    rules: int = 1000, messages: int = 6000, per_tick: int = 20, rounds: int = 3
) -> dict[str, Any]:
    """Returns updates_s, overhead_ratio, rules, conditions, ticks, ms_per_tick_alarms."""
    import scipy.stats  # noqa: F401  (imported once at start-up in the app; keep it out of the timing)

    from controlroom.app.bench.feed import _frames
    from controlroom.core.alarms.engine import AlarmEngine
    from controlroom.core.site import parse_site
    from controlroom.geo.alarm_zones import build_zones
    from controlroom.geo.crs import LocalFrame

    pos = _frames(messages, 100, "bench")
    ticks = messages // per_tick
    extra = _extra_frames(ticks)
    ruleset = _rules(rules)
    frame = LocalFrame.at_wgs84(SITE_CRS, *ORIGIN)
    site = parse_site(
        f'schema = 1\n[site]\nname = "bench"\ntitle = "Bench"\ncrs = "{SITE_CRS}"\n'
        '[[city_model]]\npath = "none.geojson"\ncrs = "EPSG:4326"\n',
        __import__("pathlib").Path("bench/site.toml"),
    )
    zones, _ = build_zones(ruleset, site, frame)
    base, with_alarms = [], []
    conditions = 0
    applied = 0
    for _ in range(rounds):
        base.append(_run(pos, extra, per_tick, None)[0])
        engine = AlarmEngine(ruleset, zones)
        dt, applied = _run(pos, extra, per_tick, engine)
        with_alarms.append(dt)
        conditions = int(engine.scalar.slot.size) + len(engine.fences.rules) * 10_000
    b, w = min(base), min(with_alarms)
    return {
        "updates_s": round(applied / w),
        "updates_s_without_alarms": round(applied / b),
        "overhead_ratio": round(w / b, 3),
        "rules": rules,
        "conditions": conditions,
        "records": applied,
        "ticks": ticks,
        "ms_per_tick_pipeline": round(1000 * b / ticks, 2),
        "ms_per_tick_alarms": round(1000 * (w - b) / ticks, 2),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(bench_alarms(), indent=2))
