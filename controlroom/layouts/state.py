"""Saved wall state per layout: the preset in use and which screen shows which monitor.

Stored as versioned JSON in the config folder (``CONTROLROOM_CONFIG_DIR`` or the platform's user
config folder). On restore it is trusted only if it was saved for this exact layout file and these
exact screens; otherwise the wall falls back to the layout file, and says why in the log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from controlroom.core.preferences import config_dir
from controlroom.layouts.placement import ScreenAssignment, ScreenInfo
from controlroom.layouts.spec import LayoutSpec

STATE_VERSION = 1
log = logging.getLogger(__name__)


def state_path(layout_name: str) -> Path:
    return config_dir() / "wall-state" / f"{layout_name}.json"


def _screen_record(s: ScreenInfo) -> dict[str, Any]:
    return {"name": s.name, "geometry": list(s.rect.px())}


def save_state(
    spec: LayoutSpec, preset: str, assignment: ScreenAssignment, screens: Sequence[ScreenInfo]
) -> Path:
    """Write the state atomically (a crash mid-write leaves the old file, never half a file)."""
    path = state_path(spec.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "version": STATE_VERSION,
        "layout": spec.name,
        "layout_digest": spec.digest,
        "preset": preset,
        "screens": sorted((_screen_record(s) for s in screens), key=lambda r: r["name"]),
        "assignment": {m: s.name for m, s in assignment.screens.items()},
    }
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    tmp.replace(path)
    return path


@dataclass(frozen=True)
class RestoredState:
    """What to start with; ``restored`` is False when the file's defaults are used, ``reason`` says why."""

    preset: str
    overrides: dict[str, str] = field(default_factory=dict)
    restored: bool = False
    reason: str = ""


def restore_state(spec: LayoutSpec, screens: Sequence[ScreenInfo]) -> RestoredState:
    """The saved state if it is valid for ``spec`` on ``screens``; else the file's default preset."""
    fallback = spec.default_preset_name
    path = state_path(spec.name)
    if not path.is_file():
        return RestoredState(fallback, reason="no saved state")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _fallback(spec, path, f"unreadable ({exc})")
    reason = _invalid_reason(spec, screens, data)
    if reason:
        return _fallback(spec, path, reason)
    return RestoredState(str(data["preset"]), dict(data["assignment"]), restored=True)


def _fallback(spec: LayoutSpec, path: Path, reason: str) -> RestoredState:
    log.info("wall state %s not used: %s; using layout file %s", path, reason, spec.path)
    return RestoredState(spec.default_preset_name, reason=reason)


def _invalid_reason(spec: LayoutSpec, screens: Sequence[ScreenInfo], data: Any) -> str:
    if not isinstance(data, dict):
        return "not a JSON object"
    if data.get("version") != STATE_VERSION:
        return f"state version {data.get('version')!r}, this app reads {STATE_VERSION}"
    if data.get("layout") != spec.name or data.get("layout_digest") != spec.digest:
        return "saved for a different version of the layout file"
    if data.get("preset") not in spec.presets:
        return f"preset {data.get('preset')!r} no longer in the layout"
    now = sorted((_screen_record(s) for s in screens), key=lambda r: r["name"])
    if data.get("screens") != now:
        return "the screens changed since it was saved"
    assignment = data.get("assignment")
    names = {s.name for s in screens}
    if not isinstance(assignment, dict) or not all(
        m in spec.monitors and isinstance(s, str) and s in names for m, s in assignment.items()
    ):
        return "its monitor-to-screen assignment does not fit this layout"
    return ""
