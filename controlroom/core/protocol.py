"""The feed's wire schema (docs/protocol.md): typed, versioned batches, one message kind per topic.

Every message is one ZeroMQ frame: a 4-byte topic (``pos|``, ``sen|``, ``inc|``, ``met|``,
``hbt|``, ``flt|``) followed by the payload. Subscribers filter on the topic prefix (a single frame filters
as well as multipart and is ~4× cheaper in pyzmq). The payload is msgpack by default, encoding
the ``array_like`` Structs below positionally (smallest and fastest to decode, ~6 M records/s);
JSON is accepted for interop and debugging, as objects with field names. The codec is chosen
by the payload's first byte (``{``/``[``/whitespace → JSON), so one socket carries both.

Each message carries the schema version, a source id, a per-source sequence number (gaps and
duplicates become visible), the publish time (staleness and latency become visible) and, last,
the publisher's *epoch*: a run id chosen when the publisher starts, so a restarted publisher is
recognised at its first frame whatever sequence number that frame has. Records
are batched: a message holds many records of one kind. Coordinates are lon/lat (WGS 84) unless
the batch names another ``crs`` (the site's metric CRS, ``gcj02``, ``bd09``).
"""

from __future__ import annotations

import time
from typing import Annotated, Any, ClassVar, Literal, cast, get_args

import msgspec

SCHEMA_VERSION = 1

EntityKind = Literal[
    "bus",
    "muck_truck",
    "police",
    "city_management",
    "taxi",
    "ambulance",
    "fire_engine",
    "sanitation",
    "other",
]
EntityStatus = Literal[
    "normal", "idle", "available", "dispatched", "en_route", "on_scene", "out_of_service", "alarm"
]
IncidentType = Literal[
    "garbage_piled_up",
    "street_vending",
    "illegal_parking",
    "road_damage",
    "manhole_cover_missing",
    "illegal_construction",
    "waterlogging",
    "fallen_tree",
]
IncidentStatus = Literal["new", "acknowledged", "dispatched", "on_scene", "resolved", "closed"]
SensorStatus = Literal["ok", "warning", "alarm", "fault"]

#: Codes used in the models' numpy columns: the index into these tuples.
ENTITY_KINDS: tuple[str, ...] = get_args(EntityKind)
ENTITY_STATUSES: tuple[str, ...] = get_args(EntityStatus)
INCIDENT_TYPES: tuple[str, ...] = get_args(IncidentType)
INCIDENT_STATUSES: tuple[str, ...] = get_args(IncidentStatus)
SENSOR_STATUSES: tuple[str, ...] = get_args(SensorStatus)

Severity = Annotated[int, msgspec.Meta(ge=1, le=4)]
WGS84 = "EPSG:4326"


# ------------------------------------------------------------------ records


class Position(msgspec.Struct, array_like=True, gc=False):
    """Where a moving thing is: heading in degrees clockwise from north, speed in m/s."""

    id: str
    kind: EntityKind
    x: float
    y: float
    heading: float = 0.0
    speed: float = 0.0
    status: EntityStatus = "normal"


class SensorReading(msgspec.Struct, array_like=True, gc=False):
    """One fixed sensor's value (river level in m, AQI, noise in dB(A) …) at its location."""

    id: str
    kind: str
    value: float
    x: float
    y: float
    unit: str = ""
    status: SensorStatus = "ok"


class Incident(msgspec.Struct, array_like=True, gc=False):
    """An urban-management event (usually found by video AI); re-sent with the same id on change."""

    id: str
    type: IncidentType
    severity: Severity
    x: float
    y: float
    camera_ids: list[str] = []
    text: str = ""
    status: IncidentStatus = "new"
    raised_at: float = 0.0


class MetricPoint(msgspec.Struct, array_like=True, gc=False):
    """A city vital sign at time ``t`` (unix seconds): congestion index, AQI, power load …"""

    name: str
    value: float
    t: float
    unit: str = ""


# ------------------------------------------------------------------ messages


