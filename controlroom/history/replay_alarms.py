"""Alarms as they stood, in the shape the alarm desk draws (``core.alarms.lifecycle.Alarm``).

The recorded trail carries each alarm's key (``rule|subject``), transitions, who acknowledged,
the owner and where the raising desk located it (x, y, district); the rule (title, priority,
category, procedure, cameras) comes from the site's alarm rules, as it does for a live alarm.
A rule no longer in the site keeps its key as title.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from controlroom.core.alarms.lifecycle import Alarm
from controlroom.core.alarms.rules import PRIORITIES
from controlroom.history.player import AlarmState


def rule_id_of(key: str) -> str:
    return key.split("|", 1)[0]


def replayed_alarms(states: Iterable[AlarmState], rules: Iterable[Any], language: str = "en") -> list[Alarm]:
    """Each recorded alarm state as an ``Alarm`` at its recorded place, its rule's texts in
    ``language``."""
    by_id = {getattr(r, "id", ""): r for r in rules}
    out = []
    for a in states:
        rule = by_id.get(rule_id_of(a.key))
        subject = a.key.split("|", 1)[1] if "|" in a.key else a.key
        title = rule.title_in(language) if rule is not None else a.key
        procedure = rule.procedure_in(language) if rule is not None else ""
        priority = getattr(rule, "priority", "medium")
        esc = min(a.escalations, PRIORITIES.index(priority))  # each escalation one step up
        out.append(Alarm(
            id=a.alarm_id or a.key, key=a.key, rule_id=rule_id_of(a.key), title=title,
            message=f"{title}: {subject}", priority=PRIORITIES[PRIORITIES.index(priority) - esc],
            category=getattr(rule, "category", "general"), subject=subject, x=a.x, y=a.y, district=a.district,
            cameras=list(getattr(rule, "cameras", [])), layer=getattr(rule, "layer", None),
            procedure=procedure, raised_at=a.raised_at, predicted=a.state == "predicted",
            state=a.life, owner=a.owner, acknowledged_by=a.acknowledged_by, escalation_level=a.escalations,
            updated_at=a.last_at,
        ))  # fmt: skip
    return out


def alarm_rank(rules: Iterable[Any]) -> Any:
    """``key → 0..3`` (critical..low) for timeline marks, from the rules' priorities."""
    rank = {getattr(r, "id", ""): PRIORITIES.index(getattr(r, "priority", "medium")) for r in rules}
    return lambda key: rank.get(rule_id_of(key), 2)
