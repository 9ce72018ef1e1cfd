"""The typed events of the live state: its vocabulary, imported by whoever listens.

A subscriber names the event class it wants (``LiveState.subscribe``); the state calls it with
the event object on the state's home thread (the GUI thread in the app). The Qt adapter turns
events into signals. Events are frozen dataclasses: what changed, never a reference to mutable
state a receiver could keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from controlroom.feed.pump import ChangeSet

E = TypeVar("E")


class Source(StrEnum):
    """Who wrote a change: the live feed, the gateway (dispatch), or the history player."""

    FEED = "feed"
    GATEWAY = "gateway"
    HISTORY = "history"


class Mode(StrEnum):
    """LIVE shows what the sources say now; REPLAY shows a past instant written by the player."""

    LIVE = "live"
    REPLAY = "replay"


# ---------------------------------------------------------------------------- model changes
@dataclass(frozen=True)
class ModelsChanged:
    """One apply changed the shown feed models (a pump tick, a replay step)."""

    change: ChangeSet
    source: Source
    at: float


@dataclass(frozen=True)
class ModelsReplaced:
    """The shown models were swapped (replay entered or left, a seek): redraw everything."""

    source: Source
    at: float


@dataclass(frozen=True)
class ModeChanged:
    mode: Mode
    at: float


@dataclass(frozen=True)
class CityLoaded:
    """The city model is known (its frame validates feed positions)."""


@dataclass(frozen=True)
class Stopped:
    """The instance stops: services built on the state stop their timers and threads."""


# ---------------------------------------------------------------------------- the dispatch desk
@dataclass(frozen=True)
class DeskChanged:
    """Gateway rows changed: ``incidents`` the ids touched (all of them on a state read)."""

    incidents: frozenset[str]
    units_changed: bool
    full: bool = False


@dataclass(frozen=True)
class AssignmentChanged:
    """A unit's assignment changed: the incident it is on now ("" once released)."""

    incident_id: str
    unit_id: str


@dataclass(frozen=True)
class DetailRead:
    """The gateway answered a detail question: the incident's row and its timeline."""

    incident_id: str
    timeline: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class SuggestionsRead:
    """The nearest suitable units for an incident (``desk.suggestions``)."""

    incident_id: str


@dataclass(frozen=True)
class OrderAnswered:
    """The gateway answered one of this desk's orders (``dispatch.outbox.OrderEntry``)."""

    entry: Any


@dataclass(frozen=True)
class GatewayEventTaken:
    """The desk took one of the gateway's dispatch events (``dispatch.wire.Event``; its ``alarm``
    carries alarm actions for the alarm sync)."""

    event: Any


@dataclass(frozen=True)
class LinkChanged:
    """Why the gateway does not answer this desk ("" once it does again)."""

    problem: str


# ---------------------------------------------------------------------------- operator intents
@dataclass(frozen=True)
class FocusRequested:
    x: float
    y: float
    distance_m: float
    label: str


@dataclass(frozen=True)
class CamerasRequested:
    camera_ids: tuple[str, ...]
    title: str


@dataclass(frozen=True)
class CamerasAroundRequested:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class IncidentSelected:
    incident_id: str


@dataclass(frozen=True)
class EntitySelected:
    entity_id: str


@dataclass(frozen=True)
class ObjectSelected:
    """A picked city object's record, or ``None`` when the selection was cleared."""

    record: dict[str, object] | None


@dataclass(frozen=True)
class IncidentRequested:
    """Raise an incident at the gateway (an alarm turned into one): type, severity, x, y, text …"""

    fields: dict[str, object]


@dataclass(frozen=True)
class FloodWhatIfRequested:
    level_m: float
    why: str
