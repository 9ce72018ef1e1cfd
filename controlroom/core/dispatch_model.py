"""Dispatch decisions, Qt-free and store-free: commands, the incident state machine, roles.

Every order an operator gives is a ``Command`` with a client-generated id, so a retry after a
lost reply is recognised and answered with the first answer instead of being applied twice. The
gateway loads the incident and unit a command touches, asks ``decide`` what to do, and stores the
``Decision`` in one transaction; a refused command carries a reason an operator can act on.

Incident life: new → acknowledged → dispatched → on_scene → resolved → closed, and cancelled
from any open state. On the feed, ``cancelled`` is shown as ``closed`` (the wire protocol's
statuses stay as they are; the dispatch detail keeps the difference).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, get_args

import msgspec

from controlroom.core.protocol import INCIDENT_TYPES
from controlroom.core.text_templates import TextTemplates

Role = Literal["operator", "supervisor", "leader"]
ROLES: tuple[str, ...] = get_args(Role)
CommandKind = Literal[
    "create", "acknowledge", "assign", "unit_status", "comment", "resolve", "close", "cancel", "alarm"
]
COMMAND_KINDS: tuple[str, ...] = get_args(CommandKind)
DispatchStatus = Literal["new", "acknowledged", "dispatched", "on_scene", "resolved", "closed", "cancelled"]
UnitState = Literal["available", "dispatched", "en_route", "on_scene", "out_of_service"]
UNIT_STATES: tuple[str, ...] = get_args(UnitState)
#: What an operator may report about a unit (``unit_status`` command).
REPORTABLE_UNIT_STATES = ("en_route", "on_scene", "available", "out_of_service")

OPEN_STATUSES = frozenset({"new", "acknowledged", "dispatched", "on_scene"})
#: The same rule as an SQL condition on a ``status`` column (``dispatch.store``), kept in step here.
OPEN_STATUSES_SQL = "status IN ({})".format(",".join(f"'{s}'" for s in sorted(OPEN_STATUSES)))
#: What an operator may do to an incident in each dispatch status; ``None``: the gateway has not
#: said yet (a feed record only), so the first orders are allowed and the gateway decides.
#: The desk's buttons follow this table; ``decide`` is what enforces it.
_ACTIONS: dict[str | None, frozenset[str]] = {
    None: frozenset({"dispatch", "acknowledge", "cancel"}),
    "new": frozenset({"dispatch", "acknowledge", "cancel"}),
    "acknowledged": frozenset({"dispatch", "resolve", "cancel"}),
    "dispatched": frozenset({"dispatch", "resolve", "en_route", "on_scene", "cancel"}),
    "on_scene": frozenset({"dispatch", "resolve", "en_route", "on_scene", "cancel"}),
    "resolved": frozenset({"close"}),
}
#: Actions that need only a selected incident, whatever its status.
ALWAYS_ALLOWED = frozenset({"cameras", "comment"})


def allowed_actions(status: str | None) -> frozenset[str]:
    """The operator actions a desk offers for an incident in ``status`` (see ``_ACTIONS``)."""
    return _ACTIONS.get(status, frozenset()) | ALWAYS_ALLOWED


def is_open_status(status: str) -> bool:
    return status in OPEN_STATUSES


WIRE_STATUS = {"cancelled": "closed"}  # the feed protocol has no "cancelled"
MAX_TEXT = 2000
#: Unit registry spellings → feed entity kinds (the gateway's registry and the feed simulator).
UNIT_KIND_ALIASES = {
    "police": "police",
    "city_management": "city_management",
    "ambulance": "ambulance",
    "fire": "fire_engine",
    "fire_engine": "fire_engine",
    "sanitation": "sanitation",
}


def lonlat_problem(lon: float, lat: float) -> str | None:
    """Why (lon, lat) cannot be a WGS 84 point, naming a likely swap; None if it can be."""
    for name, v in (("longitude", lon), ("latitude", lat)):
        if not math.isfinite(v):
            return f"{name} {v} is not a finite number"
    if -180 <= lon <= 180 and -90 <= lat <= 90:
        return None
    if -90 <= lon <= 90 and -180 <= lat <= 180:
        return (
            f"latitude {lat:.10g} is outside -90…90: longitude and latitude look swapped "
            f"(longitude comes first: {lat:.10g} {lon:.10g})"
        )
    if not -180 <= lon <= 180:
        return f"longitude {lon:.10g} is outside -180…180 (a projected easting? give its CRS)"
    return f"latitude {lat:.10g} is outside -90…90"


def unit_kind(record: Mapping[str, object]) -> str:
    """A registry row's feed entity kind, from its ``type`` (or ``kind``) column; "other" if unknown."""
    raw = str(record.get("type") or record.get("kind") or "").strip().lower()
    return UNIT_KIND_ALIASES.get(raw, "other")


