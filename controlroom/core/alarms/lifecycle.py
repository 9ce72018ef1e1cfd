"""The alarm book: alarms operators work on, from the engine's condition events.

Workflow states: ``new`` → ``acknowledged`` (who, comment) → ``in_progress`` (owner) →
``cleared`` (the condition went away) / ``closed`` (an operator closed it). Separately, ``active``
says whether the condition is present now and ``predicted`` whether it is still only forecast.
One alarm per condition: a condition that comes back while its alarm is not closed re-activates
that alarm (``occurrences`` counts), so a flapping sensor never floods the list. An alarm left
``new`` past its priority's timeout escalates (priority one step up, next recipient), unless
snoozed. Every transition goes to the ``AuditSink``. The clock is injected, so tests step time.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from controlroom.core.alarms.audit import AuditEntry, AuditSink
from controlroom.core.alarms.events import AlarmEvent
from controlroom.core.alarms.rules import PRIORITIES, Priority

STATES = ("new", "acknowledged", "in_progress", "cleared", "closed")
DEFAULT_ESCALATION_S: dict[str, float] = {"critical": 60.0, "high": 180.0, "medium": 600.0, "low": 1800.0}
SYSTEM = "system"


class AlarmStateError(ValueError):
    """An operator action that does not apply to the alarm's state (the message says why)."""


@dataclass
class Alarm:
    id: str
    key: str
    rule_id: str
    title: str
    message: str
    priority: Priority
    category: str
    subject: str
    x: float
    y: float
    district: str
    cameras: list[str]
    layer: str | None
    procedure: str
    raised_at: float
    predicted: bool
    eta_s: float = math.nan
    eta_lo_s: float = math.nan
    eta_hi_s: float = math.nan
    value: float = math.nan
    unit: str = ""
    state: str = "new"
    active: bool = True
    owner: str = ""
    acknowledged_by: str = ""
    comment: str = ""
    snoozed_until: float = 0.0
    escalation_level: int = 0
    recipient: str = ""
    occurrences: int = 1
    confirmed_at: float = math.nan
    updated_at: float = 0.0
    _escalate_from: float = field(default=0.0, repr=False)

    @property
    def is_open(self) -> bool:
        return self.state != "closed"

    @property
    def has_place(self) -> bool:
        return math.isfinite(self.x) and math.isfinite(self.y)

    def snoozed(self, now: float) -> bool:
        return now < self.snoozed_until


