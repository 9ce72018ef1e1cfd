"""The gateway's answers to the desks' questions: state, incident, suggest, route, audit, alarm
trail, counts. Read-only: nothing here changes the store.

A mixin of ``Gateway`` (which owns the store, the router and the live unit positions); a question
with missing or wrong arguments raises ``BadQueryError``, answered with its message.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from controlroom.dispatch import wire
from controlroom.dispatch.routing import point_problem
from controlroom.dispatch.units import DISPATCHABLE_KINDS, rank_units

if TYPE_CHECKING:
    from controlroom.dispatch.alarm_trail import AlarmTrail
    from controlroom.dispatch.routing import AdminRouter
    from controlroom.dispatch.store import Store


class GatewayQueries:
    """Questions of ``Gateway`` (which provides these attributes)."""

    store: Store
    alarms: AlarmTrail
    router: AdminRouter
    epoch: float
    event_seq: int
    live_positions: dict[str, tuple[float, float]]

    def _query(self, req: wire.Request) -> wire.Reply:
        q, args = req.query, req.args
        st = self.store
        if q == "state":
            incidents = st.incidents(open_only=not args.get("all"))
            return wire.Reply(
                req.id,
                True,
                result={
                    "epoch": self.epoch,
                    "seq": self.event_seq,
                    "incidents": [wire.incident_dict(i) for i in incidents],
                    "units": [self._unit_view(u) for u in st.units()],
                },
            )
        if q == "incident":
            inc_id = _text_arg(q, args, "id", "an incident id")
            inc = st.incident(inc_id)
            if inc is None:
                return wire.Reply(req.id, False, f"no incident {inc_id!r}")
            return wire.Reply(
                req.id,
                True,
                result={
                    "incident": wire.incident_dict(inc),
                    "units": [self._unit_view(u) for u in st.units_on(inc.id)],
                    "timeline": st.timeline(inc.id),
                },
            )
        if q == "suggest":
            inc_id = _text_arg(q, args, "id", "an incident id")
            limit = _int_arg(q, args, "limit", 5, 1, 100)
            inc = st.incident(inc_id)
            if inc is None:
                return wire.Reply(req.id, False, f"no incident {inc_id!r}")
            kinds = self.router.unit_kinds(inc.type)
            ranked = rank_units(st.units(), inc.lon, inc.lat, kinds, self.live_positions, limit)
            return wire.Reply(
                req.id,
                True,
                result={"units": [c.as_json() for c in ranked], "kinds": kinds or sorted(DISPATCHABLE_KINDS)},
            )
        if q == "route":
            x = _number_arg(q, args, "x", "longitude or easting")
            y = _number_arg(q, args, "y", "latitude or northing")
            crs = _text_arg(q, args, "crs", "EPSG:<code>, gcj02 or bd09", "EPSG:4326")
            try:
                problem = point_problem(x, y, crs)
            except ValueError as exc:
                raise BadQueryError(f"query 'route': {exc}") from None
            if problem:
                raise BadQueryError(f"query 'route': ({x:.10g}, {y:.10g}) in {crs} is not a place: {problem}")
            return wire.Reply(req.id, True, result=self.router.route(x, y, crs).as_json())
        if q == "audit":
            return wire.Reply(req.id, True, result={"audit": st.audit(_int_arg(q, args, "since", 0, 0))})
        if q == "alarm_trail":
            key = args.get("alarm_key")
            if key is not None and not isinstance(key, str):
                why = "alarm_key as text ('rule|subject')"
                raise BadQueryError(f"query 'alarm_trail' needs {why}; got {key!r}")
            trail = self.alarms.entries(_int_arg(q, args, "since", 0, 0), key or None)
            return wire.Reply(req.id, True, result={"alarm_trail": trail})
        if q == "counts":
            return wire.Reply(req.id, True, result=st.counts())
        expected = "state, incident, suggest, route, audit, alarm_trail, counts"
        raise BadQueryError(f"unknown query {q!r}; expected {expected}")

    def _unit_view(self, u: Any) -> dict[str, Any]:
        d = wire.unit_dict(u)
        live = self.live_positions.get(u.id)
        if live:
            d["lon"], d["lat"] = live
        return d


class BadQueryError(ValueError):
    """A question with missing or wrong arguments: answered with this message, never a traceback."""


_MISSING: Any = object()
_SEQ_MAX = 2**63 - 1  # what a store's integer column holds


def _arg(q: str, args: dict[str, Any], name: str, what: str, default: Any) -> Any:
    if name in args:
        return args[name]
    if default is _MISSING:
        raise BadQueryError(f"query {q!r} needs {name} ({what}); it was not given")
    return default


def _text_arg(q: str, args: dict[str, Any], name: str, what: str, default: Any = _MISSING) -> str:
    v = _arg(q, args, name, what, default)
    if not isinstance(v, str) or not v:
        raise BadQueryError(f"query {q!r} needs {name} as text ({what}); got {v!r}")
    return v


def _number_arg(q: str, args: dict[str, Any], name: str, what: str) -> float:
    v = _arg(q, args, name, what, _MISSING)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise BadQueryError(f"query {q!r} needs {name} as a finite number ({what}); got {v!r}")
    return float(v)


def _int_arg(q: str, args: dict[str, Any], name: str, default: int, low: int, high: int = _SEQ_MAX) -> int:
    v = _arg(q, args, name, "a whole number", default)
    if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= high:
        span = f"{low}…{high}" if high < _SEQ_MAX else f">= {low}"
        raise BadQueryError(f"query {q!r} needs {name} as a whole number {span}; got {v!r}")
    return v
