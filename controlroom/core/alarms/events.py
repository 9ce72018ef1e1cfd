"""What the alarm engine tells the alarm book: a condition was raised, cleared, predicted, withdrawn.

The engine is stateless towards people (no acks, no owners): it only says when a condition
(one rule on one subject: a sensor, a metric, an entity in a zone, an incident) starts and stops.
The book (``alarm_lifecycle``) turns these into alarms operators work on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from controlroom.core.alarms.rules import Rule

EventKind = Literal["raised", "cleared", "predicted", "withdrawn"]
NAN = math.nan


@dataclass(frozen=True)
class AlarmEvent:
    """One change of one condition; ``key`` is 'rule_id|subject' (one alarm per key at a time)."""

    kind: EventKind
    rule: Rule
    subject: str
    t: float
    value: float = NAN
    unit: str = ""
    x: float = NAN
    y: float = NAN
    eta_s: float = NAN
    eta_lo_s: float = NAN
    eta_hi_s: float = NAN

    @property
    def key(self) -> str:
        return f"{self.rule.id}|{self.subject}"

    def message(self, language: str = "en") -> str:
        """The rule's message template in ``language`` filled in (missing numbers show as 'nan',
        never fail)."""
        title = self.rule.title_in(language)
        fields = {
            "rule": self.rule.id,
            "title": title,
            "subject": self.subject,
            "value": self.value,
            "threshold": self.rule.above if self.rule.above is not None else (self.rule.below or NAN),
            "unit": self.unit,
            "zone": self.rule.zone or ",".join(self.rule.boundary_codes),
            "eta_min": self.eta_s / 60.0,
            "kind": self.rule.sensor_kind or self.rule.metric or self.rule.sensor or "",
        }
        try:
            return self.rule.message_in(language).format_map(fields)
        except (ValueError, KeyError, IndexError, TypeError):
            return f"{title}: {self.subject}"


class ZoneIndex(Protocol):
    """Point-in-polygon for geofences, by zone key (``alarm_rules.zone_key``); built in ``geo``."""

    def contains(
        self, key: str, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.bool_]:
        """Which local-frame points lie inside the zone (vectorised)."""
        ...

    def keys(self) -> list[str]: ...
