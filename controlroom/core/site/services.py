"""The site file's service sections: feed transport, dispatch desk, wall control and history recorder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from controlroom.core.local_text import LocalText
from controlroom.core.site.fields import _ENDPOINT_RE, _Model


class NatsFeedConfig(_Model):
    """``[feed.nats]``: the NATS server and JetStream stream used when ``[feed] transport = "nats"``.

    Publishers send each frame to ``<subject>.live.<source>.<kind>`` and the last record per id to
    ``<subject>.last.<source>.<kind>.<id>`` in ``stream`` (one message kept per subject, for
    ``keep_s`` seconds): that stream is the late joiners' snapshot (docs/deployment.md).
    """

    url: Annotated[str, Field(pattern=r"^(nats|tls)://")] = "nats://127.0.0.1:4222"
    subject: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")] = "controlroom.feed"
    stream: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")] = "CONTROLROOM_FEED"
    keep_s: Annotated[float, Field(gt=0)] = 600.0
    credentials_file: Path | None = Field(
        default=None, description="a .creds file (user JWT + nkey seed) or a bare nkey seed file"
    )
    ca_file: Path | None = None


class MqttFeedConfig(_Model):
    """``[feed.mqtt]``: the MQTT broker used when ``[feed] transport = "mqtt"`` (docs/deployment.md).

    Frames go to ``<topic>/live/<source>/<kind>``; each record's last value is a *retained* message
    on ``<topic>/last/<source>/<kind>/<id>``, which the broker hands a late joiner.
    """

    url: Annotated[str, Field(pattern=r"^mqtts?://")] = "mqtt://127.0.0.1:1883"
    topic: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")] = "controlroom/feed"
    credentials_file: Path | None = Field(default=None, description="one line 'user:password'")
    ca_file: Path | None = None


class FeedConfig(_Model):
    """Where the live feed is and how it is secured (CURVE keys from ``controlroom keys new``).

    Clients (the app) use ``client_secret_key`` + ``server_public_key``; the publisher (feed
    server, simulator) uses ``server_secret_key`` + ``authorized_keys`` (a folder of client
    ``*.key`` files). Without keys, only loopback/ipc endpoints are allowed unless ``insecure``.
    """

    endpoint: str = "tcp://127.0.0.1:7710"
    snapshot_endpoint: str = "tcp://127.0.0.1:7711"
    server_public_key: Path | None = None
    client_secret_key: Path | None = None
    server_secret_key: Path | None = None
    authorized_keys: Path | None = None
    insecure: bool = False
    max_frame_bytes: Annotated[int, Field(gt=0, le=256 * 1024 * 1024)] = 4 * 1024 * 1024
    extent_margin_m: Annotated[float, Field(ge=0)] = 2000.0
    entity_timeouts_s: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)
    #: "zmq": our own PUB sockets + snapshot servers (one machine); "nats": a NATS JetStream server;
    #: "mqtt": an MQTT broker (retained messages for late joiners).
    transport: Literal["zmq", "nats", "mqtt"] = "zmq"
    nats: NatsFeedConfig = Field(default_factory=NatsFeedConfig)
    mqtt: MqttFeedConfig = Field(default_factory=MqttFeedConfig)

    @field_validator("endpoint", "snapshot_endpoint")
    @classmethod
    def _endpoint(cls, v: str) -> str:
        if not _ENDPOINT_RE.match(v):
            raise ValueError("a ZeroMQ endpoint such as 'tcp://127.0.0.1:7710' or 'ipc:///run/feed'")
        return v


class DispatchUser(_Model):
    """A person who may use the dispatch desk: operator (dispatch), supervisor (also override and
    close), leader (view only). ``public_key`` is their desk's CURVE key (``controlroom keys new``)."""

    name: Annotated[str, Field(min_length=1, max_length=64)]
    role: Literal["operator", "supervisor", "leader"]
    public_key: Path | None = None
    #: The person's name as briefs and logs should print it (``name`` is the account).
    display_name: LocalText | None = None


class Department(_Model):
    """Who is responsible for some incident types, and which unit kinds they send."""

    name: Annotated[str, Field(min_length=1)]
    incident_types: list[str] = Field(default_factory=list)
    unit_kinds: list[str] = Field(default_factory=list)


