"""Entity store (columns, staleness, trails), KPI rings, sensors, incidents and feed counters."""

from __future__ import annotations

import numpy as np
import pytest

from controlroom.core.entities import EntityStore
from controlroom.core.feed_stats import BatchCounts, FeedStats
from controlroom.core.incidents import IncidentBoard, IncidentState
from controlroom.core.metrics import MetricSeries
from controlroom.core.protocol import ENTITY_KINDS, ENTITY_STATUSES
from controlroom.core.sensors import SensorStore

BUS, POLICE = ENTITY_KINDS.index("bus"), ENTITY_KINDS.index("police")
NORMAL, ON_SCENE = ENTITY_STATUSES.index("normal"), ENTITY_STATUSES.index("on_scene")


def upsert(
    store: EntityStore, ids: list[str], x: list[float], kind: int = BUS, seen: float = 0.0
) -> np.ndarray:
    n = len(ids)
    return store.upsert(
        ids,
        np.full(n, kind, np.uint8),
        np.array(x, float),
        np.zeros(n),
        np.zeros(n),
        np.full(n, 5.0),
        np.full(n, NORMAL, np.uint8),
        seen,
    )


def test_upsert_keeps_one_row_per_id_and_grows() -> None:
    s = EntityStore(capacity=16)
    upsert(s, [f"E{i}" for i in range(40)], list(range(40)))
    v = s.version
    rows = upsert(s, ["E3", "NEW"], [300.0, 7.0])
    assert len(s) == 41 and s.version == v + 1
    assert rows[0] == s.row("E3") == 3 and s.x[3] == 300.0 and s.x[s.row("NEW")] == 7.0
    assert s.ids[40] == "NEW" and s.speed.dtype == np.float32 and s.kind.dtype == np.uint8
    assert s.xy.shape == (41, 2)


def test_stale_entities_fade_then_disappear() -> None:
    s = EntityStore(timeouts_s={"bus": 10.0, "police": 30.0})
    upsert(s, ["B"], [0.0], BUS, seen=100.0)
    upsert(s, ["P"], [0.0], POLICE, seen=100.0)
    assert s.opacity(105.0).tolist() == [1.0, 1.0]
    assert s.stale(115.0).tolist() == [True, False]
    assert s.opacity(115.0)[0] == pytest.approx(0.5)  # halfway through the bus's fade
    assert s.expire(115.0) == []
    assert s.expire(121.0) == ["B"]  # past twice its timeout: gone
    assert s.ids == ["P"] and s.row("P") == 0 and "B" not in s
    upsert(s, ["B"], [1.0], BUS, seen=122.0)  # a bus that comes back gets a fresh row
    assert len(s) == 2 and s.opacity(122.0).tolist() == [1.0, 1.0]


def test_unknown_kind_timeout_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kinds"):
        EntityStore(timeouts_s={"zeppelin": 5.0})


def test_trails_are_bounded_and_ordered() -> None:
    s = EntityStore(trail_points=4)
    for k in range(6):
        upsert(s, ["A", "B"], [float(k), 10.0 * k])
    assert s.trail("A")[:, 0].tolist() == [2.0, 3.0, 4.0, 5.0]
    trails, counts = s.trails()
    assert trails.shape == (2, 4, 2) and counts.tolist() == [4, 4]
    assert trails[1, :, 0].tolist() == [20.0, 30.0, 40.0, 50.0]
    upsert(s, ["B", "C"], [60.0, 1.0])  # an existing and a new id in one batch
    assert s.trail("C").tolist() == [[1.0, 0.0]] and s.trail("B")[-1, 0] == 60.0
    only, counts = s.trails([2, 1])  # the renderer asks for the rows it draws
    assert counts.tolist() == [1, 4] and only[0, -1].tolist() == [1.0, 0.0]
    assert only[1, :, 0].tolist() == [30.0, 40.0, 50.0, 60.0]


def test_metric_ring_is_bounded_and_windowed() -> None:
    m = MetricSeries(window_s=3600, capacity=100)
    changed = m.add(("aqi", float(t), float(t % 50), "AQI") for t in range(0, 1000, 5))
    assert changed == {"aqi"} and len(m.rings["aqi"]) == 100
    t, _ = m.series("aqi", now=1000.0)
    assert t[0] == 500.0 and t[-1] == 995.0 and np.all(np.diff(t) > 0)
    m.add([("aqi", 990.5, 1.0, "")])  # a late point falls in time order
    t, _ = m.series("aqi", now=1000.0)
    assert np.all(np.diff(t) >= 0)
    assert m.latest("aqi") == (990.5, 1.0) and m.rings["aqi"].unit == "AQI"
    assert m.series("nothing", 0.0)[0].size == 0


def test_sensor_store_codes_and_staleness() -> None:
    s = SensorStore(stale_after_s=60)
    s.upsert(
        ["R1", "A1"],
        ["river_level", "aqi"],
        ["m", "AQI"],
        np.array([1.0, 2.0]),
        np.array([3.0, 4.0]),
        np.array([3.3, 80.0]),
        ["warning", "ok"],
        10.0,
    )
    s.upsert(
        ["R1"], ["river_level"], ["m"], np.array([1.0]), np.array([3.0]), np.array([3.6]), ["alarm"], 50.0
    )
    assert s.reading("R1") == ("river_level", 3.6, "alarm") and s.kinds == ["river_level", "aqi"]
    assert s.units["aqi"] == "AQI" and s.stale(100.0).tolist() == [False, True]


def test_incident_board_orders_open_by_severity_and_expires_resolved() -> None:
    b = IncidentBoard(keep_resolved_s=30)

    def inc(i: str, sev: int, status: str = "new", t: float = 0.0) -> IncidentState:
        return IncidentState(i, "road_damage", sev, 1.0, 2.0, ("C1",), "", status, t, t)

    assert b.apply([inc("a", 1), inc("b", 4), inc("c", 2)]) == ["a", "b", "c"]
    assert [i.id for i in b.open()] == ["b", "c", "a"]
    assert b.apply([inc("b", 4, "resolved", 10.0)]) == []
    cols = b.columns()
    assert cols.ids == ["c", "a"] and cols.severity.tolist() == [2, 1]
    assert b.expire(20.0) == [] and b.expire(41.0) == ["b"] and "b" not in b


def test_feed_stats_accounting_and_rate() -> None:
    st = FeedStats(rate_window_s=5)
    c = BatchCounts(received=10, bytes=900, applied=8, records=20)
    c.rejected["undecodable"] += 2
    st.merge(c, now=100.0)
    st.merge(BatchCounts(received=10, applied=10), now=101.0)
    src = st.source("sim")
    src.gaps += 3
    snap = st.snapshot(101.0)
    assert snap["received"] == 20 and snap["applied"] == 18 and snap["rejected"] == {"undecodable": 2}
    assert snap["gaps"] == 3 and snap["msgs_per_s"] == pytest.approx(10.0)
    assert st.rate(200.0) == 0.0  # silent feed: no stale rate
