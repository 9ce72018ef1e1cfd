"""Wall layout files (``layouts/*.toml``): the physical monitors, how they map to OS screens, the
regions on them and named presets saying which panel each region shows.

An installer writes one file per physical set-up (video wall, operator desk, leader's laptop) and
ships it with the site, so the format is plain TOML, versioned, and validated with every problem
reported at once (file, key, what was found, what was expected). This module is the model only;
reading and validating a file is :mod:`controlroom.layouts.files`, the cross-field checks
:mod:`controlroom.layouts.checks`, the geometry :mod:`controlroom.layouts.geometry`. Qt-free.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = 1

# The one list of panel ids a layout may name, with the title installers see in previews.
PANEL_IDS: dict[str, str] = {
    "map3d": "3D city map",
    "object_info": "Selection details",
    "kpi": "City vital signs",
    "video_grid": "Camera video grid",
    "incidents": "Incidents and dispatch",
    "alarms": "Alarm list",
    "feed_status": "Feed status",
    "briefing": "Leader's summary",
    "status": "Clock, site title, connection",
    "flood": "Flood what-if",
}

MAX_GRID = 12  # regions per monitor side; more is unreadable on a wall
PRESET_KEY_PATTERN = r"^F([1-9]|1[0-9]|2[0-4])$"

Size = tuple[Annotated[float, Field(gt=0)], Annotated[float, Field(gt=0)]]
PixelSize = tuple[Annotated[int, Field(gt=0, le=32768)], Annotated[int, Field(gt=0, le=32768)]]
GridShape = tuple[Annotated[int, Field(ge=1, le=MAX_GRID)], Annotated[int, Field(ge=1, le=MAX_GRID)]]
Cell = tuple[Annotated[int, Field(ge=0)], Annotated[int, Field(ge=0)]]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScreenMatch(_Model):
    """How a physical monitor is found among the screens the OS reports: exactly one rule."""

    name: Annotated[str, Field(min_length=1)] | None = Field(
        default=None, description="the OS screen name, e.g. 'DP-1' or 'HDMI-A-2' (xrandr --listmonitors)"
    )
    order: Annotated[int, Field(ge=0)] | None = Field(
        default=None, description="0-based index with screens sorted top-to-bottom, then left-to-right"
    )
    geometry: tuple[int, int, Annotated[int, Field(gt=0)], Annotated[int, Field(gt=0)]] | None = Field(
        default=None, description="x, y, width, height of the screen on the virtual desktop (pixels)"
    )
    primary: Literal[True] | None = Field(default=None, description="the OS's primary screen")

    @model_validator(mode="after")
    def _exactly_one(self) -> ScreenMatch:
        given = [k for k in ("name", "order", "geometry", "primary") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "exactly one of name, order, geometry or primary"
                + (f" (found {', '.join(given)})" if given else " (found none)")
            )
        return self

    def describe(self) -> str:
        if self.name is not None:
            return f"name '{self.name}'"
        if self.order is not None:
            return f"screen #{self.order} (top-to-bottom, left-to-right)"
        if self.geometry is not None:
            x, y, w, h = self.geometry
            return f"geometry {w}x{h}+{x}+{y}"
        return "the primary screen"


class WallSpec(_Model):
    """The wall as a whole: an optional rows × columns monitor grid and defaults for every monitor."""

    rows: Annotated[int, Field(ge=1, le=16)] | None = None
    columns: Annotated[int, Field(ge=1, le=16)] | None = None
    resolution: PixelSize = (1920, 1080)
    size_mm: Size | None = Field(default=None, description="active (visible) area; default 0.25 mm per pixel")
    bezel_mm: (
        Annotated[float, Field(ge=0, le=200)]
        | tuple[Annotated[float, Field(ge=0, le=200)], Annotated[float, Field(ge=0, le=200)]]
    ) = 0.0
    viewing_distance_m: Annotated[float, Field(gt=0, le=50)] | None = None

    @model_validator(mode="after")
    def _rows_and_columns(self) -> WallSpec:
        if (self.rows is None) != (self.columns is None):
            raise ValueError("both rows and columns (a monitor grid), or neither (monitors give position_mm)")
        return self


class MonitorSpec(_Model):
    """One physical monitor: where it hangs, how the OS screen is found, and its region grid."""

    label: str | None = None
    position: Cell | None = Field(default=None, description="row, column in the wall grid")
    position_mm: tuple[float, float] | None = Field(
        default=None, description="x, y of the monitor's outer top-left corner on the wall, in mm"
    )
    screen: ScreenMatch | None = None
    resolution: PixelSize | None = None
    size_mm: Size | None = None
    bezel_mm: (
        Annotated[float, Field(ge=0, le=200)]
        | tuple[Annotated[float, Field(ge=0, le=200)], Annotated[float, Field(ge=0, le=200)]]
        | None
    ) = None
    grid: GridShape = (1, 1)


class RegionSpec(_Model):
    """A slot for one panel: cells of one monitor's grid, or several whole monitors (a span)."""

    title: str | None = None
    monitor: str | None = None
    cell: Cell = (0, 0)
    span: tuple[Annotated[int, Field(ge=1, le=MAX_GRID)], Annotated[int, Field(ge=1, le=MAX_GRID)]] = (1, 1)
    monitors: list[str] | None = Field(default=None, description="whole monitors this region spans")

    @model_validator(mode="after")
    def _one_kind(self) -> RegionSpec:
        if (self.monitor is None) == (self.monitors is None):
            raise ValueError(
                "either monitor = 'ID' (with cell/span) or monitors = ['ID', ...] (spanning monitors)"
            )
        if self.monitors is not None and len(self.monitors) == 0:
            raise ValueError("monitors = ['ID', ...] with at least one monitor id")
        return self

    @property
    def is_span(self) -> bool:
        return self.monitors is not None

    @property
    def monitor_ids(self) -> list[str]:
        return list(self.monitors) if self.monitors is not None else [str(self.monitor)]


