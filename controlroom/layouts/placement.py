"""Solving a layout against the screens that really exist: which window goes where, showing what.

The result (:class:`Placement`) is plain data the Qt wall manager turns into windows, and that
tests check without a display. When screens are missing the plan degrades instead of failing:
a monitor whose rule finds no screen takes a spare screen; a span shrinks to the largest block
of monitors still present; panels of monitors that are gone move to a free monitor, or to a strip
on the least busy window. The plan records all of it so the wall can say so on screen.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from controlroom.layouts.geometry import (
    BezelCompensation,
    MonitorFrame,
    Rect,
    bezel_compensation,
    grid_cell_rect,
    monitor_frames,
    tiles_rectangle,
)
from controlroom.layouts.spec import LayoutSpec, ScreenMatch

HERO_PANELS = frozenset({"map3d"})  # panels that keep the larger share when a host window is split
STRIP_PANELS = frozenset({"status"})  # one-line strips: a thin row on top when moved, never a cell
STRIP_SHARE = 1 / 8


@dataclass(frozen=True)
class ScreenInfo:
    """What the OS reports about one screen, in logical pixels on the virtual desktop."""

    name: str
    rect: Rect
    physical_mm: tuple[float, float] | None = None
    primary: bool = False
    dpr: float = 1.0


def screens_in_order(screens: Sequence[ScreenInfo]) -> list[ScreenInfo]:
    """Screens top-to-bottom, then left-to-right: the meaning of ``screen = { order = N }``."""
    return sorted(screens, key=lambda s: (s.rect.y, s.rect.x, s.name))


def _matches(rule: ScreenMatch, screen: ScreenInfo, index: int) -> bool:
    if rule.name is not None:
        return screen.name == rule.name
    if rule.order is not None:
        return index == rule.order
    if rule.geometry is not None:
        return screen.rect.px() == tuple(rule.geometry)
    return screen.primary


@dataclass(frozen=True)
class ScreenAssignment:
    """Monitor → screen. ``substituted`` monitors got a spare screen because their own rule found none."""

    screens: dict[str, ScreenInfo]
    substituted: dict[str, str]
    missing: tuple[str, ...]
    spare: tuple[ScreenInfo, ...]


def assign_screens(
    spec: LayoutSpec, screens: Sequence[ScreenInfo], overrides: Mapping[str, str] | None = None
) -> ScreenAssignment:
    """Match each monitor to a screen: saved overrides first, then the file's rule, then spare screens."""
    ordered = screens_in_order(screens)
    by_name = {s.name: s for s in ordered}
    taken: set[str] = set()
    result: dict[str, ScreenInfo] = {}
    for mid, screen_name in (overrides or {}).items():
        if mid in spec.monitors and screen_name in by_name and screen_name not in taken:
            result[mid] = by_name[screen_name]
            taken.add(screen_name)
    for mid, monitor in spec.monitors.items():
        if mid in result or monitor.screen is None:
            continue
        for index, screen in enumerate(ordered):
            if screen.name not in taken and _matches(monitor.screen, screen, index):
                result[mid] = screen
                taken.add(screen.name)
                break
    frames = monitor_frames(spec)
    unmatched = sorted(
        (m for m in spec.monitors if m not in result),
        key=lambda m: (frames[m].outer.y, frames[m].outer.x) if m in frames else (math.inf, math.inf),
    )
    spare = [s for s in ordered if s.name not in taken]
    substituted: dict[str, str] = {}
    for mid, screen in zip(unmatched, list(spare), strict=False):
        result[mid] = screen
        substituted[mid] = screen.name
        spare.remove(screen)
    missing = tuple(m for m in spec.monitors if m not in result)
    return ScreenAssignment(screens=result, substituted=substituted, missing=missing, spare=tuple(spare))


@dataclass(frozen=True)
class PanelSlot:
    """One panel in a window: ``rect`` is in window-local pixels; ``moved_from`` names a missing monitor."""

    region: str
    panel: str
    rect: Rect
    moved_from: str | None = None


@dataclass(frozen=True)
class WindowPlan:
    """One frameless full-screen window: a single monitor, or a region spanning several."""

    key: str
    monitors: tuple[str, ...]
    screens: tuple[str, ...]
    rect: Rect
    slots: tuple[PanelSlot, ...]
    bezel: BezelCompensation | None = None
    physical_mm: tuple[float, float] | None = None

    @property
    def is_span(self) -> bool:
        return len(self.monitors) > 1


