"""``self-test``: a build (or a source checkout) proves it can run its site on this PC.

Loads the site and its city, renders one frame off-screen, imports the Qt side the windows need,
and knocks on every feed and gateway endpoint. An unreachable endpoint is reported but only fails
the test when asked (``--require-endpoints``): on a bench PC the city's servers are often away.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from controlroom.core.issues import InputError, SiteError

if TYPE_CHECKING:
    from controlroom.core.city import CityModel
    from controlroom.core.site import Site

Status = Literal["ok", "warning", "failed"]


@dataclass(frozen=True)
class Step:
    name: str
    status: Status
    detail: str
    seconds: float

    def __str__(self) -> str:
        mark = {"ok": "ok  ", "warning": "warn", "failed": "FAIL"}[self.status]
        return f"{mark} {self.name}: {self.detail} ({self.seconds:.2f} s)"


def _timed(name: str, fn: Callable[[], tuple[Status, str]]) -> Step:
    start = time.perf_counter()
    try:
        status, detail = fn()
    except (SiteError, InputError, KeyError, OSError, ValueError, RuntimeError, ImportError) as exc:
        status, detail = "failed", f"{type(exc).__name__}: {exc}"
    return Step(name, status, detail, time.perf_counter() - start)


def render_check(
    model: CityModel, out: Path | None = None, size: tuple[int, int] = (640, 360)
) -> tuple[Status, str]:
    """One off-screen frame; failed when it comes out blank (a broken GL stack renders nothing)."""
    import numpy as np

    from controlroom.render.snapshot import open_offscreen

    plotter, _scene = open_offscreen(model, size)
    try:
        img = np.asarray(plotter.screenshot(str(out) if out else None, return_img=True))
    finally:
        plotter.close()
    background = img[0, 0]
    drawn = float(np.mean(np.any(img != background, axis=-1)))
    if drawn < 0.02:
        return "failed", f"the frame is blank ({drawn:.1%} drawn): OpenGL/EGL rendering does not work here"
    return "ok", f"{img.shape[1]}x{img.shape[0]} frame, {drawn:.0%} of pixels drawn"


def qt_check() -> tuple[Status, str]:
    """The windows' libraries import (a build missing a Qt plugin module fails here, not on the wall)."""
    import PySide6
    from PySide6 import QtMultimedia, QtMultimediaWidgets, QtWidgets  # noqa: F401

    import controlroom.app.main_window  # noqa: F401  (pyvistaqt, panels, layouts)

    return "ok", f"PySide6 {PySide6.__version__} with QtMultimedia, the main window and panels import"


def endpoint_steps(site: Site, timeout_s: float, required: bool) -> list[Step]:
    """Probe the feed, the dispatch gateway and the walls; offline is a warning unless ``required``."""
    from controlroom.app.doctor_checks import endpoint_targets
    from controlroom.feed.keys import FeedSecurityError
    from controlroom.feed.probe import probe

    try:
        targets = endpoint_targets(site)
    except FeedSecurityError as exc:
        return [Step("keys", "failed", str(exc), 0.0)]
    steps: list[Step] = []
    for key, endpoint, peer, security in targets:
        try:
            r = probe(endpoint, peer, timeout_s, security)
        except FeedSecurityError as exc:
            steps.append(Step(key, "failed", str(exc), 0.0))
            continue
        status: Status = "ok" if r.ok else ("failed" if required else "warning")
        steps.append(Step(key, status, f"{endpoint}: {r.detail}", r.seconds))
    return steps


def run_self_test(
    site_path: str | Path,
    *,
    timeout_s: float = 1.0,
    require_endpoints: bool = False,
    frame_out: Path | None = None,
) -> list[Step]:
    from controlroom.core.site import load_site

    steps: list[Step] = []
    holder: dict[str, Any] = {}

    def load() -> tuple[Status, str]:
        holder["site"] = site = load_site(site_path)
        return "ok", f"{site.site.name} ({site.title}) from {site.path}"

    steps.append(_timed("site", load))
    if "site" not in holder:
        return steps
    site: Site = holder["site"]

    def city() -> tuple[Status, str]:
        from controlroom.geo.city_loader import load_city

        holder["model"] = model = load_city(site, use_cache=False)
        return "ok", f"{model.n_triangles:,} triangles"

    steps.append(_timed("city", city))
    if "model" in holder:
        steps.append(_timed("render", lambda: render_check(holder["model"], frame_out)))
    steps.append(_timed("qt", qt_check))
    steps += endpoint_steps(site, timeout_s, require_endpoints)
    return steps


def as_dict(steps: list[Step]) -> dict[str, Any]:
    return {"ok": all(s.status != "failed" for s in steps), "steps": [asdict(s) for s in steps]}