class AlarmBook:
    """Open alarms by id plus the audit trail; apply engine events, operator actions and ``tick``."""

    def __init__(
        self,
        audit: AuditSink,
        *,
        clock: Callable[[], float] = time.time,
        escalation_s: Mapping[str, float] | None = None,
        escalation_chain: Sequence[str] = ("operator", "duty officer", "shift leader"),
        locate: Callable[[float, float], str] | None = None,
        language: str = "en",
    ) -> None:
        self.audit = audit
        #: The language alarms are written in (the rules may give texts per language).
        self.language = language
        self.clock = clock
        self.escalation_s = {**DEFAULT_ESCALATION_S, **(escalation_s or {})}
        self.chain = list(escalation_chain) or ["operator"]
        self.locate = locate
        self.alarms: dict[str, Alarm] = {}
        self._by_key: dict[str, str] = {}
        self.version = 0
        #: Called with each alarm that changed (the panel, the banner, the wall's preset switch).
        self.listeners: list[Callable[[Alarm], None]] = []

    # ---------------------------------------------------------------- reading
    def open(self) -> list[Alarm]:
        """Open alarms: most urgent first, then newest."""
        items = [a for a in self.alarms.values() if a.is_open]
        return sorted(items, key=lambda a: (PRIORITIES.index(a.priority), a.predicted, -a.raised_at))

    def get(self, alarm_id: str) -> Alarm:
        try:
            return self.alarms[alarm_id]
        except KeyError:
            raise AlarmStateError(f"no alarm '{alarm_id}'") from None

    def for_key(self, key: str) -> Alarm | None:
        alarm_id = self._by_key.get(key)
        return self.alarms.get(alarm_id) if alarm_id else None

    # ---------------------------------------------------------------- engine
    def apply(self, events: Sequence[AlarmEvent]) -> list[Alarm]:
        """Turn condition events into alarm changes; returns the alarms that changed."""
        changed = [a for a in (self._apply_one(e) for e in events) if a is not None]
        return changed

    def _apply_one(self, e: AlarmEvent) -> Alarm | None:
        a = self.for_key(e.key)
        if e.kind in ("raised", "predicted"):
            predicted = e.kind == "predicted"
            if a is None or not a.is_open:
                return self._create(e, predicted)
            if a.predicted and not predicted:  # the forecast came true: same alarm, now real
                a.predicted, a.confirmed_at = False, e.t
                a.value, a.unit, a.message = e.value, e.unit, e.message(self.language)
                return self._move(a, "new", "confirmed", SYSTEM, e.t, reset_escalation=True)
            if not a.active or (a.state == "cleared"):
                a.active, a.predicted, a.occurrences = True, predicted, a.occurrences + 1
                a.value, a.message = e.value, e.message(self.language)
                return self._move(a, "new", "re-raised", SYSTEM, e.t, reset_escalation=True)
            return None  # already active: one alarm per condition
        if a is None or not a.is_open or not a.active:
            return None
        a.active = False
        if not math.isnan(e.value):
            a.value = e.value
        action = "withdrawn" if e.kind == "withdrawn" else "cleared"
        return self._move(a, "cleared", action, SYSTEM, e.t)

    def _create(self, e: AlarmEvent, predicted: bool) -> Alarm:
        r = e.rule
        district = ""
        if self.locate is not None and math.isfinite(e.x) and math.isfinite(e.y):
            district = self.locate(e.x, e.y)
        alarm_id = f"{e.key}@{e.t:.0f}"
        a = Alarm(
            id=alarm_id,
            key=e.key,
            rule_id=r.id,
            title=r.title_in(self.language),
            message=e.message(self.language),
            priority=r.priority,
            category=r.category,
            subject=e.subject,
            x=e.x,
            y=e.y,
            district=district,
            cameras=list(r.cameras),
            layer=r.layer,
            procedure=r.procedure_in(self.language),
            raised_at=e.t,
            predicted=predicted,
            eta_s=e.eta_s,
            eta_lo_s=e.eta_lo_s,
            eta_hi_s=e.eta_hi_s,
            value=e.value,
            unit=e.unit,
            recipient=self.chain[0],
            updated_at=e.t,
            _escalate_from=e.t,
        )
        self.alarms[alarm_id] = a
        self._by_key[e.key] = alarm_id
        detail: dict[str, object] = {"priority": a.priority, "value": a.value, "message": a.message}
        if math.isfinite(a.x) and math.isfinite(a.y):  # where it is, for the record (a replay shows it)
            detail |= {"x": a.x, "y": a.y, "district": a.district}
        if predicted:
            detail |= {"eta_s": e.eta_s, "eta_lo_s": e.eta_lo_s, "eta_hi_s": e.eta_hi_s}
        self._audit(a, "predicted" if predicted else "raised", SYSTEM, "", "new", e.t, detail=detail)
        self._changed(a)
        return a

    # ---------------------------------------------------------------- operators
    def refusal(self, action: str, alarm_id: str) -> str | None:
        """Why an operator action does not apply now (None: it does). A desk asks before sending
        the action to the dispatch gateway, so the operator hears at once, not after a round trip."""
        a = self.alarms.get(alarm_id)
        if a is None:
            return f"no alarm '{alarm_id}'"
        if action == "acknowledge":
            if a.state not in ("new", "cleared") or (a.state == "cleared" and a.acknowledged_by):
                return f"alarm {alarm_id} is {a.state}; only a new alarm can be acknowledged"
        elif action == "start_work":
            if a.state not in ("new", "acknowledged"):
                return f"alarm {alarm_id} is {a.state}; work starts on a new or acknowledged alarm"
        elif action == "snooze":
            if not a.is_open:
                return f"alarm {alarm_id} is closed; nothing to snooze"
        elif action == "close":
            if not a.is_open:
                return f"alarm {alarm_id} is already closed"
        elif action != "owner":
            return f"unknown alarm action '{action}'"
        return None

    def _check(self, action: str, alarm_id: str) -> Alarm:
        why = self.refusal(action, alarm_id)
        if why:
            raise AlarmStateError(why)
        return self.alarms[alarm_id]

    def acknowledge(self, alarm_id: str, who: str, comment: str = "") -> Alarm:
        a = self._check("acknowledge", alarm_id)
        a.acknowledged_by, a.comment = who, comment
        to = "acknowledged" if a.active else "cleared"
        return self._move(a, to, "acknowledged", who, self.clock(), comment)

    def start_work(self, alarm_id: str, who: str, owner: str = "", comment: str = "") -> Alarm:
        a = self._check("start_work", alarm_id)
        a.owner = owner or a.owner or who
        if not a.acknowledged_by:
            a.acknowledged_by = who
        return self._move(a, "in_progress", "in_progress", who, self.clock(), comment, {"owner": a.owner})

    def set_owner(self, alarm_id: str, who: str, owner: str) -> Alarm:
        a = self._check("owner", alarm_id)
        a.owner = owner
        return self._move(a, a.state, "owner", who, self.clock(), detail={"owner": owner})

    def snooze(self, alarm_id: str, who: str, seconds: float, comment: str = "") -> Alarm:
        a = self._check("snooze", alarm_id)
        now = self.clock()
        a.snoozed_until = now + max(0.0, seconds)
        a._escalate_from = a.snoozed_until
        return self._move(a, a.state, "snoozed", who, now, comment, {"until": a.snoozed_until})

    def close(self, alarm_id: str, who: str, comment: str = "") -> Alarm:
        a = self._check("close", alarm_id)
        self._by_key.pop(a.key, None)
        return self._move(a, "closed", "closed", who, self.clock(), comment)

    # ---------------------------------------------------------------- time
    def tick(self) -> list[Alarm]:
        """Escalate alarms nobody acknowledged in time; returns those escalated."""
        now = self.clock()
        out = []
        for a in list(self.alarms.values()):
            if a.state != "new" or a.snoozed(now) or a.predicted:
                continue
            if now - a._escalate_from >= self.escalation_s.get(a.priority, math.inf):
                rank = PRIORITIES.index(a.priority)
                old = a.priority
                a.priority = PRIORITIES[max(0, rank - 1)]
                a.escalation_level += 1
                a.recipient = self.chain[min(a.escalation_level, len(self.chain) - 1)]
                a._escalate_from = now
                detail: dict[str, object] = {
                    "from_priority": old,
                    "priority": a.priority,
                    "recipient": a.recipient,
                }
                out.append(self._move(a, a.state, "escalated", SYSTEM, now, detail=detail))
        return out

    # ---------------------------------------------------------------- internals
    def _move(
        self,
        a: Alarm,
        to: str,
        action: str,
        who: str,
        t: float,
        comment: str = "",
        detail: dict[str, object] | None = None,
        *,
        reset_escalation: bool = False,
    ) -> Alarm:
        frm = a.state
        a.state = to
        a.updated_at = t
        if reset_escalation:
            a._escalate_from = t
        self._audit(a, action, who, frm, to, t, comment, detail or {})
        self._changed(a)
        return a

    def _audit(
        self,
        a: Alarm,
        action: str,
        who: str,
        frm: str,
        to: str,
        t: float,
        comment: str = "",
        detail: dict[str, object] | None = None,
    ) -> None:
        self.audit.record(AuditEntry(a.id, t, action, who, frm, to, comment, detail or {}))

    def _changed(self, a: Alarm) -> None:
        self.version += 1
        for listener in list(self.listeners):
            listener(a)