@dataclass(frozen=True)
class Placement:
    """The solved wall for one preset on the real screens, with everything that had to give."""

    layout: str
    preset: str
    windows: tuple[WindowPlan, ...]
    assignment: ScreenAssignment
    moved: tuple[tuple[str, str, str], ...] = ()  # (region, panel, window key it moved to)
    shrunk_spans: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (region, monitors it no longer covers)
    unplaced: tuple[str, ...] = field(default=())  # regions with nowhere to go (no screens at all)

    @property
    def degraded(self) -> bool:
        a = self.assignment
        return bool(a.missing or a.substituted or self.moved or self.shrunk_spans or self.unplaced)

    def window_for_region(self, region: str) -> WindowPlan:
        for w in self.windows:
            if any(s.region == region for s in w.slots):
                return w
        raise KeyError(f"region '{region}' is not on any window")


def _best_block(
    monitors: Sequence[str],
    present: Sequence[str],
    frames: Mapping[str, MonitorFrame],
    rects: Mapping[str, Rect],
) -> list[str]:
    """The most present monitors of a span that still form a filled rectangle, on the wall and on screen."""
    best: list[str] = []
    best_key = (0, 0.0)
    for a in present:
        for b in present:
            box = Rect.bounding([frames[a].outer, frames[b].outer])
            inside = [m for m in monitors if box.contains(frames[m].outer)]
            if any(m not in present for m in inside):
                continue
            if not tiles_rectangle([frames[m].outer for m in inside]):
                continue
            if len(inside) > 1 and not tiles_rectangle([rects[m] for m in inside]):
                continue
            key = (len(inside), box.area)
            if key > best_key:
                best, best_key = inside, key
    return best


def plan_wall(
    spec: LayoutSpec,
    screens: Sequence[ScreenInfo],
    preset: str | None = None,
    overrides: Mapping[str, str] | None = None,
) -> Placement:
    """Solve ``spec`` for one preset on ``screens`` (see the module docstring for the fallback rules)."""
    preset_name = preset or spec.default_preset_name
    panels = spec.panels_for(preset_name)
    assignment = assign_screens(spec, screens, overrides)
    frames = monitor_frames(spec)
    rects = {m: s.rect for m, s in assignment.screens.items()}
    windows: dict[str, WindowPlan] = {}
    used: set[str] = set()
    displaced: list[PanelSlot] = []
    shrunk: list[tuple[str, tuple[str, ...]]] = []

    for rid, region in spec.regions.items():
        if not region.is_span or rid not in panels:
            continue
        span = region.monitor_ids
        present = [m for m in span if m in rects]
        block = _best_block(span, present, frames, rects) if present else []
        if not block:
            displaced.append(PanelSlot(rid, panels[rid], Rect(0, 0, 0, 0), moved_from=span[0]))
            continue
        if len(block) < len(span):
            shrunk.append((rid, tuple(m for m in span if m not in block)))
        used.update(block)
        box = Rect.bounding(rects[m] for m in block)
        bezel = bezel_compensation(block, frames, rects) if len(block) > 1 else None
        windows[rid] = WindowPlan(
            key=rid,
            monitors=tuple(block),
            screens=tuple(assignment.screens[m].name for m in block),
            rect=box,
            slots=(PanelSlot(rid, panels[rid], Rect(0, 0, box.w, box.h)),),
            bezel=bezel,
            physical_mm=assignment.screens[block[0]].physical_mm,
        )

    for mid, monitor in spec.monitors.items():
        own = [
            (rid, r)
            for rid, r in spec.regions.items()
            if not r.is_span and r.monitor == mid and rid in panels
        ]
        if mid not in rects:
            displaced += [PanelSlot(rid, panels[rid], Rect(0, 0, 0, 0), moved_from=mid) for rid, _ in own]
            continue
        if mid in used:
            continue
        local = Rect(0, 0, rects[mid].w, rects[mid].h)
        slots = tuple(
            PanelSlot(rid, panels[rid], grid_cell_rect(local, monitor.grid, r.cell, r.span)) for rid, r in own
        )
        windows[mid] = WindowPlan(
            key=mid,
            monitors=(mid,),
            screens=(assignment.screens[mid].name,),
            rect=rects[mid],
            slots=slots,
            physical_mm=assignment.screens[mid].physical_mm,
        )

    moved, unplaced = _rehome(windows, displaced, frames)
    ordered = sorted(windows.values(), key=lambda w: (w.rect.y, w.rect.x, w.key))
    return Placement(
        layout=spec.name,
        preset=preset_name,
        windows=tuple(ordered),
        assignment=assignment,
        moved=tuple(moved),
        shrunk_spans=tuple(shrunk),
        unplaced=tuple(unplaced),
    )


