"""``[[sources]]`` in site.toml: a city's existing streams (MQTT, GTFS-Realtime, NATS) and how their
messages become our records, declared rather than coded (docs/sources.md).

A source names its kind, how to connect, the ZeroMQ endpoint its bridge publishes on, and one or
more ``map`` entries. A map says which messages it takes (a topic filter, a subject, a GTFS-RT
entity part), which record they become, and for each record field where to find it (a path into
the message), a constant, a lookup table from the source's words to ours, and a unit conversion.
Only the schema lives here (Qt-free, no I/O); ``controlroom.bridges.mapping`` applies it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

SourceKind = Literal["mqtt", "gtfs-rt", "nats"]
RecordKind = Literal["position", "sensor", "metric", "incident"]
Aggregate = Literal["mean", "max", "min", "sum", "count", "percent_at_most"]

#: Record fields per record kind: (required, optional with a default). Coordinates are lon/lat.
RECORD_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "position": (("id", "kind", "lon", "lat"), ("heading", "speed", "status")),
    "sensor": (("id", "kind", "value", "lon", "lat"), ("unit", "status")),
    "metric": (("name", "value"), ("unit", "time")),
    "incident": (("id", "type", "severity", "lon", "lat"), ("text", "status", "time")),
}

#: Named unit conversions: (scale, offset) so that ours = theirs × scale + offset.
UNIT_CONVERSIONS: dict[str, tuple[float, float]] = {
    "km/h->m/s": (1 / 3.6, 0.0),
    "mph->m/s": (0.44704, 0.0),
    "knots->m/s": (0.514444, 0.0),
    "degF->degC": (5 / 9, -32 * 5 / 9),
    "K->degC": (1.0, -273.15),
    "ft->m": (0.3048, 0.0),
    "cm->m": (0.01, 0.0),
    "mm->m": (0.001, 0.0),
    "ms->s": (0.001, 0.0),
    "rad->deg": (57.29577951308232, 0.0),
    "hPa->kPa": (0.1, 0.0),
    "ratio->percent": (100.0, 0.0),
}

_PUB_ENDPOINT_RE = re.compile(r"^(tcp://[^:/\s]+:\d{1,5}|ipc://\S+|inproc://\S+)$")
_PATH_RE = re.compile(r"^(\$topic(\[\d+\])?|[^\s\[\].|?]+(\[\d+\])*(\.[^\s\[\].|?]+(\[\d+\])*)*)\??$")
_GTFS_PARTS = ("vehicle", "trip_update", "alert")
_SCHEMES: dict[str, tuple[str, ...]] = {
    "mqtt": ("mqtt", "mqtts", "tcp", "ssl", "ws", "wss"),
    "nats": ("nats", "tls"),
    "gtfs-rt": ("http", "https", "file"),
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scale(_Model):
    """ours = theirs × scale + offset."""

    scale: float = 1.0
    offset: float = 0.0


class Tls(_Model):
    """TLS to the broker: a CA bundle (default: the system's), and a client certificate if it asks."""

    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    insecure: bool = Field(default=False, description="skip the server certificate check (tests only)")


def check_path(path: str) -> str:
    """A field path: dotted keys, ``[n]`` for list items, ``a | b`` alternatives, ``?`` = optional."""
    for alt in path.split("|"):
        if not _PATH_RE.match(alt.strip()):
            raise ValueError(
                f"path {alt.strip()!r}: dotted keys with [n] for list items,"
                " e.g. 'vehicle.position.latitude',"
                " 'readings[0].value', '$topic[2]'; alternatives with ' | '; '?' at the end if optional"
            )
    return path


class SourceMap(_Model):
    """Which messages become which record, and where each record field comes from."""

    match: str = Field(
        default="#",
        description="MQTT topic filter, NATS subject, or GTFS-RT part: vehicle, trip_update, alert",
    )
    record: RecordKind
    fields: dict[str, str] = Field(default_factory=dict, description="record field → path in the message")
    static: dict[str, str | float | int | bool] = Field(
        default_factory=dict, description="record field → constant"
    )
    lookup: dict[str, dict[str, str | float | int]] = Field(
        default_factory=dict, description="record field → {their value: ours}"
    )
    convert: dict[str, str | Scale] = Field(
        default_factory=dict, description="record field → named conversion ('km/h->m/s') or {scale, offset}"
    )
    crs: str = Field(default="EPSG:4326", description="the frame of lon/lat: EPSG:4326, gcj02, bd09, EPSG:…")
    time_format: Literal["epoch_s", "epoch_ms", "iso"] = "epoch_s"
    id_format: str | None = Field(
        default=None, description="e.g. '{}:temp' when one device sends several kinds"
    )
    aggregate: Aggregate | None = Field(
        default=None, description="metric from many entities: one value per message"
    )
    at_most: float | None = Field(
        default=None, description="percent_at_most: the share of values ≤ this, in %"
    )

    @field_validator("fields", "static", "lookup", "convert")
    @classmethod
    def _known_fields(cls, v: dict[str, object], info: ValidationInfo) -> dict[str, object]:
        record = info.data.get("record")
        if record in RECORD_FIELDS:
            required, optional = RECORD_FIELDS[record]
            known = set(required) | set(optional)
            for name in v:
                if name not in known:
                    raise ValueError(
                        f"a {record} has no field '{name}'; its fields: {', '.join(sorted(known))}"
                    )
        if info.field_name == "fields":
            for path in v.values():
                check_path(str(path))
        return v

    @field_validator("crs", mode="before")
    @classmethod
    def _crs(cls, v: object) -> str:
        from controlroom.core.site.fields import _crs_field

        return _crs_field(v)

    @field_validator("convert")
    @classmethod
    def _conversions(cls, v: dict[str, str | Scale]) -> dict[str, str | Scale]:
        for name in v.values():
            if isinstance(name, str) and name not in UNIT_CONVERSIONS:
                raise ValueError(
                    f"conversion {name!r}: one of {', '.join(UNIT_CONVERSIONS)} or {{scale, offset}}"
                )
        return v

    @field_validator("id_format")
    @classmethod
    def _id_format(cls, v: str | None) -> str | None:
        if v is not None and v.count("{}") != 1:
            raise ValueError("a pattern with one '{}' where the id goes, e.g. '{}:temp'")
        return v

    @model_validator(mode="after")
    def _fields_known_and_complete(self) -> SourceMap:
        required = RECORD_FIELDS[self.record][0]
        missing = [f for f in required if f not in self.fields and f not in self.static]
        if self.aggregate and "value" in missing:
            missing.remove("value")
        if missing:
            raise ValueError(
                f"a {self.record} needs {', '.join(missing)}:"
                " give each a path under fields or a constant under static"
            )
        if self.aggregate and self.record != "metric":
            raise ValueError("aggregate is for record = 'metric' only")
        if self.aggregate == "percent_at_most" and self.at_most is None:
            raise ValueError(
                "aggregate = 'percent_at_most' needs at_most (e.g. 300 for 'at most 5 min late')"
            )
        return self


class SourceConfig(_Model):
    """One city stream and the bridge process that turns it into our feed."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]
    kind: SourceKind
    url: str | list[str] = Field(
        description="mqtt://host:1883 (mqtts:// for TLS), nats://host:4222 (tls://), http(s)://… for GTFS-RT"
    )
    publish: str | None = Field(
        default=None,
        description="the bridge's ZeroMQ PUB endpoint; the app subscribes to it (not used, and not"
        ' needed, with [feed] transport = "nats")',
    )
    snapshot: str | None = Field(
        default=None,
        description="ZeroMQ feed: the bridge's snapshot server (ROUTER), so an app started later gets"
        " every vehicle, sensor and incident the bridge last published at once",
    )
    topics: list[str] = Field(
        default_factory=list, description="what to subscribe to; default: every map's match"
    )
    username: str | None = None
    password: str | None = None
    credentials_file: Path | None = Field(
        default=None, description="MQTT: 'user:password' on one line; NATS: a .creds file (nkey + JWT)"
    )
    tls: Tls | None = None
    client_id: str | None = None
    qos: Literal[0, 1, 2] = 0
    mqtt_version: Literal["3.1.1", "5"] = "3.1.1"
    durable: str | None = Field(
        default=None,
        description="NATS: a JetStream durable consumer; MQTT: a persistent session (client id), qos ≥ 1",
    )
    stream: str | None = Field(default=None, description="NATS: the JetStream stream (with durable)")
    poll_s: Annotated[float, Field(gt=0)] = 15.0
    stale_after_s: Annotated[float, Field(gt=0)] = 120.0
    heartbeat_s: Annotated[float, Field(gt=0, le=60)] = 1.0
    reconnect_max_s: Annotated[float, Field(gt=0, le=600)] = 30.0
    sample: Path | None = Field(
        default=None, description="a recorded message file doctor checks the maps against"
    )
    map: list[SourceMap] = Field(min_length=1)

    @property
    def urls(self) -> list[str]:
        return [self.url] if isinstance(self.url, str) else list(self.url)

    @field_validator("publish", "snapshot")
    @classmethod
    def _publish(cls, v: str | None) -> str | None:
        if v is not None and not _PUB_ENDPOINT_RE.match(v):
            raise ValueError("a ZeroMQ endpoint such as 'tcp://127.0.0.1:7740'")
        return v

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | list[str], info: ValidationInfo) -> str | list[str]:
        kind = info.data.get("kind")
        if kind not in _SCHEMES:
            return v
        urls = [v] if isinstance(v, str) else v
        schemes = _SCHEMES[kind]
        for u in urls:
            scheme = u.split("://", 1)[0].lower() if "://" in u else ""
            if scheme not in schemes:
                raise ValueError(f"{u!r}: a {kind} URL starts with {' or '.join(s + '://' for s in schemes)}")
        if kind != "gtfs-rt" and len(urls) != 1:
            raise ValueError(f"a {kind} source has one url (the broker)")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> SourceConfig:
        if self.kind == "gtfs-rt":
            for i, m in enumerate(self.map):
                if m.match not in _GTFS_PARTS:
                    raise ValueError(
                        f"map[{i}].match {m.match!r}: for gtfs-rt one of {', '.join(_GTFS_PARTS)}"
                    )
        if self.password is not None and self.credentials_file is not None:
            raise ValueError("password or credentials_file, not both")
        if self.kind == "mqtt" and self.durable is not None and self.qos == 0:
            raise ValueError("durable keeps QoS 1/2 messages while the bridge is away: give qos = 1 or 2")
        if self.stream is not None and self.durable is None:
            raise ValueError("stream is for a JetStream durable consumer: give durable too")
        return self

    def subscriptions(self) -> list[str]:
        """Topic filters / subjects to subscribe to: ``topics``, else each map's ``match`` once."""
        if self.topics:
            return list(self.topics)
        return list(dict.fromkeys(m.match for m in self.map))
