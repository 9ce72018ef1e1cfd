"""Threshold, rate-of-change and silence conditions on metrics, sensors and feed sources.

Every (rule, source) pair is one row of a condition table held in numpy columns, so a tick is a
handful of array operations however many rules there are; Python runs only for rows that change
state (rare). Sources (a metric name, a sensor id, a feed source) get slots with a short history
ring each, which the rate rules and the early-warning forecast read.

Evaluation is incremental and exact: a threshold row whose source was not written since the last
tick cannot change state (same value, same rule), so a tick only tests the rows of written slots,
plus the time-driven ones (silence, rate windows that slide, pending minimum durations, forecasts
when due); a written source whose value lies inside its band (no row of it can flip) is skipped
whole. Of those, only rows whose condition would flip (fire or clear) or that are pending run
the full state update, in row order, so the events are the same as a full evaluation's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from controlroom.core.alarms.events import AlarmEvent
from controlroom.core.alarms.rules import Rule
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
        self.dirty = grow(g(self, "dirty", None), (cap,), 0).astype(bool)
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
        self.dirty[slots] = True

    def take_dirty(self) -> npt.NDArray[np.int64]:
        """Slots written since the last call (the one reader is ``ScalarConditions.evaluate``)."""
        written = np.flatnonzero(self.dirty[: len(self.index)])
        self.dirty[written] = False
        return written

    def heard(self, slots: npt.NDArray[np.int64], t: F64 | float) -> None:
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
        #: Test every row every tick: the reference the incremental tick must match (slower).
        self.always_full = False
        #: Where each source is (local metres), filled by the engine from the sensor store.
        self.places: dict[str, tuple[float, float]] = {}
        self._alloc_rows([], [])

    # ---------------------------------------------------------------- table
    def _alloc_rows(self, rule_idx: list[int], slot_idx: list[int]) -> None:
        rules = self.rules  # per-rule columns first, then one gather per column (rows >> rules)
        self.rule_idx = np.asarray(rule_idx, np.int64)
        self.slot = np.asarray(slot_idx, np.int64)
        ri = self.rule_idx
        self.kind = np.array([_KIND[r.kind] for r in rules], np.int64)[ri]
        self.sign = np.array(
            [1.0 if r.above is not None or r.kind == "silence" else -1.0 for r in rules], np.float64
        )[ri]
        self.thr = np.array(
            [
                r.after_s if r.kind == "silence" else (r.above if r.above is not None else r.below)
                for r in rules
            ],
            np.float64,
        )[ri]
        self.hyst = np.array([r.hysteresis for r in rules], np.float64)[ri]
        self.min_dur = np.array([r.min_duration_s for r in rules], np.float64)[ri]
        self.window = np.array([r.window_s for r in rules], np.float64)[ri]
        self.horizon = np.array([r.forecast_horizon_s or 0.0 for r in rules], np.float64)[ri]
        old = {k: i for i, k in enumerate(self._keys)}
        names = self.slots.names
        keys = list(zip(rule_idx, [names[s] for s in slot_idx], strict=True))
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
        self._forecast_rows = np.flatnonzero(self.horizon > 0)
        self._index_rows()

    def _index_rows(self) -> None:
        """Lookup tables for incremental ticks: threshold rows grouped by slot, rate windows."""
        n = len(self._keys)
        self._sil_rows = np.flatnonzero(self.kind == _SILENCE)
        self._rate_rows = np.flatnonzero(self.kind == _RATE)
        thr_rows = np.flatnonzero(self.kind == _THRESHOLD)
        # Threshold rows sorted by slot (CSR): the rows of one slot are one contiguous run.
        self._c_row = thr_rows[np.argsort(self.slot[thr_rows], kind="stable")]
        self._c_slot = self.slot[self._c_row]
        self._c_thr = self.thr[self._c_row]
        counts = np.bincount(self._c_slot, minlength=max(len(self.slots), 1))
        self._c_count = counts
        self._c_start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self._c_pos = np.full(n, -1, np.int64)
        self._c_pos[self._c_row] = np.arange(len(self._c_row))
        # Rate rows on the same source and window share one rate computation.
        row_pairs = list(
            zip(self.slot[self._rate_rows].tolist(), self.window[self._rate_rows].tolist(), strict=True)
        )
        pairs = sorted(set(row_pairs))
        pair_of = {p: i for i, p in enumerate(pairs)}
        self._rate_pair = np.array([pair_of[p] for p in row_pairs], np.int64)
        self._pair_slot = np.array([p[0] for p in pairs], np.int64)
        self._pair_window = np.array([p[1] for p in pairs], np.float64)
        # Which way a row's condition would flip: inactive rows test sign*(m-thr) > 0 (raise),
        # active ones -sign*(m-thr) > hyst (clear); the same comparisons as the full update.
        self._flip_sign = np.where(self.active, -self.sign, self.sign)
        self._flip_lim = np.where(self.active, self.hyst, 0.0)
        self._c_flip_sign = self._flip_sign[self._c_row]
        self._c_flip_lim = self._flip_lim[self._c_row]
        self._band_lo = np.full(len(counts), -np.inf)
        self._band_hi = np.full(len(counts), np.inf)
        for slot in np.flatnonzero(counts).tolist():
            self._set_band(slot)
        self._measure = np.full(n, math.nan)
        self._pending = np.flatnonzero(~np.isnan(self.pending_since) & ~self.active)
        self._full = True  # new or re-matched rows: test every row once
        self._forecast_due = -math.inf  # earliest next forecast among rows not active

    def _set_active(self, row: int, active: bool) -> None:
        self.active[row] = active
        if not active:  # a cleared row waits for forecasts again
            self._forecast_due = min(self._forecast_due, float(self.next_forecast[row]))
        sign = -self.sign[row] if active else self.sign[row]
        lim = self.hyst[row] if active else 0.0
        self._flip_sign[row] = sign
        self._flip_lim[row] = lim
        pos = self._c_pos[row]
        if pos >= 0:
            self._c_flip_sign[pos] = sign
            self._c_flip_lim[pos] = lim
            self._set_band(int(self._c_slot[pos]))

    def _set_band(self, slot: int) -> None:
        """The values of this source for which none of its threshold rows can flip.

        Row j flips when sign_j * (v - thr_j) > lim_j. Each bound is rounded one step inwards,
        so a value inside the band provably leaves every row as it is (no flip is missed); a
        value outside, or a NaN bound, only means the rows are tested one by one.
        """
        run = slice(int(self._c_start[slot]), int(self._c_start[slot] + self._c_count[slot]))
        sign, thr, lim = self._c_flip_sign[run], self._c_thr[run], self._c_flip_lim[run]
        up = sign > 0
        self._band_hi[slot] = np.min(np.nextafter(thr[up] + lim[up], -np.inf), initial=np.inf)
        self._band_lo[slot] = np.max(np.nextafter(thr[~up] - lim[~up], np.inf), initial=-np.inf)

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
        written = self.slots.take_dirty()
        if not self.slot.size:
            return []
        rows = self._rows_to_update(now, written)
        events: list[AlarmEvent] = []
        if rows.size:
            events = self._update(rows, now)
        if self._forecast_rows.size:
            events += self._forecast(now)
        return events

    def _rows_to_update(self, now: float, written: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Rows whose state may change this tick (sorted); silence and rate measures to ``_measure``."""
        sl, m = self.slots, self._measure
        flips = [self._pending]
        self._full |= self.always_full
        cand = np.arange(len(self._c_row)) if self._full else self._csr_rows(written)
        if cand.size == len(self._c_row):  # every threshold row a candidate: whole columns
            rows, value = self._c_row, sl.value[self._c_slot]
            sign, thr, lim = self._c_flip_sign, self._c_thr, self._c_flip_lim
        else:
            rows, value = self._c_row[cand], sl.value[self._c_slot[cand]]
            sign, thr, lim = self._c_flip_sign[cand], self._c_thr[cand], self._c_flip_lim[cand]
        with np.errstate(invalid="ignore"):
            flips.append(rows[sign * (value - thr) > lim])
        if self._sil_rows.size:  # time-driven: silence grows every tick
            m[self._sil_rows] = now - sl.seen[self.slot[self._sil_rows]]
            flips.append(self._flipping(self._sil_rows))
        if self._rate_rows.size:  # windows slide with time: one rate per (source, window)
            rate = sl.rate_per_min(self._pair_slot, now, self._pair_window)
            m[self._rate_rows] = rate[self._rate_pair]
            flips.append(self._flipping(self._rate_rows))
        if self._full:
            self._full = False
            return np.arange(len(self._keys))
        return np.unique(np.concatenate(flips))

    def _flipping(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Those of these rows (measure in ``_measure``) that would raise or clear now."""
        with np.errstate(invalid="ignore"):
            delta = self._measure[rows] - self.thr[rows]
            return rows[self._flip_sign[rows] * delta > self._flip_lim[rows]]

    def _csr_rows(self, slots: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Positions (in slot order) of the threshold rows of these slots that may flip."""
        slots = slots[slots < len(self._c_count)]
        value = self.slots.value[slots]
        slots = slots[~((value >= self._band_lo[slots]) & (value <= self._band_hi[slots]))]
        counts = self._c_count[slots]
        total = int(counts.sum())
        if total == len(self._c_row):  # every source with threshold rows was written
            return np.arange(total)
        if not total:
            return np.zeros(0, np.int64)
        offsets = np.cumsum(counts) - counts
        return np.repeat(self._c_start[slots] - offsets, counts) + np.arange(total)

    def _update(self, rows: npt.NDArray[np.int64], now: float) -> list[AlarmEvent]:
        """The full state update (same arithmetic as testing every row) for these rows only."""
        is_thr = self.kind[rows] == _THRESHOLD
        measure = np.where(is_thr, self.slots.value[self.slot[rows]], self._measure[rows])
        with np.errstate(invalid="ignore"):
            excess = self.sign[rows] * (measure - self.thr[rows])
            over = excess > 0
            back = excess < -self.hyst[rows]
        active = self.active[rows]
        pending = self.pending_since[rows]
        starting = over & ~active
        pending = np.where(starting & np.isnan(pending), now, pending)
        pending = np.where(over, pending, np.nan)
        fire = starting & (now - pending >= self.min_dur[rows])
        clear = active & back
        self.pending_since[rows] = pending
        events: list[AlarmEvent] = []
        for i in np.flatnonzero(fire).tolist():
            row = int(rows[i])
            self._set_active(row, True)
            self.predicted[row] = False  # a prediction that comes true becomes this alarm
            events.append(self._event("raised", row, now, float(measure[i])))
        for i in np.flatnonzero(clear).tolist():
            row = int(rows[i])
            self._set_active(row, False)
            events.append(self._event("cleared", row, now, float(measure[i])))
        self._pending = rows[~np.isnan(pending) & ~self.active[rows]]
        return events

    def _forecast(self, now: float) -> list[AlarmEvent]:
        if now < self._forecast_due:  # no waiting row is due yet (the usual tick)
            return []
        rows = self._forecast_rows
        waiting = rows[~self.active[rows]]
        due = waiting[now >= self.next_forecast[waiting]]
        events: list[AlarmEvent] = []
        windows: dict[tuple[int, float], tuple[F64, F64]] = {}  # rules sharing a source and window
        for row in due.tolist():
            self.next_forecast[row] = now + FORECAST_EVERY_S
            slot = int(self.slot[row])
            key = (slot, float(self.window[row]))
            if key not in windows:
                windows[key] = self.slots.window(slot, now, key[1])
            t, v = windows[key]
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
        self._forecast_due = float(self.next_forecast[waiting].min()) if waiting.size else math.inf
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
