"""Threshold, rate-of-change and silence conditions on metrics, sensors and feed sources.

Every (rule, source) pair is one row of a condition table held in numpy columns, so a tick is a
handful of array operations however many rules there are; Python runs only for rows that change
state (rare). Sources (a metric name, a sensor id, a feed source) get slots with a short history
ring each, which the rate rules and the early-warning forecast read.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from controlroom.core.alarm_events import AlarmEvent
from controlroom.core.alarm_rules import Rule
from controlroom.core.forecast import forecast_crossing

F64 = npt.NDArray[np.float64]
HISTORY = 256  # samples kept per source (rate windows and forecasts read from here)
FORECAST_EVERY_S = 5.0  # re-fit a source's trend at most this often
_THRESHOLD, _RATE, _SILENCE = 0, 1, 2
_KIND = {"threshold": _THRESHOLD, "rate": _RATE, "silence": _SILENCE}


class SourceSlots:
    """Latest value, last-heard time and a history ring per source key ('metric:aqi', 'sensor:X')."""

    def __init__(self, capacity: int = 64) -> None:
        self.index: dict[str, int] = {}
        self.names: list[str] = []
        self.units: list[str] = []
        self.kinds: list[str] = []  # sensor kind, for rules on a sensor kind
        self._alloc(capacity)

    def _alloc(self, cap: int) -> None:
        n = len(self.index)

        def grow(old: npt.NDArray | None, shape: tuple[int, ...], fill: float) -> npt.NDArray:
            new = np.full(shape, fill)
            if old is not None and n:
                new[:n] = old[:n]
            return new

        g = getattr
        self.value: F64 = grow(g(self, "value", None), (cap,), math.nan)
        self.seen: F64 = grow(g(self, "seen", None), (cap,), math.nan)
        self.hist_t: F64 = grow(g(self, "hist_t", None), (cap, HISTORY), math.nan)
        self.hist_v: F64 = grow(g(self, "hist_v", None), (cap, HISTORY), math.nan)
        self.head = grow(g(self, "head", None), (cap,), 0).astype(np.int64)
        self.cap = cap

    def __len__(self) -> int:
        return len(self.index)

    def slot(self, key: str, unit: str = "", kind: str = "") -> int:
        s = self.index.get(key)
        if s is None:
            s = len(self.index)
            if s >= self.cap:
                self._alloc(self.cap * 2)
            self.index[key] = s
            self.names.append(key)
            self.units.append(unit)
            self.kinds.append(kind)
        return s

    def write(self, slots: npt.NDArray[np.int64], t: F64 | float, v: F64 | float) -> None:
        """New samples for distinct slots (vectorised).

        A sample at the same instant as a slot's latest one replaces it rather than adding a
        second point at that time (rates and forecasts need one value per instant).
        """
        if not slots.size:
            return
        head = self.head[slots]
        same_instant = self.hist_t[slots, (head - 1) % HISTORY] == t
        self.value[slots] = v
        self.seen[slots] = t
        h = (head - same_instant) % HISTORY
        self.hist_t[slots, h] = t
        self.hist_v[slots, h] = v
        self.head[slots] = (h + 1) % HISTORY

    def heard(self, slots: npt.NDArray[np.int64], t: float) -> None:
        """A sign of life without a value (feed heartbeats)."""
        self.seen[slots] = t

    def window(self, slot: int, now: float, seconds: float) -> tuple[F64, F64]:
        """One source's samples in [now - seconds, now], time-sorted."""
        t, v = self.hist_t[slot], self.hist_v[slot]
        keep = (t >= now - seconds) & (t <= now)
        t, v = t[keep], v[keep]
        order = np.argsort(t, kind="stable")
        return t[order], v[order]

    def rate_per_min(self, slots: npt.NDArray[np.int64], now: float, window: F64) -> F64:
        """(latest - oldest in window) / elapsed, per minute, for each slot; NaN with < 2 samples."""
        t = self.hist_t[slots]
        v = self.hist_v[slots]
        inside = t >= (now - window)[:, None]
        first = np.where(inside, t, np.inf).argmin(axis=1)
        last = np.where(inside, t, -np.inf).argmax(axis=1)
        rows = np.arange(len(slots))
        dt = t[rows, last] - t[rows, first]
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = (v[rows, last] - v[rows, first]) / dt * 60.0
        return np.where((inside.sum(axis=1) >= 2) & (dt > 0), rate, np.nan)