def _strip_first(area: Rect, slots: Sequence[PanelSlot]) -> tuple[list[PanelSlot], Rect, list[Rect]]:
    """Moved strips (``STRIP_PANELS``) as a thin row at the top of ``area``: (the other slots, the
    area left for them, the strips' rects in ``slots`` order of the strips)."""
    strips = [s for s in slots if s.panel in STRIP_PANELS]
    if not strips or len(strips) == len(slots):
        return list(slots), area, []
    h = area.h * STRIP_SHARE
    row = [
        grid_cell_rect(Rect(area.x, area.y, area.w, h), (1, len(strips)), (0, i), (1, 1))
        for i in range(len(strips))
    ]
    return (
        [s for s in slots if s.panel not in STRIP_PANELS],
        Rect(area.x, area.y + h, area.w, area.h - h),
        row,
    )


def _placed(
    area: Rect, slots: Sequence[PanelSlot], cells: Callable[[Rect, int], list[Rect]]
) -> tuple[PanelSlot, ...]:
    """``slots`` laid out in ``area``: strips on top, the rest in ``cells(rest_area, n)``."""
    rest, rest_area, strip_rects = _strip_first(area, slots)
    strips = [s for s in slots if s.panel in STRIP_PANELS] if strip_rects else []
    pairs = list(zip(strips, strip_rects, strict=True)) + list(
        zip(rest, cells(rest_area, len(rest)), strict=True)
    )
    return tuple(PanelSlot(s.region, s.panel, r, s.moved_from) for s, r in pairs)


def _auto_grid(area: Rect, count: int) -> list[Rect]:
    cols = math.ceil(math.sqrt(count))
    rows = math.ceil(count / cols)
    return [grid_cell_rect(area, (rows, cols), (i // cols, i % cols), (1, 1)) for i in range(count)]


def _rehome(
    windows: dict[str, WindowPlan], displaced: list[PanelSlot], frames: Mapping[str, MonitorFrame]
) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Put displaced panels on free windows (evenly), else in a strip on the least busy window."""
    if not displaced:
        return [], []
    if not windows:
        return [], [s.region for s in displaced]
    moved: list[tuple[str, str, str]] = []
    free = [w for w in windows.values() if not w.slots]
    free.sort(
        key=lambda w: (
            (frames[w.monitors[0]].outer.y, frames[w.monitors[0]].outer.x)
            if w.monitors[0] in frames
            else (w.rect.y, w.rect.x)
        )
    )
    if free:
        chunks = [displaced[i :: len(free)] for i in range(len(free))]
        for host, chunk in zip(free, chunks, strict=False):
            if not chunk:
                continue
            slots = _placed(Rect(0, 0, host.rect.w, host.rect.h), chunk, _auto_grid)
            windows[host.key] = replace(host, slots=slots)
            moved += [(s.region, s.panel, host.key) for s in chunk]
        return moved, []
    host = min(windows.values(), key=lambda w: (w.is_span, len(w.slots), w.rect.y, w.rect.x))
    keeps_hero = host.is_span or any(s.panel in HERO_PANELS for s in host.slots)
    strip_w = host.rect.w * (1 / 3 if keeps_hero else 1 / 2)
    main_w = host.rect.w - strip_w
    kept = tuple(
        PanelSlot(
            s.region,
            s.panel,
            Rect(s.rect.x * main_w / host.rect.w, s.rect.y, s.rect.w * main_w / host.rect.w, s.rect.h),
            s.moved_from,
        )
        for s in host.slots
    )
    strip = Rect(main_w, 0, strip_w, host.rect.h)
    added = _placed(
        strip,
        displaced,
        lambda area, n: [grid_cell_rect(area, (n, 1), (i, 0), (1, 1)) for i in range(n)],
    )
    # a shrunk canvas no longer matches the monitors' bezels: drop compensation rather than lie
    windows[host.key] = replace(host, slots=kept + added, bezel=None)
    return [(s.region, s.panel, host.key) for s in displaced], []
