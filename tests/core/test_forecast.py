"""Early warning: a predicted alarm precedes the real crossing on a rising series, not on noise."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from controlroom.core.alarms.engine import AlarmEngine
from controlroom.core.alarms.rules import parse_rules
from controlroom.core.forecast import forecast_crossing
from controlroom.core.metrics import MetricSeries

RULE = """schema = 1
[[rule]]
id = "river"
kind = "threshold"
title = "River above warning line"
metric = "level"
above = 4.0
hysteresis = 0.1
window_s = 300
forecast_horizon_s = 600
"""


def _events(values: np.ndarray, dt: float = 2.0) -> list[tuple[float, str, float]]:
    engine = AlarmEngine(parse_rules(RULE, Path("alarms.toml")))
    metrics = MetricSeries()
    out = []
    for i, v in enumerate(values):
        t = i * dt
        metrics.add([("level", t, float(v), "m")])
        out += [(t, e.kind, e.eta_s) for e in engine.evaluate(t, metrics=metrics)]
    return out


def test_predicted_alarm_comes_minutes_before_the_real_crossing_with_a_sensible_eta() -> None:
    rng = np.random.default_rng(5)
    t = np.arange(0, 1800, 2.0)
    level = 2.6 + 0.08 * t / 60.0 + rng.normal(0, 0.02, t.size)  # 0.08 m/min, as in the demo
    events = _events(level)
    kinds = [k for _, k, _ in events]
    assert kinds[:2] == ["predicted", "raised"]
    t_pred, _, eta = events[0]
    t_real = events[1][0]
    assert t_real - t_pred >= 240.0  # at least four minutes of warning
    assert abs((t_pred + eta) - t_real) < 90.0  # the expected crossing time was right within 1.5 min


def test_noise_around_a_flat_level_never_predicts() -> None:
    rng = np.random.default_rng(11)
    level = 3.7 + rng.normal(0, 0.05, 1800)  # close under the line, one hour of noise
    assert [k for _, k, _ in _events(level)] == []


def test_a_prediction_clears_itself_when_the_rise_stops() -> None:
    rng = np.random.default_rng(2)
    t = np.arange(0, 1500, 2.0)
    level = np.where(t < 400, 2.6 + 0.12 * t / 60.0, 2.6 + 0.12 * 400 / 60.0) + rng.normal(0, 0.01, t.size)
    kinds = [k for _, k, _ in _events(level)]
    assert kinds == ["predicted", "withdrawn"]


def test_forecast_crossing_interval_brackets_the_estimate() -> None:
    t = np.arange(0.0, 120.0, 2.0)
    v = 1.0 + 0.01 * t + np.random.default_rng(0).normal(0, 0.01, t.size)
    hit = forecast_crossing(t, v, 3.0, +1, now=118.0, horizon_s=600.0)
    assert hit is not None
    assert hit.eta_lo_s <= hit.eta_s <= hit.eta_hi_s
    assert abs(hit.eta_s - 82.0) < 15.0  # 3.0 is reached at t=200
    assert forecast_crossing(t, v, 3.0, -1, now=118.0, horizon_s=600.0) is None  # wrong direction