def new_epoch() -> int:
    """A publisher run id: its start time in microseconds (never 0, different for every run).

    Subscribers compare epochs only for equality, so a clock stepped back cannot blind them.
    """
    return max(1, time.time_ns() // 1000)


class Envelope(msgspec.Struct, array_like=True, gc=False, tag_field="kind"):
    """Common header: the tag (message kind) is encoded first, then these fields, then the body,
    then ``epoch`` (each kind declares it last, with default 0, so frames from publishers that
    predate epochs still decode: they are judged by the old restart rule, see ``feed.validate``)."""

    KIND: ClassVar[str] = ""
    v: int
    source: str
    seq: int
    ts: float


class PositionBatch(Envelope, tag="pos"):
    KIND: ClassVar[str] = "pos"
    records: list[Position]
    crs: str = WGS84
    epoch: int = 0


class SensorBatch(Envelope, tag="sen"):
    KIND: ClassVar[str] = "sen"
    records: list[SensorReading]
    crs: str = WGS84
    epoch: int = 0


class IncidentBatch(Envelope, tag="inc"):
    KIND: ClassVar[str] = "inc"
    records: list[Incident]
    crs: str = WGS84
    epoch: int = 0


class MetricBatch(Envelope, tag="met"):
    KIND: ClassVar[str] = "met"
    records: list[MetricPoint]
    epoch: int = 0


class Heartbeat(Envelope, tag="hbt"):
    """Sent about once a second so a silent source shows as silent, not as 'no news'."""

    KIND: ClassVar[str] = "hbt"
    rate_hz: float = 0.0
    entities: int = 0
    uptime_s: float = 0.0
    epoch: int = 0


class FleetFrame(Envelope, tag="flt"):
    """N entity positions as packed little-endian columns: a whole fleet per tick in one frame.

    For publishers and bridges that send every vehicle at once (a GTFS-RT feed of 10 k buses, a
    NATS batch): the columns decode with ``numpy.frombuffer`` straight into the entity store's
    arrays, with no Python object per record. ``x``/``y`` float64, ``heading`` (degrees) and
    ``speed`` (m/s) float32, ``kinds``/``statuses`` uint8 indexes into ``ENTITY_KINDS`` /
    ``ENTITY_STATUSES``, ``t`` float64 record times (seconds since the epoch). ``ids`` is the ids
    in UTF-8 joined by newlines (a fleet sends the same blob tick after tick, so a receiver looks
    its rows up once, not per record); every column has one item per id. In JSON the columns
    are base64 strings.
    """

    KIND: ClassVar[str] = "flt"
    ids: bytes
    x: bytes
    y: bytes
    heading: bytes
    speed: bytes
    kinds: bytes
    statuses: bytes
    t: bytes
    crs: str = WGS84
    epoch: int = 0


Message = PositionBatch | SensorBatch | IncidentBatch | MetricBatch | Heartbeat | FleetFrame
MESSAGE_TYPES: tuple[type[Envelope], ...] = (
    PositionBatch,
    SensorBatch,
    IncidentBatch,
    MetricBatch,
    Heartbeat,
    FleetFrame,
)
KINDS: tuple[str, ...] = tuple(t.KIND for t in MESSAGE_TYPES)
RECORD_TYPES: dict[str, type[msgspec.Struct]] = {
    "pos": Position,
    "sen": SensorReading,
    "inc": Incident,
    "met": MetricPoint,
}
TOPICS: dict[str, bytes] = {k: k.encode() + b"|" for k in KINDS}
TOPIC_LEN = 4


def _json_twin(cls: type[msgspec.Struct], fields: list[tuple[str, object]], **config: object) -> type:
    """The same Struct encoded as a JSON object (field names), still an instance of ``cls``."""
    return msgspec.defstruct(cls.__name__ + "Json", fields, bases=(cls,), array_like=False, **config)  # type: ignore[arg-type]


def _list_of(item: type) -> object:
    return cast(Any, list)[item]


#: JSON-object twins of the record types (subclasses, so decoded records are still ``Position`` …).
RECORD_JSON_TYPES: dict[str, type] = {k: _json_twin(t, []) for k, t in RECORD_TYPES.items()}
#: JSON-object twins of the message types; decoded objects are instances of the msgpack types.
JSON_MESSAGE_TYPES: tuple[type, ...] = tuple(
    _json_twin(
        t,
        [("records", _list_of(RECORD_JSON_TYPES[t.KIND]))] if t.KIND in RECORD_JSON_TYPES else [],
        tag=t.KIND,
    )
    for t in MESSAGE_TYPES
)


def to_json_object(msg: Envelope) -> dict[str, object]:
    """A message as a JSON-ready dict with field names (the interop form)."""
    out: dict[str, object] = {"kind": msg.KIND}
    for name in msg.__struct_fields__:
        value = getattr(msg, name)
        if name == "records":
            value = [msgspec.structs.asdict(r) for r in value]
        out[name] = value
    return out
