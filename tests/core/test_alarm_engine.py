"""The alarm engine on scripted series: each rule kind fires and clears exactly when it should."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from controlroom.core.alarms.engine import AlarmEngine
from controlroom.core.alarms.rules import parse_rules
from controlroom.core.entities import EntityStore
from controlroom.core.feed_stats import FeedStats
from controlroom.core.incidents import IncidentBoard, IncidentState
from controlroom.core.metrics import MetricSeries
from controlroom.core.protocol import ENTITY_KINDS
from controlroom.core.sensors import SensorStore


def _rules(body: str):  # type: ignore[no-untyped-def]
    return parse_rules("schema = 1\n" + body, Path("alarms.toml"))


def _run_metric(engine: AlarmEngine, values: list[float], dt: float = 1.0) -> list[tuple[float, str]]:
    """Feed one value per second into metric 'm'; return (t, event kind) pairs."""
    metrics = MetricSeries()
    out = []
    for i, v in enumerate(values):
        t = 1000.0 + i * dt
        metrics.add([("m", t, v, "u")])
        out += [(t, e.kind) for e in engine.evaluate(t, metrics=metrics)]
    return out


def test_threshold_fires_once_and_rearms_only_after_falling_below_the_hysteresis_band() -> None:
    engine = AlarmEngine(
        _rules(
            '[[rule]]\nid = "hi"\nkind = "threshold"\ntitle = "High"\nmetric = "m"\n'
            "above = 10\nhysteresis = 2\n"
        )
    )
    #            0  1   2   3  4   5  6  7   8
    series = [5, 11, 12, 9, 11, 8.5, 7, 11, 12]
    events = _run_metric(engine, series)
    # raised at 1 (11 > 10); 9 and 8.5 are inside the band (> 8): no clear, no second raise at 4;
    # 7 < 8 clears at 6; 11 re-raises at 7; 12 at 8 is the same condition (dedup).
    assert events == [(1001.0, "raised"), (1006.0, "cleared"), (1007.0, "raised")]


def test_minimum_duration_needs_the_condition_to_hold_that_long() -> None:
    engine = AlarmEngine(
        _rules(
            '[[rule]]\nid = "lo"\nkind = "threshold"\ntitle = "Low"\nmetric = "m"\nbelow = 0\n'
            "min_duration_s = 3\n"
        )
    )
    series = [1, -1, -1, 1, -1, -1, -1, -1, 2]
    # a 2-s dip (1..2) does not fire; the dip from 4 has lasted 3 s at 7; clears at 8 (no hysteresis).
    assert _run_metric(engine, series) == [(1007.0, "raised"), (1008.0, "cleared")]


def test_rate_of_change_over_a_window() -> None:
    engine = AlarmEngine(
        _rules(
            '[[rule]]\nid = "surge"\nkind = "rate"\ntitle = "Surge"\nmetric = "m"\nabove = 30\n'
            "window_s = 10\nhysteresis = 10\n"
        )
    )
    series = [100.0] * 5 + [100 + 1.0 * i for i in range(1, 8)] + [107.0] * 12
    # the change across the 10-s window, per minute: at t=1009 it is (105-100)/9 s = 33/min > 30;
    # after the rise it falls back to (107-104)/10 s = 18/min < 30 - 10 only at t=1018.
    assert _run_metric(engine, series) == [(1009.0, "raised"), (1018.0, "cleared")]


def test_sensor_kind_rule_is_one_condition_per_sensor_and_silence_fires_after_n_seconds() -> None:
    rules = _rules(
        '[[rule]]\nid = "river"\nkind = "threshold"\ntitle = "River"\n'
        'sensor_kind = "river_level"\nabove = 4\n'
        '[[rule]]\nid = "quiet"\nkind = "silence"\ntitle = "Quiet"\nsensor = "R2"\nafter_s = 30\n'
    )
    engine = AlarmEngine(rules)
    sensors = SensorStore()

    def read(t: float, values: dict[str, float]) -> list[str]:
        ids = list(values)
        n = len(ids)
        sensors.upsert(
            ids,
            ["river_level"] * n,
            ["m"] * n,
            np.arange(n, dtype=float),
            np.zeros(n),
            np.array(list(values.values())),
            ["ok"] * n,
            t,
        )
        return [f"{e.kind}:{e.key}" for e in engine.evaluate(t, sensors=sensors)]

    assert read(0.0, {"R1": 3.0, "R2": 3.0}) == []
    assert read(1.0, {"R1": 4.5, "R2": 3.0}) == ["raised:river|R1"]
    assert read(2.0, {"R1": 4.6, "R2": 4.1}) == ["raised:river|R2"]
    assert read(10.0, {"R1": 3.0}) == ["cleared:river|R1"]
    assert [f"{e.kind}:{e.key}" for e in engine.evaluate(31.0, sensors=sensors)] == []
    assert [f"{e.kind}:{e.key}" for e in engine.evaluate(32.5, sensors=sensors)] == ["raised:quiet|R2"]
    assert read(33.0, {"R2": 3.0}) == ["cleared:river|R2", "cleared:quiet|R2"]


def test_feed_source_silence_uses_last_heard() -> None:
    engine = AlarmEngine(
        _rules(
            '[[rule]]\nid = "feed"\nkind = "silence"\ntitle = "Feed silent"\n'
            'feed_source = "sim"\nafter_s = 5\n'
        )
    )
    stats = FeedStats()
    stats.source("sim").last_heard = 100.0
    assert engine.evaluate(104.0, stats=stats) == []
    assert [e.kind for e in engine.evaluate(105.5, stats=stats)] == ["raised"]
    stats.source("sim").last_heard = 106.0
    assert [e.kind for e in engine.evaluate(106.1, stats=stats)] == ["cleared"]


class _Square:
    """A 100 m square zone at the origin (the real shapely-backed index is tested in tests/geo)."""

    def keys(self) -> list[str]:
        return ["sq"]

    def contains(self, key: str, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (np.abs(x) < 50) & (np.abs(y) < 50)


def _move(store: EntityStore, t: float, where: dict[str, tuple[str, float, float]]) -> None:
    ids = list(where)
    n = len(ids)
    store.upsert(
        ids,
        np.array([ENTITY_KINDS.index(where[i][0]) for i in ids], np.uint8),
        np.array([where[i][1] for i in ids]),
        np.array([where[i][2] for i in ids]),
        np.zeros(n),
        np.zeros(n),
        np.zeros(n, np.uint8),
        t,
    )


def test_geofence_enter_leave_and_dwell_for_the_given_kinds_only() -> None:
    rules = _rules(
        '[[zone]]\nname = "sq"\npolygon = [[0, 0], [1, 0], [1, 1]]\n'
        '[[rule]]\nid = "in"\nkind = "geofence"\ntitle = "In"\nzone = "sq"\nentity_kinds = ["muck_truck"]\n'
        '[[rule]]\nid = "out"\nkind = "geofence"\ntitle = "Out"\nzone = "sq"\ntrigger = "leave"\n'
        'entity_kinds = ["muck_truck"]\n'
        '[[rule]]\nid = "dwell"\nkind = "geofence"\ntitle = "Dwell"\nzone = "sq"\ntrigger = "dwell"\n'
        'dwell_s = 10\nentity_kinds = ["muck_truck"]\n'
    )
    engine = AlarmEngine(rules, _Square())  # type: ignore[arg-type]
    store = EntityStore()

    def step(t: float, where: dict[str, tuple[str, float, float]]) -> list[str]:
        _move(store, t, where)
        return sorted(f"{e.kind}:{e.key}" for e in engine.evaluate(t, entities=store))

    assert step(1.0, {"T1": ("muck_truck", 200, 0), "TAXI": ("taxi", 0, 0)}) == []
    assert step(2.0, {"T1": ("muck_truck", 10, 0)}) == ["raised:in|T1"]
    assert step(5.0, {"T1": ("muck_truck", 20, 0)}) == []
    assert step(12.5, {"T1": ("muck_truck", 25, 0)}) == ["raised:dwell|T1"]
    assert step(13.0, {"T1": ("muck_truck", 300, 0)}) == [
        "cleared:dwell|T1",
        "cleared:in|T1",
        "raised:out|T1",
    ]
    assert step(14.0, {"T1": ("muck_truck", 0, 0)}) == ["cleared:out|T1", "raised:in|T1"]


def test_geofence_state_survives_the_store_compacting_rows() -> None:
    rules = _rules(
        '[[zone]]\nname = "sq"\npolygon = [[0, 0], [1, 0], [1, 1]]\n'
        '[[rule]]\nid = "in"\nkind = "geofence"\ntitle = "In"\nzone = "sq"\n'
    )
    engine = AlarmEngine(rules, _Square())  # type: ignore[arg-type]
    store = EntityStore(timeouts_s={"ambulance": 5.0})
    _move(store, 0.0, {"A": ("ambulance", 0, 0), "B": ("bus", 0, 0)})
    assert sorted(e.key for e in engine.evaluate(0.0, entities=store)) == ["in|A", "in|B"]
    _move(store, 11.0, {"B": ("bus", 1, 1)})
    removed = store.expire(11.0)  # A is past twice its timeout: row 0 goes, B moves to row 0
    assert removed == ["A"]
    events = engine.evaluate(11.0, entities=store, removed_entities=removed)
    assert [f"{e.kind}:{e.key}" for e in events] == ["cleared:in|A"]  # B stays raised, not re-raised


def test_incident_severity_rule() -> None:
    engine = AlarmEngine(
        _rules('[[rule]]\nid = "sev"\nkind = "incident"\ntitle = "Severe"\nmin_severity = 3\n')
    )
    board = IncidentBoard()

    def inc(i: str, sev: int, status: str) -> IncidentState:
        return IncidentState(i, "waterlogging", sev, 1.0, 2.0, (), "", status, 0.0, 0.0)

    board.apply([inc("I1", 2, "new"), inc("I2", 3, "new")])
    events = engine.evaluate(1.0, incidents=board)
    assert [(e.kind, e.subject, e.x) for e in events] == [("raised", "I2", 1.0)]
    assert engine.evaluate(2.0, incidents=board) == []
    board.apply([inc("I2", 3, "resolved")])
    assert [(e.kind, e.subject) for e in engine.evaluate(3.0, incidents=board)] == [("cleared", "I2")]


def test_a_second_reading_at_the_same_clock_instant_is_not_lost() -> None:
    """Two pump ticks at one clock time (a coarse clock, a test clock) stamp one last_seen: the
    engine must still take the newer value, and keep one history point for that instant."""
    engine = AlarmEngine(
        _rules('[[rule]]\nid = "river"\nkind = "threshold"\ntitle = "River"\nsensor = "R1"\nabove = 3\n')
    )
    sensors = SensorStore()

    def read(t: float, value: float) -> list[str]:
        sensors.upsert(["R1"], ["river_level"], ["m"], np.zeros(1), np.zeros(1), np.array([value]), ["ok"], t)
        return [f"{e.kind}:{e.key}" for e in engine.evaluate(t, sensors=sensors)]

    assert read(10.0, 2.8) == []
    assert read(20.0, 2.9) == []  # a late copy of the previous reading, applied at the new tick's time
    assert read(20.0, 3.12) == ["raised:river|R1"]  # the real reading, same instant
    t, v = engine.slots.window(engine.slots.index["sensor:R1"], 20.0, 60.0)
    assert t.tolist() == [10.0, 20.0] and v.tolist() == [2.8, 3.12]


def test_a_move_at_the_instant_of_the_last_evaluation_is_still_tested() -> None:
    rules = _rules(
        '[[zone]]\nname = "sq"\npolygon = [[0, 0], [1, 0], [1, 1]]\n'
        '[[rule]]\nid = "in"\nkind = "geofence"\ntitle = "In"\nzone = "sq"\n'
    )
    engine = AlarmEngine(rules, _Square())  # type: ignore[arg-type]
    store = EntityStore()
    _move(store, 5.0, {"B": ("bus", 200, 0)})
    assert engine.evaluate(5.0, entities=store) == []
    _move(store, 5.0, {"B": ("bus", 0, 0)})  # a second tick at the same clock time
    assert [f"{e.kind}:{e.key}" for e in engine.evaluate(5.0, entities=store)] == ["raised:in|B"]
