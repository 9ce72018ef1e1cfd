"""The words of the map's hover labels: English here, translated by the view that shows them.

The render layer has no Qt, so overlays write their labels through a ``HoverWords``: this plain
one (English, codes with spaces for underscores) for off-screen use and tests, or the Qt map's
(``qt.map_layers.QtHoverWords``), which looks each phrase up in the ``CONTEXT`` translation
context and each code in the app's tables of display names. Every phrase an overlay may show is
a constant here and listed in ``PHRASES``; ``qt/strings.py`` marks them for lupdate and a test
checks that none is missing.
"""

from __future__ import annotations

from typing import Literal

CONTEXT = "MapHover"

JUST_NOW = "just now"
SECONDS_AGO = "{0:.0f} s ago"
MINUTES_AGO = "{0:.0f} min ago"
ENTITY = "{id} · {kind} · {status}\n{speed:.0f} km/h · heard {ago}"
INCIDENT = "{id} · {type} · {severity}\n{status} · raised {ago}"
SENSOR = "{id} · {kind}\n{value} {unit} · {status} · {ago}"
CAMERA_CLUSTER = "{0} cameras · click to zoom in"
CAMERA = "{name}\n{id} · click for live video"
CAMERA_PTZ = "{name}\n{id} · PTZ · click for live video"
ROUTE_UNITS = "{id} · {0} unit(s) assigned"
ROUTE_BY_ROAD = "{unit} → {incident}\n{km:.1f} km by road"
ROUTE_STRAIGHT = "{unit} → {incident}\n{km:.1f} km in a straight line"
ALARM = "{priority} · {title}\n{message}\n{state} · {ago}"
ALARM_FORECAST = "FORECAST · {priority} · {title}\n{message}\n{state} · {ago}"
FLOOD_BUILDING = "{id} · water {depth:.2f} m at the ground floor"

PHRASES: tuple[str, ...] = (
    JUST_NOW,
    SECONDS_AGO,
    MINUTES_AGO,
    ENTITY,
    INCIDENT,
    SENSOR,
    CAMERA_CLUSTER,
    CAMERA,
    CAMERA_PTZ,
    ROUTE_UNITS,
    ROUTE_BY_ROAD,
    ROUTE_STRAIGHT,
    ALARM,
    ALARM_FORECAST,
    FLOOD_BUILDING,
)

#: The coded values a label names; the Qt side has a table of display names for each.
CodeKind = Literal[
    "entity_kind",
    "entity_status",
    "incident_type",
    "incident_status",
    "severity",
    "sensor_status",
    "alarm_priority",
    "alarm_state",
]

_SEVERITY_NAMES = ("low", "medium", "high", "critical")


class HoverWords:
    """Formats hover labels; subclasses translate ``phrase_text`` and ``code``."""

    def phrase_text(self, phrase: str) -> str:
        """The phrase in the display language (here: as written)."""
        return phrase

    def code(self, kind: CodeKind, value: str | int) -> str:
        """A coded value's display name (here: the code, with spaces for underscores)."""
        if kind == "severity":
            return _SEVERITY_NAMES[max(1, min(4, int(value))) - 1]
        return str(value).replace("_", " ")

    def language(self) -> str:
        """The display language's code, for site texts given per language (here: English)."""
        return "en"

    def say(self, phrase: str, *args: object, **fields: object) -> str:
        """One of ``PHRASES``, translated and filled in."""
        return self.phrase_text(phrase).format(*args, **fields)

    def ago(self, seconds: float) -> str:
        """How long ago, in words that fit a label: just now, 40 s ago, 12 min ago."""
        if seconds < 1.0:
            return self.say(JUST_NOW)
        if seconds < 120:
            return self.say(SECONDS_AGO, seconds)
        return self.say(MINUTES_AGO, seconds / 60)


PLAIN = HoverWords()
