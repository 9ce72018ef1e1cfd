"""The site file's presentation sections: layouts, branding, alarms, metrics and named views."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from controlroom.core.local_text import LocalText, pick
from controlroom.core.site.fields import _COLOUR_RE, _Model


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
