"""The validated site: every section together, with the checks that span sections."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from controlroom.core.local_text import LocalText, pick
from controlroom.core.site.data import (
    BoundarySource,
    CameraSource,
    CityConfig,
    CityModelSource,
    FloodConfig,
    SiteInfo,
    TerrainSource,
    VectorSource,
)
from controlroom.core.site.fields import AdminLevel, _Model
from controlroom.core.site.presentation import AlarmsConfig, Branding, LayoutsConfig, MetricSpec, View
from controlroom.core.site.services import DispatchConfig, FeedConfig, HistoryConfig, WallConfig
from controlroom.core.source_config import SourceConfig
from controlroom.core.video_playback import VideoPlaybackSource


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
