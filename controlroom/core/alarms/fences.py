"""Geofence conditions (an entity of given kinds entering, leaving or dwelling in a zone) and
incident-severity conditions.

Geofences keep per-entity state as boolean/float columns aligned with the entity store's rows,
and test containment only for rows updated since the last tick (one vectorised call per zone,
shared by every rule on that zone, after a bounding-box cut). Only rows whose zone membership
or kind changed go on to the (fences × rows) step, so a tick costs about the number of moving
vehicles times the number of zones, not times the number of rules. When the store compacts its
rows (expired entities), the columns are re-mapped by id once.

With a zone index that also gives clearances (``ClearanceIndex``), each row remembers where it was
last tested and how far that point was from every zone edge: a row that has since moved less than
that cannot have crossed an edge (a disc that meets no edge lies wholly inside or outside each
zone), so only rows that moved further are tested again, with the same result as testing all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from controlroom.core.alarms.events import AlarmEvent, EventKind, ZoneIndex
from controlroom.core.alarms.rules import Rule, zone_key
from controlroom.core.entities import EntityStore
from controlroom.core.incidents import IncidentBoard
from controlroom.core.protocol import ENTITY_KINDS

_ENTER, _LEAVE, _DWELL = 0, 1, 2
_NO_KIND = 255
DWELL_CHECK_S = 1.0  # dwell timers are checked at this rate (dwell times are minutes)


@runtime_checkable
class ClearanceIndex(ZoneIndex, Protocol):
    """A zone index that also says how far each point is from the nearest zone edge."""

    def membership(
        self, keys: Sequence[str], x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
        """(keys × points) membership as ``contains`` gives it, and per point a lower bound of its
        distance to every edge of those zones (0 where unknown)."""
        ...


class GeofenceConditions:
    """All geofence rules as (fences × entities) boolean/float matrices, evaluated in one go."""

    def __init__(self, rules: Sequence[Rule], zones: ZoneIndex | None, *, use_clearance: bool = True) -> None:
        """``use_clearance=False`` tests every updated row exactly (the reference the fast path
        is checked against); it is also what a zone index without clearances gets."""
        self.rules = [r for r in rules if r.kind == "geofence"]
        self.zones = zones
        zone_keys = sorted({zone_key(r) for r in self.rules})
        self.zone_keys = zone_keys
        self.zone_of = np.array([zone_keys.index(zone_key(r)) for r in self.rules], np.int64)
        self.lut = np.zeros((len(self.rules), 256), bool)  # fence × kind code → watched
        for f, r in enumerate(self.rules):
            kinds = r.entity_kinds or list(ENTITY_KINDS)
            self.lut[f, [ENTITY_KINDS.index(k) for k in kinds]] = True
        trig = np.array([("enter", "leave", "dwell").index(r.trigger) for r in self.rules], np.int64)
        self.is_leave = (trig == _LEAVE)[:, None]
        self.is_enter = (trig == _ENTER)[:, None]
        self.dwell_rows = np.flatnonzero(trig == _DWELL)
        self.dwell_s = np.array([r.dwell_s for r in self.rules])[self.dwell_rows, None]
        f, z = len(self.rules), len(zone_keys)
        self.zone_in = np.zeros((z, 0), bool)
        self.inside = np.zeros((f, 0), bool)
        self.alarmed = np.zeros((f, 0), bool)
        self.since = np.zeros((self.dwell_rows.size, 0))  # dwell fences × rows: when it went in
        self.known = np.zeros(0, bool)
        self.kind_seen = np.zeros(0, np.uint8)  # the kind each row had when last tested
        self.clearance_index = zones if use_clearance and isinstance(zones, ClearanceIndex) else None
        self.ref_x = np.zeros(0)  # where each row was last tested …
        self.ref_y = np.zeros(0)
        self.clearance = np.zeros(0)  # … and how far that was from every zone edge (0: test again)
        self._ids_ref: list[str] | None = None
        self._ids_copy: list[str] = []
        self._last_eval = -math.inf
        self._next_dwell = -math.inf

    def _realign(self, store: EntityStore) -> None:
        """Keep the per-entity columns aligned with the store's rows (grown or compacted)."""
        n = len(store)
        if store.ids is not self._ids_ref:  # compaction (or first sight): map old rows to new by id
            old = {entity_id: r for r, entity_id in enumerate(self._ids_copy)}
            take = np.array([old.get(i, -1) for i in store.ids], np.int64)
            have = take >= 0

            def remap(a: npt.NDArray, fill: object) -> npt.NDArray:
                out = np.full((*a.shape[:-1], n), fill, a.dtype)
                if a.shape[-1]:
                    out[..., have] = a[..., take[have]]
                return out

            self.zone_in, self.inside = remap(self.zone_in, False), remap(self.inside, False)
            self.alarmed, self.known = remap(self.alarmed, False), remap(self.known, False)
            self.since = remap(self.since, math.nan)
            self.kind_seen = remap(self.kind_seen, _NO_KIND)
            self.ref_x, self.ref_y = remap(self.ref_x, math.nan), remap(self.ref_y, math.nan)
            self.clearance = remap(self.clearance, 0.0)
            self._ids_ref = store.ids
            self._ids_copy = list(store.ids)
        elif n > len(self._ids_copy):  # new entities were appended

            def grow(a: npt.NDArray, fill: object) -> npt.NDArray:
                pad = np.full((*a.shape[:-1], n - a.shape[-1]), fill, a.dtype)
                return np.concatenate([a, pad], axis=-1)

            self.zone_in, self.inside = grow(self.zone_in, False), grow(self.inside, False)
            self.alarmed, self.known = grow(self.alarmed, False), grow(self.known, False)
            self.since = grow(self.since, math.nan)
            self.kind_seen = grow(self.kind_seen, _NO_KIND)
            self.ref_x, self.ref_y = grow(self.ref_x, math.nan), grow(self.ref_y, math.nan)
            self.clearance = grow(self.clearance, 0.0)
            self._ids_copy.extend(store.ids[len(self._ids_copy) :])

    def evaluate(self, store: EntityStore, removed: Sequence[str], now: float) -> list[AlarmEvent]:
        if not self.rules or self.zones is None:
            return []
        events: list[AlarmEvent] = []
        if removed:  # alarms on entities that left the feed clear (they are gone)
            gone = set(removed)
            for f, r in zip(*np.nonzero(self.alarmed), strict=True):
                if self._ids_copy[r] in gone:
                    events.append(AlarmEvent("cleared", self.rules[f], self._ids_copy[r], now))
        self._realign(store)
        if not len(store):
            return events
        # >=: a move stamped at the instant of the last evaluation (two ticks at one clock time)
        # is re-tested; _changed_rows drops the rows that did not actually cross anything
        rows = np.flatnonzero(store.last_seen >= self._last_eval)
        self._last_eval = now
        fire_parts: list[tuple[npt.NDArray, npt.NDArray]] = []
        clear_parts: list[tuple[npt.NDArray, npt.NDArray]] = []
        if rows.size:
            rows = self._changed_rows(store, rows)
        if rows.size:
            now_in = self.zone_in[:, rows][self.zone_of] & self.lut[:, store.kind[rows]]
            was_in = self.inside[:, rows]
            alarmed = self.alarmed[:, rows]
            if self.dwell_rows.size:
                d_in, d_was = now_in[self.dwell_rows], was_in[self.dwell_rows]
                since = self.since[:, rows]
                self.since[:, rows] = np.where(d_in & ~d_was, now, np.where(d_in, since, math.nan))
            known = self.known[rows][None, :]
            fire = (self.is_enter & now_in & ~alarmed) | (self.is_leave & known & was_in & ~now_in & ~alarmed)
            clear = alarmed & np.where(self.is_leave, now_in, ~now_in)
            self.inside[:, rows] = now_in
            self.known[rows] = True
            if fire.any():
                f_idx, r_idx = np.nonzero(fire)
                fire_parts.append((f_idx, rows[r_idx]))
            if clear.any():
                f_idx, r_idx = np.nonzero(clear)
                clear_parts.append((f_idx, rows[r_idx]))
        if self.dwell_rows.size and now >= self._next_dwell:
            self._next_dwell = now + DWELL_CHECK_S
            d = self.dwell_rows
            cols = np.flatnonzero(self.zone_in.any(axis=0))  # only rows inside some zone can dwell
            sub = np.ix_(d, cols)
            with np.errstate(invalid="ignore"):
                waited = now - self.since[:, cols] >= self.dwell_s
                due = self.inside[sub] & ~self.alarmed[sub] & waited
            if due.any():
                f_idx, r_idx = np.nonzero(due)
                fire_parts.append((d[f_idx], cols[r_idx]))
        for parts, raised in ((fire_parts, True), (clear_parts, False)):
            for f_arr, r_arr in parts:  # (fence, row) pairs, each at most once per part
                change = self.alarmed[f_arr, r_arr] != raised
                f_arr, r_arr = f_arr[change], r_arr[change]
                self.alarmed[f_arr, r_arr] = raised
                events.extend(self._events("raised" if raised else "cleared", f_arr, r_arr, store, now))
        return events

    def _changed_rows(self, store: EntityStore, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Test the updated rows against every zone (one vectorised call per zone) and keep only
        those whose membership of some zone or whose kind changed, or that are new: every fence
        condition is a function of these, so the (fences × rows) work that follows shrinks from
        every moving vehicle to the few crossing a zone edge this tick, with the same result."""
        assert self.zones is not None
        x, y = store.x[rows], store.y[rows]
        kinds = store.kind[rows]
        if self.clearance_index is not None:
            now_in, keep = self._cleared_membership(rows, x, y, kinds)
            rows, kinds = rows[keep], kinds[keep]
            if not rows.size:  # the usual tick: nobody moved past their clearance
                return rows
        else:
            now_in = np.empty((len(self.zone_keys), rows.size), bool)
            for z, key in enumerate(self.zone_keys):
                now_in[z] = self.zones.contains(key, x, y)
        was_in = self.zone_in[:, rows]
        dirty = (now_in != was_in).any(axis=0)
        dirty |= ~self.known[rows] | (kinds != self.kind_seen[rows])
        # a row outside every zone before and now (most new vehicles) changes no fence: mark it seen
        quiet = dirty & ~(now_in.any(axis=0) | was_in.any(axis=0))
        self.known[rows[quiet]] = True
        dirty &= ~quiet
        self.kind_seen[rows] = kinds
        rows = rows[dirty]
        self.zone_in[:, rows] = now_in[:, dirty]
        return rows

    def _cleared_membership(
        self, rows: npt.NDArray[np.int64], x: npt.NDArray, y: npt.NDArray, kinds: npt.NDArray
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """Membership of the rows that may have changed (``keep``, a mask over ``rows``): those
        that moved at least their clearance (tested again), are new or changed kind. The other
        rows keep their membership and kind, so nothing about them can change this tick."""
        assert self.clearance_index is not None
        moved = np.hypot(x - self.ref_x[rows], y - self.ref_y[rows])
        retest = ~(moved < self.clearance[rows])  # NaN (never tested, non-finite) → test
        keep = retest | ~self.known[rows] | (kinds != self.kind_seen[rows])
        now_in = self.zone_in[:, rows[keep]]
        sub = np.flatnonzero(retest[keep])
        if sub.size:
            at = np.flatnonzero(retest)
            now_in[:, sub], clearance = self.clearance_index.membership(self.zone_keys, x[at], y[at])
            tested = rows[at]
            self.ref_x[tested], self.ref_y[tested], self.clearance[tested] = x[at], y[at], clearance
        return now_in, keep

    def _events(
        self, kind: EventKind, f_arr: npt.NDArray, r_arr: npt.NDArray, store: EntityStore, now: float
    ) -> list[AlarmEvent]:
        rules, ids = self.rules, store.ids
        xs, ys = store.x[r_arr].tolist(), store.y[r_arr].tolist()
        return [
            AlarmEvent(kind, rules[f], ids[r], now, x=x, y=y)
            for f, r, x, y in zip(f_arr.tolist(), r_arr.tolist(), xs, ys, strict=True)
        ]


class IncidentConditions:
    """An open incident at or above a severity (and of given types) is a condition until it closes."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = [r for r in rules if r.kind == "incident"]
        self.active: dict[str, set[str]] = {r.id: set() for r in self.rules}
        self._version = -1

    def evaluate(self, board: IncidentBoard, now: float) -> list[AlarmEvent]:
        if not self.rules or board.version == self._version:
            return []
        self._version = board.version
        events: list[AlarmEvent] = []
        items = board.all()
        for r in self.rules:
            hit = {
                i.id: i
                for i in items
                if i.is_open
                and i.severity >= r.min_severity
                and (not r.incident_types or i.type in r.incident_types)
            }
            act = self.active[r.id]
            for inc_id in sorted(hit.keys() - act):
                i = hit[inc_id]
                events.append(AlarmEvent("raised", r, inc_id, now, float(i.severity), "", i.x, i.y))
            for inc_id in sorted(act - hit.keys()):
                events.append(AlarmEvent("cleared", r, inc_id, now))
            self.active[r.id] = set(hit)
        return events
