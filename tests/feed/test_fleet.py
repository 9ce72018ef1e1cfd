"""Columnar fleet frames over a real socket: a whole fleet per frame into the entity store."""

from __future__ import annotations

import numpy as np
import pytest

from controlroom.core.protocol import ENTITY_KINDS, ENTITY_STATUSES
from controlroom.feed.fleet import fleet_frame
from controlroom.feed.publisher import FeedPublisher

LON, LAT = 113.3157, 23.1226


def _fleet(n: int, offset: float = 0.0) -> dict[str, object]:
    rng = np.random.default_rng(5)
    return {
        "ids": [f"bus-{i}" for i in range(n)],
        "x": LON + rng.uniform(-0.004, 0.004, n) + offset,
        "y": LAT + rng.uniform(-0.003, 0.003, n),
        "heading": rng.uniform(0, 360, n),
        "speed": rng.uniform(0, 15, n),
        "kind": np.full(n, ENTITY_KINDS.index("bus")),
        "status": np.full(n, ENTITY_STATUSES.index("en_route")),
    }


@pytest.mark.parametrize("codec", ["msgpack", "json"])
def test_a_fleet_frame_lands_in_the_entity_store_column_for_column(codec: str, make_pipeline) -> None:
    with FeedPublisher("tcp://127.0.0.1:*", source="transit", codec=codec) as pub:
        p = make_pipeline(pub.endpoint)
        assert p.pump_until(lambda: (pub.heartbeat() or True) and "transit" in p.pump.heartbeats)
        cols = _fleet(2000)
        ids = cols.pop("ids")
        pub.send(fleet_frame(ids, **cols))  # type: ignore[arg-type]
        store = p.pump.entities
        assert p.pump_until(lambda: len(store) == 2000)
        row = store.row("bus-1234")
        assert float(store.x[row]) == pytest.approx(cols["x"][1234])  # type: ignore[index]
        assert float(store.y[row]) == pytest.approx(cols["y"][1234])  # type: ignore[index]
        assert float(store.heading[row]) == pytest.approx(cols["heading"][1234], rel=1e-6)  # type: ignore[index]
        assert ENTITY_STATUSES[int(store.status[row])] == "en_route"
        assert ENTITY_KINDS[int(store.kind[row])] == "bus"
        assert p.stats.snapshot(0)["rejected"] == {}


def test_bad_rows_are_counted_by_reason_and_the_rest_applied(make_pipeline) -> None:
    with FeedPublisher("tcp://127.0.0.1:*", source="transit") as pub:
        p = make_pipeline(pub.endpoint)
        assert p.pump_until(lambda: (pub.heartbeat() or True) and "transit" in p.pump.heartbeats)
        cols = _fleet(10)
        ids = list(cols.pop("ids"))  # type: ignore[call-overload]
        x, y, kind = cols["x"], cols["y"], cols["kind"]
        x[0] = 120.0  # type: ignore[index]  # Guangzhou's extent is ~113.3 E: out of extent
        y[1] = np.nan  # type: ignore[index]
        kind[2] = 200  # type: ignore[index]  # no such kind code
        ids[4] = ids[3]  # one id twice: its later row wins
        pub.send(fleet_frame(ids, **cols))  # type: ignore[arg-type]
        # a frame whose columns disagree about the number of rows: rejected whole, nothing else lost
        broken = fleet_frame(["x1", "x2"], [LON, LON], [LAT, LAT])
        broken.speed = broken.speed[:4]  # one float32 where two belong
        pub.send(broken)
        pub.send(fleet_frame(["late"], [LON], [LAT]))
        store = p.pump.entities
        assert p.pump_until(lambda: "late" in store and len(store) == 7)
        assert float(store.x[store.row("bus-3")]) == pytest.approx(x[4])  # type: ignore[index]
        rejected = p.stats.snapshot(0)["rejected"]
        assert rejected == {"out_of_extent": 1, "non_finite": 1, "invalid_record": 2, "malformed": 1}
        assert "bus-0" not in store and "bus-1" not in store and "bus-2" not in store
