"""The site's alarm rules (``alarms.toml``): what to watch, when to raise, how loud, what to do.

An installer writes these per site, so the file is validated like the site file: every problem at
once, each naming the file, the key (``rule[3].above``), what was found and what was expected. The
format is documented in docs/site.md (section "Alarm rules"). Qt-free; geometry is resolved by
``controlroom.geo.alarm_zones`` (shapely lives in ``geo``).
"""

from __future__ import annotations

import dataclasses
import re
import string
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from controlroom.core.issues import Issue, SiteError
from controlroom.core.local_text import LocalText, pick
from controlroom.core.protocol import ENTITY_KINDS, INCIDENT_TYPES
from controlroom.core.site import issues_from_validation
from controlroom.core.site.fields import _crs_field

if TYPE_CHECKING:
    from controlroom.core.site import Site

SCHEMA_VERSION = 1
Priority = Literal["critical", "high", "medium", "low"]
#: Most urgent first; the index is the priority's rank (0 = critical).
PRIORITIES: tuple[Priority, ...] = ("critical", "high", "medium", "low")
RuleKind = Literal["threshold", "rate", "geofence", "silence", "incident"]
#: Fields a rule's ``message`` template may use, e.g. ``"{subject} at {value:.2f} {unit}"``.
TEMPLATE_FIELDS = {
    "rule": "r1",
    "title": "Title",
    "subject": "RIVER01",
    "value": 1.0,
    "threshold": 1.0,
    "unit": "m",
    "zone": "zone",
    "eta_min": 1.0,
    "kind": "river_level",
}
_SAMPLE = dict(TEMPLATE_FIELDS)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Zone(_Model):
    """A polygon drawn in the rules file (lon/lat or another CRS), for geofences."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]+$")]
    crs: str = "EPSG:4326"
    polygon: list[tuple[float, float]] = Field(min_length=3)

    _crs = field_validator("crs", mode="before")(classmethod(lambda cls, v: _crs_field(v)))


class Rule(_Model):
    """One alarm rule. Which keys apply depends on ``kind`` (checked below, with precise messages)."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=64)]
    kind: RuleKind
    #: What operators read: one text, or one per language (``{en = "…", zh_CN = "…"}``).
    title: LocalText
    priority: Priority = "medium"
    category: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")] = "general"
    message: LocalText = "{title}: {subject}"
    cameras: list[str] = Field(default_factory=list)
    layer: str | None = None
    procedure: LocalText = ""
    # what is watched (threshold, rate, silence)
    metric: str | None = None
    sensor: str | None = None
    sensor_kind: str | None = None
    feed_source: str | None = None
    # threshold / rate
    above: float | None = None
    below: float | None = None
    hysteresis: Annotated[float, Field(ge=0)] = 0.0
    min_duration_s: Annotated[float, Field(ge=0)] = 0.0
    window_s: Annotated[float, Field(gt=0, le=86400)] = 300.0
    # early warning (threshold only)
    forecast_horizon_s: Annotated[float, Field(gt=0, le=86400)] | None = None
    # geofence
    zone: str | None = None
    boundary_level: Literal["city", "district", "street", "grid"] | None = None
    boundary_codes: list[str] = Field(default_factory=list)
    entity_kinds: list[str] = Field(default_factory=list)
    trigger: Literal["enter", "leave", "dwell"] = "enter"
    dwell_s: Annotated[float, Field(gt=0)] = 300.0
    # silence
    after_s: Annotated[float, Field(gt=0)] = 60.0
    # incident
    min_severity: Annotated[int, Field(ge=1, le=4)] = 3
    incident_types: list[str] = Field(default_factory=list)

    @field_validator("message")
    @classmethod
    def _template(cls, v: str | dict[str, str]) -> str | dict[str, str]:
        for language, text in [("", v)] if isinstance(v, str) else v.items():
            try:
                names = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
                unknown = sorted(n for n in names if n.split(".")[0].split("[")[0] not in TEMPLATE_FIELDS)
                if unknown:
                    raise ValueError(f"unknown field(s) {unknown}")
                text.format_map(_SAMPLE)
            except (ValueError, KeyError, IndexError) as exc:
                where = f"{language}: " if language else ""
                raise ValueError(
                    f"{where}a message template using {{field}} from {sorted(TEMPLATE_FIELDS)} ({exc})"
                ) from None
        return v

    def title_in(self, language: str) -> str:
        """The title in ``language`` (per-language texts fall back to English, then any)."""
        return pick(self.title, language, self.id)

    def message_in(self, language: str) -> str:
        return pick(self.message, language, "{title}: {subject}")

    def procedure_in(self, language: str) -> str:
        return pick(self.procedure, language)

    @field_validator("entity_kinds")
    @classmethod
    def _kinds(cls, v: list[str]) -> list[str]:
        bad = [k for k in v if k not in ENTITY_KINDS]
        if bad:
            raise ValueError(f"entity kinds from {list(ENTITY_KINDS)} (unknown: {bad})")
        return v

    @field_validator("incident_types")
    @classmethod
    def _types(cls, v: list[str]) -> list[str]:
        bad = [k for k in v if k not in INCIDENT_TYPES]
        if bad:
            raise ValueError(f"incident types from {list(INCIDENT_TYPES)} (unknown: {bad})")
        return v

    @model_validator(mode="after")
    def _per_kind(self) -> Rule:
        k = self.kind
        sources = [s for s in ("metric", "sensor", "sensor_kind") if getattr(self, s) is not None]
        if k in ("threshold", "rate"):
            if len(sources) != 1:
                raise ValueError(f"a {k} rule watches exactly one of metric, sensor or sensor_kind")
            if (self.above is None) == (self.below is None):
                raise ValueError(f"a {k} rule needs exactly one of 'above' or 'below'")
        if self.forecast_horizon_s is not None and k != "threshold":
            raise ValueError("forecast_horizon_s applies to threshold rules only")
        if k == "silence" and len(sources) + (self.feed_source is not None) != 1:
            raise ValueError(
                "a silence rule watches exactly one of feed_source, sensor, sensor_kind or metric"
            )
        if k == "geofence":
            if (self.zone is None) == (self.boundary_level is None):
                raise ValueError("a geofence rule needs exactly one of 'zone' or 'boundary_level'")
            if self.boundary_level is not None and not self.boundary_codes:
                raise ValueError("boundary_codes: the codes of the boundary polygons to watch")
        return self

    @property
    def source_key(self) -> str:
        """'metric:aqi', 'sensor:RIVER01', 'sensor_kind:river_level' or 'feed:<source>'."""
        for attr, prefix in (
            ("metric", "metric"),
            ("sensor", "sensor"),
            ("sensor_kind", "sensor_kind"),
            ("feed_source", "feed"),
        ):
            value = getattr(self, attr)
            if value is not None:
                return f"{prefix}:{value}"
        return ""

    @property
    def rank(self) -> int:
        return PRIORITIES.index(self.priority)