class Command(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    """One order from a desk; ``id`` is made by the client (uuid) and makes retries harmless."""

    id: str
    kind: CommandKind
    incident_id: str = ""
    unit_id: str = ""
    status: str = ""  # unit_status: the unit's new state
    text: str = ""  # comment text, cancel reason, create description
    override: bool = False  # assign: take the unit from another incident (supervisor)
    # create only
    type: str = ""
    severity: int = 2
    lon: float = 0.0
    lat: float = 0.0
    crs: str = "EPSG:4326"
    camera_ids: list[str] = []
    raised_at: float = 0.0
    # alarm only (``dispatch.alarm_trail``): one alarm transition, the comment in ``text``
    alarm_id: str = ""
    alarm_key: str = ""  # 'rule|subject': the condition every desk's book knows the alarm by
    action: str = ""
    owner: str = ""
    seconds: float = 0.0  # snooze length
    from_state: str = ""  # a desk's own (system) transition: what its book did
    to_state: str = ""
    # a raised/predicted alarm's place as the desk located it (site metres, district name): the
    # trail keeps it, so a replay of the alarm list shows the place the live one did
    x: float | None = None
    y: float | None = None
    district: str = ""

    def fingerprint(self) -> str:
        """Content hash: the same id with different content is a client bug, not a retry."""
        return hashlib.sha1(msgspec.msgpack.encode(self)).hexdigest()


@dataclass(frozen=True)
class IncidentRow:
    """An incident as the gateway stores it; lon/lat WGS 84."""

    id: str
    type: str
    severity: int
    lon: float
    lat: float
    status: str = "new"
    text: str = ""
    camera_ids: tuple[str, ...] = ()
    raised_at: float = 0.0
    updated_at: float = 0.0
    version: int = 0
    city: str = ""
    district: str = ""
    street: str = ""
    grid: str = ""
    codes: dict[str, str] = field(default_factory=dict)
    department: str = ""
    source: str = ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def wire_status(self) -> str:
        return WIRE_STATUS.get(self.status, self.status)


@dataclass(frozen=True)
class UnitRow:
    id: str
    kind: str
    name: str = ""
    status: str = "available"
    incident_id: str = ""
    lon: float = float("nan")
    lat: float = float("nan")
    updated_at: float = 0.0


@dataclass(frozen=True)
class Actor:
    """Who sent a command: the user (from their CURVE key, or the site's desk user) and desk."""

    user: str
    role: Role
    desk: str = ""


#: Why the state machine refuses an order: one English template per reason code, its fields
#: named. The gateway sends the text filled in; a desk reads the code and the fields back
#: (``refusal_parts``) to say it in the operator's language (qt/strings.py marks the same templates).
REFUSALS: dict[str, str] = {
    "role_leader": "user '{user}' has role leader (view only); orders need an operator or supervisor",
    "close_needs_supervisor": "closing an incident needs role supervisor; user '{user}' is an operator",
    "override_needs_supervisor": (
        "taking a unit from another incident needs role supervisor; user '{user}' is an operator"
    ),
    "create_needs_id": "create needs an incident_id",
    "incident_exists": "incident {incident} already exists (status {status})",
    "unknown_type": "incident type {type} is unknown; expected one of {expected}",
    "severity_range": "severity {severity} is out of range; expected 1 (low) to 4 (critical)",
    "bad_location": "location ({lon}, {lat}) is not a WGS 84 lon/lat: {problem}",
    "bad_time": "raised_at {raised_at} is not a time (seconds since 1970, or 0 for now)",
    "text_too_long": "text is {length} characters; the limit is {limit}",
    "no_incident": "no incident {incident}",
    "comment_empty": "a comment needs some text",
    "comment_too_long": "comment is {length} characters; the limit is {limit}",
    "acknowledge_not_new": "incident {incident} is {status}; only a new incident can be acknowledged",
    "resolve_not_yet": "incident {incident} is {status}; cannot resolve (acknowledge or dispatch it first)",
    "resolve_not_open": "incident {incident} is {status}; cannot resolve (it is no longer open)",
    "close_not_resolved": "incident {incident} is {status}; only a resolved incident can be closed",
    "cancel_not_open": "incident {incident} is {status}; only an open incident can be cancelled",
    "cancel_needs_reason": "cancelling needs a reason (text)",
    "unknown_kind": "unknown command kind {kind}; expected one of {expected}",
    "assign_not_open": "incident {incident} is {status}; units go only to open incidents",
    "no_unit": "no unit {unit}",
    "unit_out_of_service": "unit {unit} is out of service",
    "unit_already_here": "unit {unit} is already assigned to incident {incident}",
    "unit_taken": (
        "unit {unit} is already assigned to incident {holder} ({unit_status}); a supervisor can override"
    ),
    "unit_status_unknown": "unit status {status} is not one to report; expected one of {expected}",
    "unit_busy": "unit {unit} is assigned to incident {holder}; make it available first",
    "unit_unassigned": "unit {unit} is not assigned to any incident; assign it first",
    "unit_elsewhere": "unit {unit} is assigned to incident {holder}, not {incident}",
    "unit_on_scene": "unit {unit} is already on scene",
}


_REFUSALS = TextTemplates(REFUSALS)


def refusal(code: str, **fields: object) -> str:
    """The reason text of refusal ``code`` with its fields filled in."""
    return _REFUSALS.say(code, **fields)


def refusal_parts(reason: str) -> tuple[str, dict[str, str]] | None:
    """(code, fields) of a reason the state machine wrote, or None for any other text (a
    gateway's own refusal, an older gateway's wording): that is shown as it came."""
    return _REFUSALS.parts(reason)


@dataclass
class Decision:
    """What to store: accepted or refused (with why), and the rows that change."""

    accepted: bool
    reason: str = ""
    incident: IncidentRow | None = None  # the incident as it is after the command
    units: list[UnitRow] = field(default_factory=list)  # units whose state changes
    released_from: IncidentRow | None = None  # another incident a supervisor took a unit from
    detail: dict[str, object] = field(default_factory=dict)  # for the audit trail

    @classmethod
    def refuse(cls, reason: str) -> Decision:
        return cls(False, reason)


#: The incident after a command: a new version, optionally a new status.
Bump = Callable[[str | None], IncidentRow]


def _role_refusal(cmd: Command, actor: Actor) -> str | None:
    if actor.role == "leader":
        return refusal("role_leader", user=actor.user)
    if actor.role == "operator":
        if cmd.kind == "close":
            return refusal("close_needs_supervisor", user=actor.user)
        if cmd.kind == "assign" and cmd.override:
            return refusal("override_needs_supervisor", user=actor.user)
    return None


def _check_create(cmd: Command, existing: IncidentRow | None) -> str | None:
    if not cmd.incident_id:
        return refusal("create_needs_id")
    if existing is not None:
        return refusal("incident_exists", incident=cmd.incident_id, status=existing.status)
    if cmd.type not in INCIDENT_TYPES:
        return refusal("unknown_type", type=repr(cmd.type), expected=", ".join(INCIDENT_TYPES))
    if not 1 <= cmd.severity <= 4:
        return refusal("severity_range", severity=cmd.severity)
    where = lonlat_problem(cmd.lon, cmd.lat)
    if where:
        return refusal("bad_location", lon=cmd.lon, lat=cmd.lat, problem=where)
    if not (math.isfinite(cmd.raised_at) and cmd.raised_at >= 0):
        return refusal("bad_time", raised_at=cmd.raised_at)
    if len(cmd.text) > MAX_TEXT:
        return refusal("text_too_long", length=len(cmd.text), limit=MAX_TEXT)
    return None


def _released(units: list[UnitRow], now: float) -> list[UnitRow]:
    return [replace(u, status="available", incident_id="", updated_at=now) for u in units]


def decide(
    cmd: Command,
    actor: Actor,
    now: float,
    incident: IncidentRow | None,
    unit: UnitRow | None = None,
    assigned: list[UnitRow] | None = None,
    unit_holder: IncidentRow | None = None,
) -> Decision:
    """The state machine. ``incident``: the one named (or None); ``unit``: the one named;
    ``assigned``: units currently on ``incident``; ``unit_holder``: the open incident ``unit`` is
    on, if any. The caller loads these; this function only reads them (pure, easily tested)."""
    role_refused = _role_refusal(cmd, actor)
    if role_refused:
        return Decision.refuse(role_refused)
    assigned = assigned or []
    if cmd.kind == "create":
        why = _check_create(cmd, incident)
        if why:
            return Decision.refuse(why)
        row = IncidentRow(
            cmd.incident_id,
            cmd.type,
            cmd.severity,
            cmd.lon,
            cmd.lat,
            "new",
            cmd.text,
            tuple(cmd.camera_ids),
            cmd.raised_at or now,
            now,
            1,
        )
        return Decision(True, incident=row, detail={"type": cmd.type, "severity": cmd.severity})
    if cmd.kind == "unit_status" and not cmd.incident_id:
        return _unit_status(cmd, now, None, unit, [])
    if incident is None:
        return Decision.refuse(refusal("no_incident", incident=repr(cmd.incident_id)))

    def bump(status: str | None = None) -> IncidentRow:
        assert incident is not None
        new_status = status or incident.status
        return replace(incident, status=new_status, updated_at=now, version=incident.version + 1)

    st = incident.status
    kind = cmd.kind
    if kind == "comment":
        text = cmd.text.strip()
        if not text:
            return Decision.refuse(refusal("comment_empty"))
        if len(text) > MAX_TEXT:
            return Decision.refuse(refusal("comment_too_long", length=len(text), limit=MAX_TEXT))
        return Decision(True, incident=bump(None), detail={"text": text})
    if kind == "acknowledge":
        if st != "new":
            return Decision.refuse(refusal("acknowledge_not_new", incident=incident.id, status=st))
        return Decision(True, incident=bump("acknowledged"))
    if kind == "assign":
        return _assign(cmd, now, incident, unit, unit_holder, bump)
    if kind == "unit_status":
        return _unit_status(cmd, now, incident, unit, assigned, bump)
    if kind == "resolve":
        if st not in ("acknowledged", "dispatched", "on_scene"):
            code = "resolve_not_yet" if st == "new" else "resolve_not_open"
            return Decision.refuse(refusal(code, incident=incident.id, status=st))
        return Decision(
            True, incident=bump("resolved"), units=_released(assigned, now), detail={"text": cmd.text}
        )
    if kind == "close":
        if st != "resolved":
            return Decision.refuse(refusal("close_not_resolved", incident=incident.id, status=st))
        return Decision(True, incident=bump("closed"), detail={"text": cmd.text})
    if kind == "cancel":
        if st not in OPEN_STATUSES:
            return Decision.refuse(refusal("cancel_not_open", incident=incident.id, status=st))
        if not cmd.text.strip():
            return Decision.refuse(refusal("cancel_needs_reason"))
        return Decision(
            True, incident=bump("cancelled"), units=_released(assigned, now), detail={"text": cmd.text}
        )
    return Decision.refuse(refusal("unknown_kind", kind=repr(kind), expected=", ".join(COMMAND_KINDS)))


def _assign(
    cmd: Command,
    now: float,
    incident: IncidentRow,
    unit: UnitRow | None,
    holder: IncidentRow | None,
    bump: Bump,
) -> Decision:
    if not incident.is_open:
        return Decision.refuse(refusal("assign_not_open", incident=incident.id, status=incident.status))
    if unit is None:
        return Decision.refuse(refusal("no_unit", unit=repr(cmd.unit_id)))
    if unit.status == "out_of_service":
        return Decision.refuse(refusal("unit_out_of_service", unit=unit.id))
    if unit.incident_id == incident.id:
        return Decision.refuse(refusal("unit_already_here", unit=unit.id, incident=incident.id))
    released_from = None
    if unit.incident_id:
        if not cmd.override:
            return Decision.refuse(
                refusal("unit_taken", unit=unit.id, holder=unit.incident_id, unit_status=unit.status)
            )
        released_from = holder
    status = "dispatched" if incident.status in ("new", "acknowledged") else incident.status
    new_incident = bump(status)
    new_unit = replace(unit, status="dispatched", incident_id=incident.id, updated_at=now)
    detail: dict[str, object] = {"unit": unit.id}
    if unit.incident_id:
        detail["taken_from"] = unit.incident_id
    return Decision(True, incident=new_incident, units=[new_unit], released_from=released_from, detail=detail)


def _unit_status(
    cmd: Command,
    now: float,
    incident: IncidentRow | None,
    unit: UnitRow | None,
    assigned: list[UnitRow],
    bump: Bump | None = None,
) -> Decision:
    new = cmd.status
    if new not in REPORTABLE_UNIT_STATES:
        return Decision.refuse(
            refusal("unit_status_unknown", status=repr(new), expected=", ".join(REPORTABLE_UNIT_STATES))
        )
    if unit is None:
        return Decision.refuse(refusal("no_unit", unit=repr(cmd.unit_id)))
    detail: dict[str, object] = {"unit": unit.id, "status": new}
    if new in ("available", "out_of_service"):
        if new == "out_of_service" and unit.incident_id:
            return Decision.refuse(refusal("unit_busy", unit=unit.id, holder=unit.incident_id))
        changed = replace(unit, status=new, incident_id="", updated_at=now)
        row = bump(None) if incident is not None and bump is not None else None
        return Decision(True, incident=row, units=[changed], detail=detail)
    # en_route / on_scene: the unit must be working on this incident
    if not unit.incident_id:
        return Decision.refuse(refusal("unit_unassigned", unit=unit.id))
    if incident is None or unit.incident_id != incident.id:
        return Decision.refuse(
            refusal("unit_elsewhere", unit=unit.id, holder=unit.incident_id, incident=cmd.incident_id)
        )
    if new == "en_route" and unit.status == "on_scene":
        return Decision.refuse(refusal("unit_on_scene", unit=unit.id))
    changed = replace(unit, status=new, updated_at=now)
    status = "on_scene" if new == "on_scene" and incident.status == "dispatched" else incident.status
    assert bump is not None
    return Decision(True, incident=bump(status), units=[changed], detail=detail)