class ScalarConditions:
    """All threshold/rate/silence rows; ``evaluate`` returns the events of one tick."""

    def __init__(self, rules: Sequence[Rule], slots: SourceSlots) -> None:
        self.rules = [r for r in rules if r.kind in _KIND]
        self.slots = slots
        self._keys: list[tuple[int, str]] = []  # (rule index, source key) per row
        self._n_slots_seen = -1
        #: Where each source is (local metres), filled by the engine from the sensor store.
        self.places: dict[str, tuple[float, float]] = {}
        self._alloc_rows([], [])

    # ---------------------------------------------------------------- table
    def _alloc_rows(self, rule_idx: list[int], slot_idx: list[int]) -> None:
        rules = [self.rules[i] for i in rule_idx]
        self.rule_idx = np.asarray(rule_idx, np.int64)
        self.slot = np.asarray(slot_idx, np.int64)
        self.kind = np.array([_KIND[r.kind] for r in rules], np.int64)
        self.sign = np.array([1.0 if r.above is not None or r.kind == "silence" else -1.0 for r in rules])
        self.thr = np.array(
            [
                r.after_s if r.kind == "silence" else (r.above if r.above is not None else r.below)
                for r in rules
            ],
            np.float64,
        )
        self.hyst = np.array([r.hysteresis for r in rules], np.float64)
        self.min_dur = np.array([r.min_duration_s for r in rules], np.float64)
        self.window = np.array([r.window_s for r in rules], np.float64)
        self.horizon = np.array([r.forecast_horizon_s or 0.0 for r in rules], np.float64)
        old = {k: i for i, k in enumerate(self._keys)}
        keys = [(ri, self._source_of(si)) for ri, si in zip(rule_idx, slot_idx, strict=True)]
        carry = np.array([old.get(k, -1) for k in keys], np.int64)
        prev_active = getattr(self, "active", np.zeros(0, bool))
        prev_pending = getattr(self, "pending_since", np.zeros(0))
        prev_pred = getattr(self, "predicted", np.zeros(0, bool))
        has = carry >= 0
        self.active = np.zeros(len(keys), bool)
        self.pending_since = np.full(len(keys), np.nan)
        self.predicted = np.zeros(len(keys), bool)
        self.next_forecast = np.zeros(len(keys))
        self.active[has] = prev_active[carry[has]]
        self.pending_since[has] = prev_pending[carry[has]]
        self.predicted[has] = prev_pred[carry[has]]
        self._keys = keys
        self._is_rate = self.kind == _RATE
        self._is_silence = self.kind == _SILENCE
        self._forecast_rows = np.flatnonzero(self.horizon > 0)

    def _source_of(self, slot: int) -> str:
        return self.slots.names[slot]

    def rebuild_if_new_sources(self) -> None:
        """Match rules to sources again when new sources (sensors, metrics) appeared."""
        if len(self.slots) == self._n_slots_seen:
            return
        self._n_slots_seen = len(self.slots)
        rows_r: list[int] = []
        rows_s: list[int] = []
        by_kind: dict[str, list[int]] = {}
        for key, s in self.slots.index.items():
            if key.startswith("sensor:"):
                by_kind.setdefault(self.slots.kinds[s], []).append(s)
        for i, r in enumerate(self.rules):
            if r.sensor_kind is not None:
                matches: Iterable[int] = by_kind.get(r.sensor_kind, [])
            else:
                found = self.slots.index.get(r.source_key)
                matches = [] if found is None else [found]
            for s in matches:
                rows_r.append(i)
                rows_s.append(s)
        self._alloc_rows(rows_r, rows_s)

    def ensure_feed_slots(self) -> None:
        """Silence rules on feed sources watch a slot from the start (silent since start-up)."""
        for r in self.rules:
            if r.feed_source is not None:
                self.slots.slot(r.source_key)

    # ---------------------------------------------------------------- tick
    def evaluate(self, now: float) -> list[AlarmEvent]:
        self.rebuild_if_new_sources()
        if not self.slot.size:
            return []
        sl = self.slots
        measure = sl.value[self.slot].copy()
        if self._is_silence.any():
            measure[self._is_silence] = now - sl.seen[self.slot[self._is_silence]]
        if self._is_rate.any():
            measure[self._is_rate] = sl.rate_per_min(
                self.slot[self._is_rate], now, self.window[self._is_rate]
            )
        with np.errstate(invalid="ignore"):
            excess = self.sign * (measure - self.thr)
            over = excess > 0
            back = excess < -self.hyst
        starting = over & ~self.active
        self.pending_since = np.where(starting & np.isnan(self.pending_since), now, self.pending_since)
        self.pending_since = np.where(over, self.pending_since, np.nan)
        fire = starting & (now - self.pending_since >= self.min_dur)
        clear = self.active & back
        events: list[AlarmEvent] = []
        for row in np.flatnonzero(fire):
            self.active[row] = True
            self.predicted[row] = False  # a prediction that comes true becomes this alarm
            events.append(self._event("raised", int(row), now, float(measure[row])))
        for row in np.flatnonzero(clear):
            self.active[row] = False
            events.append(self._event("cleared", int(row), now, float(measure[row])))
        if self._forecast_rows.size:
            events += self._forecast(now)
        return events

    def _forecast(self, now: float) -> list[AlarmEvent]:
        rows = self._forecast_rows
        due = rows[(now >= self.next_forecast[rows]) & ~self.active[rows]]
        events: list[AlarmEvent] = []
        for row in due.tolist():
            self.next_forecast[row] = now + FORECAST_EVERY_S
            slot = int(self.slot[row])
            t, v = self.slots.window(slot, now, self.window[row])
            hit = forecast_crossing(
                t, v, float(self.thr[row]), int(self.sign[row]), now, float(self.horizon[row])
            )
            if hit is not None and not self.predicted[row]:
                self.predicted[row] = True
                events.append(
                    self._event(
                        "predicted",
                        row,
                        now,
                        float(self.slots.value[slot]),
                        hit.eta_s,
                        hit.eta_lo_s,
                        hit.eta_hi_s,
                    )
                )
            elif hit is None and self.predicted[row]:
                self.predicted[row] = False
                events.append(self._event("withdrawn", row, now, float(self.slots.value[slot])))
        return events

    def _event(
        self,
        kind: str,
        row: int,
        now: float,
        value: float,
        eta: float = math.nan,
        lo: float = math.nan,
        hi: float = math.nan,
    ) -> AlarmEvent:
        rule = self.rules[int(self.rule_idx[row])]
        source = self._keys[row][1]
        slot = int(self.slot[row])
        subject = source.split(":", 1)[1]
        unit = "s" if rule.kind == "silence" else self.slots.units[slot]
        if rule.kind == "rate":
            unit = f"{unit}/min" if unit else "/min"
        x, y = self.places.get(source, (math.nan, math.nan))
        return AlarmEvent(kind, rule, subject, now, value, unit, x, y, eta, lo, hi)  # type: ignore[arg-type]