class RuleSet(_Model):
    schema_version: Literal[1] = Field(alias="schema")
    zone: list[Zone] = Field(default_factory=list)
    rule: list[Rule] = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    path: Path = Field(default=Path("alarms.toml"), exclude=True)

    @property
    def zones(self) -> dict[str, Zone]:
        return {z.name: z for z in self.zone}


def _named(issue: Issue, raw: dict[str, object]) -> Issue:
    """``rule[3].title`` → ``rule[3] (id "aqi_surge").title``: installers know rules by id."""
    m = re.match(r"rule\[(\d+)\]", issue.key)
    rules = raw.get("rule")
    if m is None or not isinstance(rules, list) or int(m[1]) >= len(rules):
        return issue
    rule = rules[int(m[1])]
    rule_id = rule.get("id") if isinstance(rule, dict) else None
    if not isinstance(rule_id, str):
        return issue
    return dataclasses.replace(issue, key=f'{m[0]} (id "{rule_id}"){issue.key[m.end() :]}')


def parse_rules(text: str, path: Path) -> RuleSet:
    """Validate rules TOML text; raise ``SiteError`` listing every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SiteError([Issue(str(path), "(syntax)", str(exc), "valid TOML")]) from None
    if raw.get("schema") != SCHEMA_VERSION:
        raise SiteError(
            [Issue(str(path), "schema", repr(raw.get("schema")), f"schema = {SCHEMA_VERSION} at the top")]
        )
    raw["path"] = str(path)
    try:
        rules = RuleSet.model_validate(raw)
    except ValidationError as exc:
        raise SiteError([_named(i, raw) for i in issues_from_validation(path, exc)]) from None
    issues = _cross_checks(rules, path)
    if issues:
        raise SiteError(issues)
    return rules


def _cross_checks(rules: RuleSet, path: Path) -> list[Issue]:
    """Checks across rules: unique ids, geofence zones defined in [[zone]]."""
    issues = []
    seen: set[str] = set()
    zones = rules.zones
    for i, r in enumerate(rules.rule):
        if r.id in seen:
            issues.append(Issue(str(path), f"rule[{i}].id", repr(r.id), "an id no other rule uses"))
        seen.add(r.id)
        if r.zone is not None and r.zone not in zones:
            known = sorted(zones) or "none defined"
            issues.append(Issue(str(path), f"rule[{i}].zone", repr(r.zone), f"a [[zone]] name ({known})"))
    return issues


def load_rules(path: str | Path) -> RuleSet:
    p = Path(path).expanduser().resolve()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SiteError([Issue(str(p), "(file)", "no such file", "an alarm rules TOML file")]) from None
    except UnicodeDecodeError as exc:
        raise SiteError([Issue(str(p), "(file)", f"not UTF-8 ({exc.reason})", "UTF-8 TOML text")]) from None
    return parse_rules(text, p)


DEFAULT_RULES_FILE = "alarms.toml"


def rules_path(site: Site) -> Path | None:
    """The site's rules file: ``[alarms] rules`` (relative to the site folder), else an
    ``alarms.toml`` beside the site file when there is one, else None (no alarms)."""
    rules = site.alarms.rules
    if rules is not None:
        return (site.folder / rules).resolve()
    beside = site.folder / DEFAULT_RULES_FILE
    return beside.resolve() if beside.is_file() else None


def load_site_rules(site: Site) -> RuleSet:
    """The site's rules, or an empty set when the site names none."""
    p = rules_path(site)
    return load_rules(p) if p is not None else RuleSet.model_validate({"schema": 1})


def zone_key(rule: Rule) -> str:
    """The key a geofence rule's polygon(s) are known by: the zone name or 'level:code|code'."""
    if rule.zone is not None:
        return rule.zone
    return f"{rule.boundary_level}:{'|'.join(rule.boundary_codes)}"
