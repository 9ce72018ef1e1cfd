"""The history tables: one Arrow schema each, and how each column is stored in Parquet.

Positions dominate (50,000 entities at 1 Hz is 180 M rows an hour), so they are stored small:
local-frame coordinates in centimetres as int32, prediction-coded per entity in minute files
(``chain``), times in milliseconds delta-encoded (rows are sorted by id, then time), heading in
tenths of a degree, speed in cm/s; ids, kinds and statuses are dictionary-encoded. The other
tables are small and keep plain floats. ``kf`` marks keyframe rows: the full state at that time.
"""

from __future__ import annotations

import pyarrow as pa

from controlroom.core.protocol import ENTITY_KINDS, ENTITY_STATUSES

POSITIONS = "positions"
SENSORS = "sensors"
METRICS = "metrics"
INCIDENTS = "incidents"
EVENTS = "events"
TABLES = (POSITIONS, SENSORS, METRICS, INCIDENTS, EVENTS)
#: Tables that carry keyframes (the others are rebuilt from their latest row per key).
KEYFRAMED = (POSITIONS, SENSORS, INCIDENTS)
#: Each table's key column (rows are sorted by it, then by time).
KEY = {POSITIONS: "id", SENSORS: "id", METRICS: "name", INCIDENTS: "id", EVENTS: "subject"}

SCHEMAS: dict[str, pa.Schema] = {
    POSITIONS: pa.schema(
        [
            ("id", pa.string()),
            ("t_ms", pa.int64()),
            ("kf", pa.bool_()),
            ("gone", pa.bool_()),
            ("kind", pa.uint8()),
            ("status", pa.uint8()),
            ("x_cm", pa.int32()),
            ("y_cm", pa.int32()),
            ("heading_dd", pa.int16()),
            ("speed_cms", pa.int16()),
        ]
    ),
    SENSORS: pa.schema(
        [
            ("id", pa.string()),
            ("t_ms", pa.int64()),
            ("kf", pa.bool_()),
            ("kind", pa.string()),
            ("unit", pa.string()),
            ("x", pa.float64()),
            ("y", pa.float64()),
            ("value", pa.float32()),  # 7 significant digits: beyond any sensor's own
            ("status", pa.string()),
        ]
    ),
    METRICS: pa.schema(
        [("name", pa.string()), ("t_ms", pa.int64()), ("value", pa.float64()), ("unit", pa.string())]
    ),
    INCIDENTS: pa.schema(
        [
            ("id", pa.string()),
            ("t_ms", pa.int64()),
            ("kf", pa.bool_()),
            ("gone", pa.bool_()),
            ("type", pa.string()),
            ("severity", pa.uint8()),
            ("x", pa.float64()),
            ("y", pa.float64()),
            ("status", pa.string()),
            ("text", pa.string()),
            ("raised_at", pa.float64()),
            ("source", pa.string()),
        ]
    ),
    EVENTS: pa.schema(
        [
            ("subject", pa.string()),  # alarm key, incident id, unit id
            ("t_ms", pa.int64()),
            ("kind", pa.string()),  # alarm, incident, unit, audit
            ("action", pa.string()),  # raised, cleared, acknowledge, created, assigned, closed, ...
            ("who", pa.string()),
            ("desk", pa.string()),
            ("accepted", pa.bool_()),
            ("detail", pa.string()),  # JSON
        ]
    ),
}

#: Columns stored with DELTA_BINARY_PACKED (no dictionary): sorted, slowly changing integers.
#: (None now: a positions minute file's ``t_ms`` repeats the same run of seconds for every
#: entity, which ZSTD over plain values stores in half the bytes and reads in half the time;
#: x_cm, y_cm and heading_dd are prediction-coded, see ``chain``: plain + ZSTD.)
DELTA_COLUMNS: dict[str, list[str]] = {}
#: Columns stored dictionary-encoded (the rest of the non-delta ones are plain).
DICT_COLUMNS = {
    POSITIONS: ["id", "kind", "status", "speed_cms", "kf", "gone"],
    SENSORS: ["id", "kf", "kind", "unit", "x", "y", "status"],
}
#: Float columns stored BYTE_STREAM_SPLIT: their sign/exponent bytes then compress well.
SPLIT_COLUMNS = {SENSORS: ["value"]}

KIND_NAMES = ENTITY_KINDS
STATUS_NAMES = ENTITY_STATUSES