class PresetSpec(_Model):
    """A named set of region → panel assignments; regions not named keep the default preset's panel."""

    title: str | None = None
    key: Annotated[str, Field(pattern=PRESET_KEY_PATTERN)] | None = Field(
        default=None, description="an extra function-key shortcut, F1..F24 (Ctrl+1..9 follow file order)"
    )
    panels: dict[str, str] = Field(default_factory=dict)


class LayoutSpec(_Model):
    """A validated layout file. Build with :func:`load_layout` / :func:`parse_layout`."""

    schema_version: Literal[1] = Field(alias="schema")
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
    title: str
    description: str = ""
    wall: WallSpec = Field(default_factory=WallSpec)
    monitors: dict[str, MonitorSpec] = Field(min_length=1)
    regions: dict[str, RegionSpec] = Field(min_length=1)
    presets: dict[str, PresetSpec] = Field(min_length=1)
    default_preset: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    path: Path = Field(default=Path("layout.toml"), exclude=True)
    digest: str = Field(default="", exclude=True, description="sha256 of the file text")

    @field_validator("monitors", "regions", "presets")
    @classmethod
    def _ids(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key in v:
            if not key.replace("_", "").replace("-", "").isalnum():
                raise ValueError(f"ids made of letters, digits, '-' and '_' (found '{key}')")
        return v

    # ---------------------------------------------------------------- derived views
    @property
    def is_grid(self) -> bool:
        return self.wall.rows is not None

    @property
    def preset_names(self) -> list[str]:
        return list(self.presets)

    @property
    def default_preset_name(self) -> str:
        return self.default_preset or next(iter(self.presets))

    def preset_title(self, preset: str) -> str:
        return self.presets[preset].title or preset

    def panels_for(self, preset: str | None = None) -> dict[str, str]:
        """Region id → panel id for a preset, inheriting unnamed regions from the default preset."""
        name = preset or self.default_preset_name
        if name not in self.presets:
            raise KeyError(f"no preset '{name}' in layout '{self.name}' (presets: {', '.join(self.presets)})")
        merged = dict(self.presets[self.default_preset_name].panels)
        merged.update(self.presets[name].panels)
        return {region: merged[region] for region in self.regions if region in merged}

    def monitor_resolution(self, monitor: str) -> tuple[int, int]:
        return self.monitors[monitor].resolution or self.wall.resolution

    def monitor_size_mm(self, monitor: str) -> tuple[float, float]:
        m = self.monitors[monitor]
        size = m.size_mm or self.wall.size_mm
        if size is not None:
            return size
        w, h = self.monitor_resolution(monitor)
        return (w * 0.25, h * 0.25)

    def monitor_bezel_mm(self, monitor: str) -> tuple[float, float]:
        """Frame width per edge: (left/right, top/bottom). Two adjacent monitors leave twice that gap."""
        b = self.monitors[monitor].bezel_mm
        value = self.wall.bezel_mm if b is None else b
        return (float(value), float(value)) if isinstance(value, int | float) else (value[0], value[1])
