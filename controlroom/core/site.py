"""The site file (``site.toml``): one city's model, boundaries, registries, endpoints and branding.

An installer writes one per site and ships it with the build, so validation must report every
problem at once, each naming the file, the key, what was found and what was expected. Relative
paths resolve against the site file's folder. This module is Qt-free and does no I/O beyond
reading the TOML; checking that the referenced files exist and parse is ``doctor``'s job.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from controlroom.core.issues import Issue, SiteError
from controlroom.core.local_text import LocalText, pick
from controlroom.core.source_config import SourceConfig
from controlroom.core.video_playback import VideoPlaybackSource

SCHEMA_VERSION = 1

AdminLevel = Literal["city", "district", "street", "grid"]
ADMIN_LEVELS: tuple[AdminLevel, ...] = ("city", "district", "street", "grid")

CityFormat = Literal["cityjson", "geojson", "gpkg", "shapefile", "geoparquet", "3dtiles"]
VectorFormat = Literal["geojson", "gpkg", "shapefile", "geoparquet", "csv"]

_EXTENSION_FORMATS: dict[str, str] = {
    ".json": "geojson",
    ".geojson": "geojson",
    ".gpkg": "gpkg",
    ".shp": "shapefile",
    ".parquet": "geoparquet",
    ".geoparquet": "geoparquet",
    ".csv": "csv",
}

_CRS_RE = re.compile(r"^(EPSG:\d{4,6}|gcj02|bd09|wgs84)$", re.IGNORECASE)
_ENDPOINT_RE = re.compile(r"^(tcp://[^:/\s]+:\d{1,5}|ipc://\S+|inproc://\S+)$")
_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


def normalise_crs(value: str) -> str:
    """Canonical spelling: ``EPSG:4326`` (upper), ``gcj02`` / ``bd09`` (lower); ``wgs84`` → EPSG:4326."""
    v = value.strip()
    low = v.lower()
    if low in ("gcj02", "gcj-02"):
        return "gcj02"
    if low in ("bd09", "bd-09"):
        return "bd09"
    if low in ("wgs84", "wgs-84"):
        return "EPSG:4326"
    return v.upper()


def _crs_field(value: Any) -> str:
    if not isinstance(value, str) or not _CRS_RE.match(normalise_crs(value)):
        raise ValueError("a CRS: 'EPSG:<code>' (e.g. 'EPSG:4326', 'EPSG:32649'), 'gcj02' or 'bd09'")
    return normalise_crs(value)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteInfo(_Model):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
    title: str
    language: Literal["en", "zh_CN"] = "en"
    crs: str = Field(description="the site's metric CRS (projected, metres)")
    origin: tuple[float, float] | None = Field(
        default=None, description="lon, lat (WGS 84) of the local frame's origin; default: model centre"
    )
    storey_height_m: Annotated[float, Field(gt=0, le=20)] = 3.2
    default_height_m: Annotated[float, Field(gt=0, le=1000)] = 10.0
    timezone: str = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("an IANA time zone such as 'Asia/Shanghai' or 'Europe/Amsterdam'") from None
        return v

    _crs = field_validator("crs", mode="before")(classmethod(lambda cls, v: _crs_field(v)))

    @field_validator("crs")
    @classmethod
    def _metric(cls, v: str) -> str:
        if v in ("EPSG:4326", "gcj02", "bd09", "EPSG:4490"):
            raise ValueError("a projected metric CRS such as 'EPSG:32649' (UTM 49N), not a lon/lat frame")
        return v


class CityModelSource(_Model):
    path: Path
    format: CityFormat | None = None
    crs: str | None = Field(default=None, description="required unless the file declares one (CityJSON)")
    height_attribute: str | None = None
    floors_attribute: str | None = None
    id_attribute: str | None = None
    name_attribute: str | None = None
    lod: str | None = Field(default=None, description="CityJSON LoD to use; default the highest available")
    licence: str | None = None
    internal_only: bool = False

    _crs = field_validator("crs", mode="before")(
        classmethod(lambda cls, v: v if v is None else _crs_field(v))
    )

    @property
    def resolved_format(self) -> str:
        if self.format:
            return self.format
        name = self.path.name.lower()
        if name.endswith((".city.json", ".cityjson", ".city.jsonl")):
            return "cityjson"
        if name == "tileset.json":
            return "3dtiles"
        return _EXTENSION_FORMATS.get(self.path.suffix.lower(), "geojson")


class CityConfig(_Model):
    """How the city model is drawn: whole (default) or streamed as tiles under a memory cap."""

    tiles: bool = Field(
        default=False, description="build the city model into 3D Tiles and stream them (for 100k+ buildings)"
    )
    memory_mb: int = Field(default=600, gt=0, description="byte budget for tile content on the map")


class VectorSource(_Model):
    """A GIS layer: roads, water, points of interest, camera and unit registries."""

    path: Path
    crs: str
    format: VectorFormat | None = None
    name_attribute: str | None = "name"
    licence: str | None = None
    internal_only: bool = False

    _crs = field_validator("crs", mode="before")(classmethod(lambda cls, v: _crs_field(v)))

    @property
    def resolved_format(self) -> str:
        return self.format or _EXTENSION_FORMATS.get(self.path.suffix.lower(), "geojson")


class CameraSource(VectorSource):
    """The camera registry: which columns hold the id, stream URLs, PTZ, heading/FOV, district, grid, tags.

    A column named here but absent from the file leaves that field empty (the id is required).
    ``nearest_n`` is how many cameras "cameras around" opens for an incident.
    """

    id_attribute: str = "id"
    main_url_attribute: str = "main_url"
    sub_url_attribute: str = "sub_url"
    ptz_attribute: str = "ptz"
    heading_attribute: str = "heading_deg"
    fov_attribute: str = "fov_deg"
    district_attribute: str = "district"
    grid_attribute: str = "grid"
    tags_attribute: str = "tags"
    nearest_n: Annotated[int, Field(ge=1, le=16)] = 4


class BoundarySource(VectorSource):
    level: AdminLevel
    code_attribute: str | None = "code"
    parent_code_attribute: str | None = None


TerrainFormat = Literal["geotiff", "ascii", "cityjson"]


class TerrainSource(_Model):
    """Ground heights for the flood what-if: a raster DEM (GeoTIFF, ESRI ASCII grid) read with its
    own CRS, or a CityJSON file's ``TINRelief``. ``crs`` is only for a DEM that declares none;
    ``cell_m`` is the grid the what-if works on (default: the DEM's resolution, 1 m for a TIN).
    Heights are in the same vertical datum as the river gauges' readings."""

    path: Path
    format: TerrainFormat | None = None
    crs: str | None = None
    cell_m: Annotated[float, Field(gt=0, le=1000)] | None = None
    licence: str | None = None
    internal_only: bool = False

    _crs = field_validator("crs", mode="before")(
        classmethod(lambda cls, v: v if v is None else _crs_field(v))
    )

    @property
    def resolved_format(self) -> str:
        if self.format:
            return self.format
        name = self.path.name.lower()
        if name.endswith((".city.json", ".cityjson", ".json")):
            return "cityjson"
        if name.endswith((".asc", ".grd")):
            return "ascii"
        return "geotiff"


class FloodConfig(_Model):
    """Thresholds of the flood what-if (see docs/site.md "Terrain and flood what-if").

    A building is *wet* when water at its footprint is at least ``wet_depth_m`` deep (water at the
    door, ground floor wet) and *flooded* from ``flooded_depth_m`` (ground floor under water:
    evacuate); a road is *cut* where water on it is deeper than ``road_cut_depth_m`` (cars stall).
    POIs whose ``underground_attribute`` or category matches ``underground_tags`` (garages, metro
    entrances, underpasses) are affected as soon as water reaches them. ``population_attribute``
    names the building column with residents, for evacuation totals. ``flat_ground_m`` is the
    ground height assumed by the flat-ground approximation a site without ``[terrain]`` can use.
    """

    wet_depth_m: Annotated[float, Field(ge=0)] = 0.05
    flooded_depth_m: Annotated[float, Field(gt=0)] = 0.5
    road_cut_depth_m: Annotated[float, Field(ge=0)] = 0.3
    flat_ground_m: float = 0.0
    population_attribute: str | None = "population"
    underground_attribute: str = "category"
    underground_tags: list[str] = Field(
        default_factory=lambda: [
            "metro_station",
            "metro_entrance",
            "subway_entrance",
            "underground_garage",
            "parking_underground",
            "underpass",
        ]
    )

    @model_validator(mode="after")
    def _ordered(self) -> FloodConfig:
        if self.flooded_depth_m <= self.wet_depth_m:
            raise ValueError(
                f"flood.flooded_depth_m ({self.flooded_depth_m}) must be greater than "
                f"flood.wet_depth_m ({self.wet_depth_m})"
            )
        return self


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


class LayoutsConfig(_Model):
    names: list[str] = Field(default_factory=lambda: ["single"])
    default: str = "single"

    @model_validator(mode="after")
    def _default_listed(self) -> LayoutsConfig:
        if self.default not in self.names:
            raise ValueError(f"layouts.default '{self.default}' must be one of layouts.names {self.names}")
        return self


class Branding(_Model):
    title: LocalText | None = None
    logo: Path | None = None
    icon: Path | None = None
    accent_colour: str = "#2ea8ff"

    @field_validator("accent_colour")
    @classmethod
    def _colour(cls, v: str) -> str:
        if not _COLOUR_RE.match(v):
            raise ValueError("a colour like '#2ea8ff'")
        return v


class AlarmsConfig(_Model):
    """Alarms: the rules file, sound, escalation timeouts per priority, presets per category.

    ``rules`` is relative to the site folder (see ``core.alarms.rules``). An alarm nobody
    acknowledges within its priority's ``escalation_s`` goes one step up the priority ladder and
    to the next name in ``escalation_chain``. ``presets`` maps an alarm category to the layout
    preset (F-key name) the wall switches to while such an alarm is open.
    """

    rules: Path | None = None
    sound: bool = True
    escalation_s: dict[Literal["critical", "high", "medium", "low"], Annotated[float, Field(gt=0)]] = Field(
        default_factory=lambda: {"critical": 60.0, "high": 180.0, "medium": 600.0, "low": 1800.0}  # type: ignore[arg-type]
    )
    escalation_chain: list[str] = Field(default_factory=lambda: ["operator", "duty officer", "shift leader"])
    presets: dict[str, str] = Field(default_factory=dict)
    audit_db: Path | None = Field(default=None, description="SQLite audit trail; default: user data dir")


class MetricSpec(_Model):
    """How the vital-signs panel shows one feed metric: title, unit, thresholds, decimals.

    ``direction = "above"`` means higher is worse (AQI, congestion); ``"below"`` lower is worse
    (e.g. reserve margin). ``warn`` and ``alarm`` are optional; when both are set, ``alarm`` must
    be at least as bad as ``warn``.
    """

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]+$", max_length=64)]
    title: LocalText | None = None
    unit: str | None = None
    warn: float | None = None
    alarm: float | None = None
    direction: Literal["above", "below"] = "above"
    decimals: Annotated[int, Field(ge=0, le=6)] = 1

    @model_validator(mode="after")
    def _alarm_worse_than_warn(self) -> MetricSpec:
        if self.warn is not None and self.alarm is not None:
            bad = self.alarm < self.warn if self.direction == "above" else self.alarm > self.warn
            if bad:
                worse = "≥" if self.direction == "above" else "≤"
                raise ValueError(
                    f"metric '{self.name}': alarm {self.alarm} must be {worse} warn {self.warn}"
                    f" (direction '{self.direction}')"
                )
        return self

    def level(self, value: float) -> Literal["ok", "warn", "alarm"]:
        """Which threshold a value has crossed."""

        def over(limit: float | None) -> bool:
            if limit is None:
                return False
            return value >= limit if self.direction == "above" else value <= limit

        return "alarm" if over(self.alarm) else "warn" if over(self.warn) else "ok"

    def title_in(self, language: str) -> str:
        """The title in ``language`` (per-language names fall back to English); "" when unset."""
        return pick(self.title, language)


