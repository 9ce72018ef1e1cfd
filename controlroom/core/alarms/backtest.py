"""Backtest the early warning of one threshold rule on a recorded series (CSV ``t,value``).

Replays the series through the real engine sample by sample and scores the predictions: a *hit*
is a predicted alarm that turned into the real one, a *false alarm* one that withdrew without
the threshold being crossed; the lead time is how long before the crossing the warning came.
"""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

import numpy as np

from controlroom.core.alarms.engine import AlarmEngine
from controlroom.core.alarms.rules import Rule, RuleSet
from controlroom.core.issues import InputError
from controlroom.core.metrics import MetricSeries

SERIES = "series"


def read_series(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A CSV with a header row naming columns ``t`` (unix seconds) and ``value``, in time order."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; expected a CSV with columns t,value") from None
    if not rows or not {"t", "value"} <= set(rows[0]):
        cols = ", ".join(rows[0]) if rows else "no rows"
        raise InputError(f"{path}: columns {cols}; expected a header with columns t,value")
    t, v = [], []
    for i, row in enumerate(rows, start=2):
        try:
            t.append(float(row["t"]))
            v.append(float(row["value"]))
        except (TypeError, ValueError):
            raise InputError(
                f"{path}: line {i}: t={row.get('t')!r}, value={row.get('value')!r}; expected numbers"
            ) from None
    ta = np.asarray(t)
    if np.any(np.diff(ta) < 0):
        raise InputError(f"{path}: t is not in ascending order; expected samples sorted by time")
    return ta, np.asarray(v)


def pick_rule(rules: RuleSet, rule_id: str | None) -> Rule:
    candidates = [r for r in rules.rule if r.kind == "threshold" and r.forecast_horizon_s]
    if rule_id is not None:
        candidates = [r for r in rules.rule if r.id == rule_id]
        if not candidates or candidates[0].kind != "threshold":
            raise InputError(
                f"{rules.path}: no threshold rule '{rule_id}'; expected one of "
                f"{[r.id for r in rules.rule if r.kind == 'threshold']}"
            )
    if not candidates:
        raise InputError(f"{rules.path}: no threshold rule with forecast_horizon_s to backtest")
    return candidates[0]


def backtest(rule: Rule, t: np.ndarray, v: np.ndarray) -> dict[str, object]:
    """Replay and score; keys: alarms, predicted, hits, false_alarms, lead_time_s_median, rule."""
    as_metric = rule.model_copy(update={"metric": SERIES, "sensor": None, "sensor_kind": None})
    engine = AlarmEngine(RuleSet.model_validate({"schema": 1, "rule": [as_metric.model_dump()]}))
    metrics = MetricSeries(window_s=max(3600.0, rule.window_s), capacity=1024)
    alarms = predicted = hits = false_alarms = 0
    open_prediction: float | None = None
    leads: list[float] = []
    for ti, vi in zip(t.tolist(), v.tolist(), strict=True):
        metrics.add([(SERIES, ti, vi, "")])
        for e in engine.evaluate(ti, metrics=metrics):
            if e.kind == "predicted":
                predicted += 1
                open_prediction = ti
            elif e.kind == "withdrawn":
                false_alarms += 1
                open_prediction = None
            elif e.kind == "raised":
                alarms += 1
                if open_prediction is not None:
                    hits += 1
                    leads.append(ti - open_prediction)
                    open_prediction = None
    return {
        "rule": rule.id,
        "samples": int(t.size),
        "alarms": alarms,
        "predicted": predicted,
        "hits": hits,
        "false_alarms": false_alarms,
        "lead_time_s_median": round(statistics.median(leads), 1) if leads else None,
    }
