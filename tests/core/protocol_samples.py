"""One message of every kind, for the protocol and codec tests."""

from __future__ import annotations

from typing import Any

import msgspec

from controlroom.core.protocol import (
    SCHEMA_VERSION,
    Envelope,
    FleetFrame,
    Heartbeat,
    Incident,
    IncidentBatch,
    MetricBatch,
    MetricPoint,
    Position,
    PositionBatch,
    SensorBatch,
    SensorReading,
)

MESSAGES: list[Envelope] = [
    PositionBatch(
        SCHEMA_VERSION, "sim", 7, 1.7e9, [Position("BUS1", "bus", 113.3, 23.1, 270.0, 9.5, "en_route")]
    ),
    PositionBatch(
        SCHEMA_VERSION, "gps", 8, 1.7e9, [Position("T1", "taxi", 737146.5, 2558974.3)], "EPSG:32649"
    ),
    SensorBatch(
        SCHEMA_VERSION,
        "iot",
        1,
        1.7e9,
        [SensorReading("R1", "river_level", 3.2, 113.3, 23.1, "m", "warning")],
    ),
    IncidentBatch(
        SCHEMA_VERSION,
        "ai",
        2,
        1.7e9,
        [Incident("I1", "garbage_piled_up", 2, 113.3, 23.1, ["CAM1"], "bags on the pavement", "new", 1.7e9)],
        "gcj02",
    ),
    MetricBatch(SCHEMA_VERSION, "kpi", 3, 1.7e9, [MetricPoint("congestion_index", 6.4, 1.7e9)]),
    Heartbeat(SCHEMA_VERSION, "sim", 9, 1.7e9, 2.0, 2000, 61.5),
    FleetFrame(
        SCHEMA_VERSION,
        "gtfs",
        4,
        1.7e9,
        b"bus-1\nbus-2",
        *[bytes(range(n)) for n in (16, 16, 8, 8, 2, 2, 16)],
    ),
]


def plain(msg: Any) -> dict[str, Any]:
    """Field values with records as dicts (JSON twins compare equal to msgpack types)."""
    out = msgspec.structs.asdict(msg)
    if "records" in out:
        out["records"] = [msgspec.structs.asdict(r) for r in out["records"]]
    return out
