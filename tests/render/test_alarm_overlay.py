"""The alarm layer: an unacknowledged alarm's place flashes on the map's clock (colour and size
change, the actors stay the same), an acknowledged one glows steadily, and a click finds it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pyvista as pv

from controlroom.core.alarms.audit import SqliteAuditSink
from controlroom.core.alarms.events import AlarmEvent
from controlroom.core.alarms.lifecycle import AlarmBook
from controlroom.core.alarms.rules import RuleSet
from controlroom.render.overlays.alarms import AlarmOverlay
from controlroom.render.overlays.base import project_points, top_layer
from tests.render.conftest import pixel_at, render

T0 = 1_800_000_000.0


@pytest.fixture
def plotter() -> Iterator[Any]:
    p = pv.Plotter(off_screen=True, window_size=(800, 600))
    p.add_mesh(pv.Plane(i_size=4000, j_size=4000), color="#1b2330")
    p.camera.focal_point = (0.0, 0.0, 0.0)
    p.camera.position = (0.0, 0.0, 3000.0)
    p.camera.up = (0.0, 1.0, 0.0)
    p.show(auto_close=False)
    yield p
    p.close()


def _book(tmp_path: Path) -> tuple[AlarmBook, SqliteAuditSink]:
    rules = RuleSet.model_validate(
        {
            "schema": 1,
            "rule": [
                {"id": "breach", "kind": "threshold", "title": "River breach", "priority": "critical",
                 "sensor_kind": "river_level", "above": 3.5},
                {"id": "aqi", "kind": "threshold", "title": "Air quality", "priority": "low",
                 "metric": "aqi", "above": 150},
            ],
        }
    )  # fmt: skip
    audit = SqliteAuditSink(tmp_path / "audit.sqlite")
    book = AlarmBook(audit, clock=lambda: T0)
    book.apply(
        [
            AlarmEvent("raised", rules.rule[0], "RIVER01", T0, 3.7, "m", x=200.0, y=-100.0),
            AlarmEvent("raised", rules.rule[1], "aqi", T0, 170.0),  # a metric: no place, not drawn
        ]
    )
    return book, audit


def test_unacknowledged_alarm_flashes_in_place_then_glows_once_acknowledged(
    plotter: Any, tmp_path: Path
) -> None:
    book, audit = _book(tmp_path)
    overlay = AlarmOverlay(book.open, lambda: T0)
    overlay.attach(plotter)
    layer = top_layer(plotter)
    actors = layer.GetActors().GetNumberOfItems()
    assert overlay.refresh(T0) and overlay.item_ids == [book.open()[0].id]
    n_points = overlay.mesh.n_points
    bright = (overlay.flash.copy(), overlay.radius.copy(), overlay.mesh.point_data["rgba"].copy())
    overlay.refresh(T0 + 0.25)  # critical flashes twice a second: half a period later it is dark
    dark = (overlay.flash.copy(), overlay.radius.copy(), overlay.mesh.point_data["rgba"].copy())
    assert bright[0][0] == 1.0 and dark[0][0] == 0.0
    assert bright[1][0] > dark[1][0] * 1.3, "the ring widens when bright"
    assert bright[2][:, 0].max() > dark[2][:, 0].max() + 100, "and its red is much brighter"
    assert layer.GetActors().GetNumberOfItems() == actors and overlay.mesh.n_points == n_points

    # what the wall shows: red ring pixels in the bright phase, none in the dark one
    overlay.refresh(T0)
    ring = np.array([[200.0 + overlay.radius[0] * 0.86, -100.0, 2.0]])
    image = render(plotter)
    lit = pixel_at(image, project_points(plotter, ring)[0])
    overlay.refresh(T0 + 0.25)
    unlit = pixel_at(render(plotter), project_points(plotter, ring)[0])
    assert lit[0] > 200 and lit[1] < 120, f"bright red ring, got {lit}"
    assert unlit[0] < lit[0] - 100, f"dark in the off phase, got {unlit}"

    centre = project_points(plotter, np.array([[200.0, -100.0, 2.0]]))[0]
    assert overlay.pick(plotter, centre[0] + 4, centre[1]) == overlay.item_ids[0]
    assert "River breach" in overlay.describe(overlay.item_ids[0])

    book.acknowledge(overlay.item_ids[0], "ana", "seen")
    overlay.refresh(T0 + 1.0)
    steady = overlay.flash.copy()
    overlay.refresh(T0 + 1.25)
    assert steady[0] == overlay.flash[0] and 0 < steady[0] < 1, "acknowledged: a steady glow"

    book.close(overlay.item_ids[0], "ana")
    assert overlay.refresh(T0 + 2.0) and overlay.item_ids == [] and overlay.mesh.n_points == 0
    assert overlay.refresh(T0 + 3.0) is False, "nothing open: nothing to redraw"
    assert layer.GetActors().GetNumberOfItems() == actors
    overlay.detach(plotter)
    audit.close()
