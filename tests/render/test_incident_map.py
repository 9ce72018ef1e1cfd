"""The brief's printed map shows the open incidents' pins (it once printed the city without them)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PIL import Image

from controlroom.core.incidents import IncidentState
from controlroom.render.incident_map import render_incident_map
from tests.render.city_factory import synthetic_city


def _pin_pixels(png: Path) -> int:
    """Pixels in the critical-severity pink/red of the pins (the city has none of it)."""
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    return int(((rgb[..., 0] > 180) & (rgb[..., 1] < 90) & (rgb[..., 2] > 60)).sum())


def test_open_incidents_are_pinned_on_the_printed_map(tmp_path: Path) -> None:
    model = synthetic_city(64)
    x0, x1, y0, y1, _z0, _z1 = model.bounds()
    now = time.time()
    incidents = [
        IncidentState(
            f"INC-{i}", "road_damage", 4, x0 + (x1 - x0) * f, y0 + (y1 - y0) * f, (), "", "new", now, now
        )
        for i, f in enumerate((0.3, 0.6))
    ]
    bare = render_incident_map(model, tmp_path / "bare.png", [], now, size=(640, 400))
    pinned = render_incident_map(model, tmp_path / "pinned.png", incidents, now, size=(640, 400))
    assert _pin_pixels(bare) == 0
    assert _pin_pixels(pinned) > 50, "the open incidents' pins are missing from the printed map"