class DispatchConfig(_Model):
    """The dispatch gateway (ROUTER for orders, PUB + snapshot for its incident records), its
    users and roles, and the per-type department table. See docs/site.md "Dispatch"."""

    endpoint: str = "tcp://127.0.0.1:7720"
    publish_endpoint: str = "tcp://127.0.0.1:7721"
    snapshot_endpoint: str = "tcp://127.0.0.1:7722"
    server_public_key: Path | None = None
    client_secret_key: Path | None = None
    server_secret_key: Path | None = None
    insecure: bool = False
    db: str | None = Field(
        default=None, description="sqlite path or postgresql:// URL; default: a file in the state folder"
    )
    user: str | None = Field(default=None, description="this desk's user when not using CURVE keys")
    desk: str | None = Field(default=None, description="this desk's name in the audit trail (hostname)")
    import_feed_incidents: bool = True
    users: list[DispatchUser] = Field(default_factory=list)
    departments: list[Department] = Field(default_factory=list)
    default_department: str = "City Management"

    @field_validator("endpoint", "publish_endpoint", "snapshot_endpoint")
    @classmethod
    def _endpoint(cls, v: str) -> str:
        if not _ENDPOINT_RE.match(v):
            raise ValueError("a ZeroMQ endpoint such as 'tcp://127.0.0.1:7720'")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> DispatchConfig:
        from controlroom.core.protocol import ENTITY_KINDS, INCIDENT_TYPES

        names = [u.name for u in self.users]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"dispatch.users: each name once; repeated: {', '.join(dupes)}")
        if self.user is not None and self.users and self.user not in names:
            known = ", ".join(names)
            raise ValueError(f"dispatch.user '{self.user}' must be one of dispatch.users ({known})")
        seen: dict[str, str] = {}
        for d in self.departments:
            for t in d.incident_types:
                if t not in INCIDENT_TYPES:
                    raise ValueError(
                        f"department '{d.name}': incident type '{t}'; expected one of {INCIDENT_TYPES}"
                    )
                if t in seen:
                    raise ValueError(
                        f"incident type '{t}' is in departments '{seen[t]}' and '{d.name}'; one only"
                    )
                seen[t] = d.name
            for k in d.unit_kinds:
                if k not in ENTITY_KINDS:
                    raise ValueError(
                        f"department '{d.name}': unit kind '{k}'; expected one of {ENTITY_KINDS}"
                    )
        return self

    def department_for(self, incident_type: str) -> Department | None:
        for d in self.departments:
            if incident_type in d.incident_types:
                return d
        return None

    def user_named(self, name: str) -> DispatchUser | None:
        return next((u for u in self.users if u.name == name), None)


class WallTarget(_Model):
    """Another running instance (a wall) this desk can push its view, a camera or an incident to."""

    name: str
    endpoint: str
    server_public_key: Path | None = None
    regions: list[str] = Field(default_factory=lambda: ["map"], min_length=1)

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, v: str) -> str:
        if not _ENDPOINT_RE.match(v):
            raise ValueError("a ZeroMQ endpoint such as 'tcp://10.0.0.5:7730'")
        return v


class WallConfig(_Model):
    """Push-to-wall: where this instance listens when it runs a layout, and the walls it pushes to.

    Secured like the feed: a wall with ``server_secret_key`` + ``authorized_keys`` accepts only
    desks whose public key is in that folder; a desk uses ``client_secret_key`` and the target's
    ``server_public_key``. Plain text only on loopback unless ``insecure``.
    """

    name: str = "wall"
    control_endpoint: str | None = None
    server_secret_key: Path | None = None
    authorized_keys: Path | None = None
    client_secret_key: Path | None = None
    insecure: bool = False
    targets: list[WallTarget] = Field(default_factory=list)

    @field_validator("control_endpoint")
    @classmethod
    def _endpoint(cls, v: str | None) -> str | None:
        if v is not None and not _ENDPOINT_RE.match(v):
            raise ValueError("a ZeroMQ endpoint such as 'tcp://0.0.0.0:7730'")
        return v


class HistoryConfig(_Model):
    """The history recorder (``controlroom history record``): where it writes, how long it keeps,
    how often it writes a full-state keyframe, and where it answers the room's questions."""

    dir: Path | None = Field(default=None, description="default: the state folder's <site>/history")
    keep_days: Annotated[float, Field(gt=0)] = 30.0
    max_gb: Annotated[float, Field(gt=0)] = 50.0
    keyframe_s: Annotated[float, Field(ge=1, le=600)] = 5.0
    flush_s: Annotated[float, Field(ge=0.2, le=60)] = 2.0
    endpoint: str = "tcp://127.0.0.1:7730"
    min_free_gb: Annotated[float, Field(ge=0)] = 1.0

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, v: str) -> str:
        if not _ENDPOINT_RE.match(v):
            raise ValueError("a ZeroMQ endpoint such as 'tcp://127.0.0.1:7730'")
        return v