class View(_Model):
    """A named camera (bookmark): look at a lon/lat from a distance, azimuth and elevation.

    ``azimuth_deg`` is the compass heading the camera faces (0 = looking north, 90 = east);
    ``elevation_deg`` is how far it looks down from the horizon (90 = straight down).
    """

    name: str
    #: What the views list shows (``name`` stays the id): ``{en = "CBD", zh_CN = "中央商务区"}``.
    title: LocalText | None = None
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    distance_m: Annotated[float, Field(gt=0)] = 3000.0
    azimuth_deg: float = 0.0
    elevation_deg: Annotated[float, Field(ge=5, le=90)] = 45.0
    color_by: str | None = None
    layers: dict[str, bool] = Field(
        default_factory=dict, description="layer key → shown (e.g. 'boundary:grid' = false); others unchanged"
    )

    def title_in(self, language: str) -> str:
        """The view's title in ``language``, else its name."""
        return pick(self.title, language, self.name)


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


class Site(_Model):
    """A validated site file. Paths are absolute (resolved against the site file's folder)."""

    schema_version: Literal[1] = Field(alias="schema")
    site: SiteInfo
    city_model: list[CityModelSource] = Field(min_length=1)
    boundaries: list[BoundarySource] = Field(default_factory=list)
    roads: list[VectorSource] = Field(default_factory=list)
    water: list[VectorSource] = Field(default_factory=list)
    poi: list[VectorSource] = Field(default_factory=list)
    cameras: CameraSource | None = None
    units: VectorSource | None = None
    terrain: TerrainSource | None = None
    flood: FloodConfig = Field(default_factory=FloodConfig)
    feed: FeedConfig = Field(default_factory=FeedConfig)
    dispatch: DispatchConfig = Field(default_factory=DispatchConfig)
    layouts: LayoutsConfig = Field(default_factory=LayoutsConfig)
    wall: WallConfig = Field(default_factory=WallConfig)
    branding: Branding = Field(default_factory=Branding)
    views: list[View] = Field(default_factory=list)
    metrics: list[MetricSpec] = Field(default_factory=list)
    alarms: AlarmsConfig = Field(default_factory=AlarmsConfig)
    sources: list[SourceConfig] = Field(default_factory=list)
    city: CityConfig = Field(default_factory=CityConfig)
    history: HistoryConfig | None = None
    video_playback: list[VideoPlaybackSource] = Field(default_factory=list)
    #: Per-language names of places as the data spell them (districts, POIs, roads):
    #: ``[names] "珠北区" = {en = "Zhubei District", zh_CN = "珠北区"}``.
    names: dict[str, LocalText] = Field(default_factory=dict)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def streams_tiles(self) -> bool:
        """Whether the map streams the city as tiles (asked for, or a 3D Tiles source)."""
        return self.city.tiles or any(s.resolved_format == "3dtiles" for s in self.city_model)

    path: Path = Field(default=Path("site.toml"), exclude=True)

    @model_validator(mode="after")
    def _sources_distinct(self) -> Site:
        if self.feed.transport == "zmq":
            missing = [s.name for s in self.sources if s.publish is None]
            if missing:
                raise ValueError(
                    f"sources {', '.join(repr(m) for m in missing)}: publish is required with the ZeroMQ"
                    " feed (the bridge's PUB endpoint, e.g. 'tcp://127.0.0.1:7740');"
                    ' with [feed] transport = "nats" or "mqtt" bridges publish to the broker instead'
                )
        for what in ("name", "publish", "snapshot"):
            values = [getattr(s, what) for s in self.sources if getattr(s, what) is not None]
            dupes = sorted({v for v in values if values.count(v) > 1})
            if dupes:
                raise ValueError(f"sources: each {what} once; repeated: {', '.join(dupes)}")
        taken = {
            self.feed.endpoint: "[feed] endpoint",
            self.feed.snapshot_endpoint: "[feed] snapshot_endpoint",
            self.dispatch.endpoint: "[dispatch] endpoint",
            self.dispatch.publish_endpoint: "[dispatch] publish_endpoint",
            self.dispatch.snapshot_endpoint: "[dispatch] snapshot_endpoint",
        }
        if self.wall.control_endpoint:
            taken[self.wall.control_endpoint] = "[wall] control_endpoint"
        for s in self.sources:
            if s.publish is not None and s.publish in taken:
                raise ValueError(
                    f"sources '{s.name}': publish {s.publish} is already the {taken[s.publish]}; "
                    "give each bridge its own port (e.g. 7740, 7741 …)"
                )
        return self

    def source(self, name: str) -> SourceConfig:
        for s in self.sources:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.sources) or "none declared"
        raise KeyError(f"no source named '{name}' in {self.path} (sources: {known})")

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def title(self) -> str:
        return self.title_in("en")

    def title_in(self, language: str) -> str:
        """The site's title in ``language``: branding's per-language title, else ``[site] title``."""
        return pick(self.branding.title, language, self.site.title)

    def place_name(self, name: str, language: str) -> str:
        """A place's name (district, POI, road) in ``language`` from ``[names]``, else as given."""
        return pick(self.names.get(name), language, name) if name else name

    def data_sources(self) -> list[tuple[str, CityModelSource | VectorSource]]:
        """Every file the site reads, with its key, for existence and licence checks."""
        out: list[tuple[str, CityModelSource | VectorSource]] = []
        out += [(f"city_model[{i}]", s) for i, s in enumerate(self.city_model)]
        out += [(f"boundaries[{i}]", s) for i, s in enumerate(self.boundaries)]
        out += [(f"roads[{i}]", s) for i, s in enumerate(self.roads)]
        out += [(f"water[{i}]", s) for i, s in enumerate(self.water)]
        out += [(f"poi[{i}]", s) for i, s in enumerate(self.poi)]
        if self.cameras:
            out.append(("cameras", self.cameras))
        if self.units:
            out.append(("units", self.units))
        return out

    def boundaries_at(self, level: AdminLevel) -> list[BoundarySource]:
        return [b for b in self.boundaries if b.level == level]

    def view(self, name: str) -> View:
        for v in self.views:
            if v.name == name:
                return v
        known = ", ".join(v.name for v in self.views) or "none defined"
        raise KeyError(f"no view named '{name}' in {self.path} (views: {known})")


