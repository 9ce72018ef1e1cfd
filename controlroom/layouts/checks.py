"""Cross-field checks of a layout file, each phrased as an instruction to the installer.

Pydantic checks each value on its own; these checks relate values to each other (regions to
monitor grids, presets to regions and panel ids, monitors to the wall grid and to OS screens),
and return every problem at once so one ``layout check`` run lists everything to fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator

from controlroom.core.issues import Issue
from controlroom.layouts.geometry import MonitorFrame, monitor_frames, tiles_rectangle
from controlroom.layouts.spec import PANEL_IDS, LayoutSpec

_MAPPING_HELP = (
    "how this monitor maps to an OS screen: screen = { name = 'DP-1' }, { order = 0 }, "
    "{ geometry = [x, y, width, height] } or { primary = true }"
)


def cross_check(spec: LayoutSpec) -> list[Issue]:
    """Every cross-field problem in ``spec``, errors first, then warnings."""
    found = [*_monitors(spec), *_regions(spec), *_presets(spec)]
    return [i for i in found if i.severity == "error"] + [i for i in found if i.severity == "warning"]


def _issue(spec: LayoutSpec, key: str, found: str, expected: str, fix: str = "", warn: bool = False) -> Issue:
    return Issue(str(spec.path), key, found, expected, "warning" if warn else "error", fix)


def _listing(ids: Iterable[object]) -> str:
    return ", ".join(str(i) for i in ids)


def _monitors(spec: LayoutSpec) -> Iterator[Issue]:
    taken: dict[tuple[int, int], str] = {}
    matches: dict[str, str] = {}
    for mid, m in spec.monitors.items():
        key = f"monitors.{mid}"
        if spec.is_grid:
            rows, cols = spec.wall.rows or 0, spec.wall.columns or 0
            if m.position is None:
                yield _issue(
                    spec, f"{key}.position", "(missing)", f"[row, column] in the {rows} × {cols} wall grid"
                )
            elif m.position[0] >= rows or m.position[1] >= cols:
                yield _issue(
                    spec,
                    f"{key}.position",
                    str(list(m.position)),
                    f"a [row, column] inside the {rows} × {cols} wall grid (rows 0..{rows - 1}, "
                    f"columns 0..{cols - 1})",
                )
            elif m.position in taken:
                yield _issue(
                    spec,
                    f"{key}.position",
                    str(list(m.position)),
                    f"a free grid cell ({taken[m.position]} is there)",
                )
            else:
                taken[m.position] = mid
            if m.position_mm is not None:
                yield _issue(
                    spec,
                    f"{key}.position_mm",
                    str(list(m.position_mm)),
                    "no position_mm on a grid wall (use position)",
                )
        elif m.position_mm is None:
            yield _issue(
                spec,
                f"{key}.position_mm",
                "(missing)",
                "[x, y] of the monitor's top-left corner in mm (or give wall.rows and wall.columns)",
            )
        if m.screen is None:
            yield _issue(spec, f"{key}.screen", "(missing)", _MAPPING_HELP)
        else:
            rule = m.screen.describe()
            if rule in matches:
                yield _issue(
                    spec,
                    f"{key}.screen",
                    rule,
                    f"a screen no other monitor claims ({matches[rule]} uses {rule})",
                )
            matches[rule] = mid
    if not spec.is_grid:
        frames = monitor_frames(spec)
        ids = list(frames)
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                if frames[a].outer.intersects(frames[b].outer):
                    yield _issue(
                        spec,
                        f"monitors.{b}.position_mm",
                        str(list(spec.monitors[b].position_mm or ())),
                        f"a place on the wall not overlapping monitor {a}",
                    )


def _regions(spec: LayoutSpec) -> Iterator[Issue]:
    occupied: dict[str, dict[tuple[int, int], str]] = {m: {} for m in spec.monitors}
    frames = monitor_frames(spec)
    used: set[str] = set()
    for rid, region in spec.regions.items():
        key = f"regions.{rid}"
        if region.monitors is not None:
            yield from _span(spec, rid, region.monitors, frames, occupied)
            used.update(region.monitors)
            continue
        mid = str(region.monitor)
        if mid not in spec.monitors:
            yield _issue(spec, f"{key}.monitor", repr(mid), f"one of the monitors: {_listing(spec.monitors)}")
            continue
        used.add(mid)
        rows, cols = spec.monitors[mid].grid
        (r, c), (rs, cs) = region.cell, region.span
        where = f"inside monitor {mid}'s {rows} × {cols} grid (rows 0..{rows - 1}, columns 0..{cols - 1})"
        if r >= rows or c >= cols:
            yield _issue(spec, f"{key}.cell", str([r, c]), f"a [row, column] {where}")
            continue
        if r + rs > rows or c + cs > cols:
            yield _issue(
                spec,
                f"{key}.span",
                f"{[rs, cs]} from cell {[r, c]} (reaches row {r + rs - 1}, column {c + cs - 1})",
                f"a [rows, columns] span that stays {where}",
            )
            continue
        for cell in ((i, j) for i in range(r, r + rs) for j in range(c, c + cs)):
            other = occupied[mid].get(cell)
            if other is not None:
                yield _issue(
                    spec,
                    key,
                    f"cell {list(cell)} of monitor {mid}, already used by region '{other}'",
                    "regions that do not overlap (each grid cell belongs to one region)",
                )
                break
        for cell in ((i, j) for i in range(r, r + rs) for j in range(c, c + cs)):
            occupied[mid].setdefault(cell, rid)
    for mid in spec.monitors:
        if mid not in used:
            yield _issue(
                spec,
                f"monitors.{mid}",
                "no region on this monitor",
                "every monitor to show something",
                fix="add a region with monitor = '" + mid + "'",
                warn=True,
            )


def _span(
    spec: LayoutSpec,
    rid: str,
    monitors: list[str],
    frames: dict[str, MonitorFrame],
    occupied: dict[str, dict[tuple[int, int], str]],
) -> Iterator[Issue]:
    key = f"regions.{rid}.monitors"
    unknown = [m for m in monitors if m not in spec.monitors]
    if unknown:
        yield _issue(spec, key, _listing(unknown), f"monitor ids from: {_listing(spec.monitors)}")
        return
    if len(set(monitors)) != len(monitors):
        yield _issue(spec, key, _listing(monitors), "each monitor listed once")
        return
    for mid in monitors:
        if occupied[mid]:
            other = next(iter(occupied[mid].values()))
            yield _issue(
                spec,
                f"regions.{rid}",
                f"monitor {mid} is already used by region '{other}'",
                "a spanning region to cover whole monitors no other region uses",
            )
            return
        rows, cols = spec.monitors[mid].grid
        occupied[mid].update({(i, j): rid for i in range(rows) for j in range(cols)})
    rects = [frames[m].outer for m in monitors if m in frames]
    if len(rects) == len(monitors) and len(monitors) > 1 and not tiles_rectangle(rects):
        yield _issue(
            spec, key, _listing(monitors), "monitors that together form a filled rectangle on the wall"
        )


def _presets(spec: LayoutSpec) -> Iterator[Issue]:
    if spec.default_preset is not None and spec.default_preset not in spec.presets:
        yield _issue(
            spec, "default_preset", repr(spec.default_preset), f"one of the presets: {_listing(spec.presets)}"
        )
        return
    default = spec.default_preset_name
    keys: dict[str, str] = {}
    for name, preset in spec.presets.items():
        base = f"presets.{name}"
        for rid, panel in preset.panels.items():
            if rid not in spec.regions:
                yield _issue(
                    spec, f"{base}.panels.{rid}", "no such region", f"a region id: {_listing(spec.regions)}"
                )
            if panel not in PANEL_IDS:
                close = difflib.get_close_matches(panel, list(PANEL_IDS), n=1)
                yield _issue(
                    spec,
                    f"{base}.panels.{rid}",
                    repr(panel),
                    f"a known panel id: {_listing(PANEL_IDS)}",
                    fix=f"did you mean '{close[0]}'?" if close else "",
                )
        if preset.key is not None:
            if preset.key in keys:
                yield _issue(
                    spec, f"{base}.key", preset.key, f"a key no other preset uses ({keys[preset.key]} has it)"
                )
            keys[preset.key] = name
    missing = [r for r in spec.regions if r not in spec.presets[default].panels]
    if missing:
        yield _issue(
            spec,
            f"presets.{default}.panels",
            f"no panel for region(s) {_listing(missing)}",
            f"the default preset '{default}' to give every region a panel (other presets inherit from it)",
        )
    if len(spec.presets) > 9:
        extra = list(spec.presets)[9:]
        yield _issue(
            spec,
            "presets",
            f"{len(spec.presets)} presets",
            "at most 9 with Ctrl+1..9 shortcuts",
            fix=f"give {_listing(extra)} a key = 'F..' shortcut",
            warn=True,
        )