_PATH_KEYS = {
    "path",
    "logo",
    "icon",
    "server_public_key",
    "client_secret_key",
    "server_secret_key",
    "authorized_keys",
    "public_key",
    "dir",
    "sample",
    "credentials_file",
    "ca_file",
    "cert_file",
    "key_file",
}


def _resolve_paths(node: Any, base: Path) -> Any:
    """Make every path-valued key absolute against the site folder (before validation)."""
    if isinstance(node, dict):
        return {
            k: (
                str((base / v).resolve())
                if k in _PATH_KEYS and isinstance(v, str)
                else _resolve_paths(v, base)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_resolve_paths(v, base) for v in node]
    return node


def _key(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _expected(err: Any) -> str:
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    if err["type"] == "extra_forbidden":
        return "no such key (check the spelling; see docs/site.md)"
    if err["type"] == "missing":
        return "this key is required"
    return msg


def issues_from_validation(path: Path, exc: ValidationError) -> list[Issue]:
    issues = []
    for err in exc.errors():
        found = "(missing)" if err["type"] == "missing" else repr(err.get("input"))
        if len(found) > 80:
            found = found[:77] + "..."
        issues.append(Issue(file=str(path), key=_key(err["loc"]), found=found, expected=_expected(err)))
    return issues


def parse_site(text: str, path: Path) -> Site:
    """Validate site TOML text; raise ``SiteError`` listing every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SiteError([Issue(str(path), "(syntax)", str(exc), "valid TOML")]) from None
    version = raw.get("schema")
    if version != SCHEMA_VERSION:
        raise SiteError(
            [
                Issue(
                    str(path),
                    "schema",
                    repr(version),
                    f"schema = {SCHEMA_VERSION} (this app reads version 1)",
                )
            ]
        )
    raw = _resolve_paths(raw, path.parent)
    raw["path"] = str(path)
    try:
        return Site.model_validate(raw)
    except ValidationError as exc:
        raise SiteError(issues_from_validation(path, exc)) from None


def load_site(path: str | Path) -> Site:
    """Read and validate a site file (or a folder holding ``site.toml``)."""
    p = Path(path).expanduser()
    if p.is_dir():
        p = p / "site.toml"
    p = p.resolve()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SiteError(
            [Issue(str(p), "(file)", "no such file", "a site.toml file or a folder holding one")]
        ) from None
    except UnicodeDecodeError as exc:
        raise SiteError([Issue(str(p), "(file)", f"not UTF-8 ({exc.reason})", "UTF-8 TOML text")]) from None
    return parse_site(text, p)
