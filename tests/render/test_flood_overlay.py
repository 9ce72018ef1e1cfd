"""The flood what-if on the map: a translucent depth-shaded sheet, buildings by depth, cut roads."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from controlroom.core.vector import LineLayer
from controlroom.geo.flood_impact import BuildingSamples, RoadSamples
from controlroom.geo.flood_whatif import FloodImpact, FloodScene
from controlroom.render.overlays import flood as flood_module
from controlroom.render.overlays.flood import FloodBuildingsOverlay, FloodWaterOverlay
from controlroom.render.picking import world_to_display
from tests.geo.flood_grids import valley
from tests.render.city_factory import box_layer, roof_centre
from tests.render.conftest import pixel_at, render


class _Source:
    """What the desk's flood state hands the overlays: a version and the current impact."""

    def __init__(self) -> None:
        self.version = 0
        self.impact: FloodImpact | None = None

    def set(self, impact: FloodImpact | None) -> None:
        self.version += 1
        self.impact = impact

    def __call__(self) -> tuple[int, FloodImpact | None]:
        return self.version, self.impact


@pytest.fixture
def scene() -> tuple[FloodScene, Any]:
    terrain, river = valley()  # river along y < 50, ground 4 m at y = 100, 5 m at y = 200
    layer = box_layer(16)  # 4 × 4 boxes from (0, 0), 40 m apart
    layer.points[:, :2] += (200.0, 120.0)  # rows at y = 120, 160, 200, 240: the last stays dry
    road = LineLayer("roads", np.array([[150.0, 120.0, 0], [400.0, 120.0, 0]]), np.array([0, 2]),
                     np.zeros(1, np.int32), [{"name": "Riverside Road"}])  # fmt: skip
    buildings = BuildingSamples.from_layer(layer)
    return FloodScene(terrain, river, buildings, RoadSamples.from_layer(road, 2.5)), layer


@pytest.fixture
def view(offscreen: Any) -> Any:
    import pyvista as pv

    offscreen.add_mesh(pv.Plane(center=(500, 500, 0), i_size=1000, j_size=1000), color="#404040")
    offscreen.camera.focal_point = (320.0, 200.0, 0.0)
    offscreen.camera.position = (320.0, 200.0, 900.0)
    offscreen.camera.up = (0.0, 1.0, 0.0)
    offscreen.renderer.ResetCameraClippingRange()
    return offscreen


def test_the_water_sheet_is_blue_where_it_floods_and_updates_in_place(view: Any, scene: Any) -> None:
    sc, _ = scene
    source = _Source()
    water = FloodWaterOverlay(source)
    water.attach(view)
    mesh_id = id(water.mesh)
    source.set(sc.impact(sc.at(5.0)))
    assert water.refresh(0.0) and not water.refresh(1.0)  # same version: nothing rebuilt
    assert water.step == 1 and water.n_quads == source.impact.extent.n_cells  # type: ignore[union-attr]
    rgba = water.mesh.point_data["rgba"]
    assert np.all(rgba[:, 3] == flood_module.WATER_ALPHA)
    z = water.mesh.points[:, 2]
    assert np.allclose(z, 5.0 + flood_module.MIN_SHEET_M)  # a flat sheet at the level
    assert water.mesh.n_points < 4 * water.n_quads  # neighbouring quads share their corners
    t = sc.terrain
    ground = t.sample(water.mesh.points[:, 0] + t.cell / 2, water.mesh.points[:, 1] + t.cell / 2)
    deep, shallow = np.nanargmin(ground), np.nanargmax(ground)
    assert rgba[deep, 2] - rgba[deep, 0] > rgba[shallow, 2] - rgba[shallow, 0]  # deeper is bluer
    image = render(view)
    wet = pixel_at(image, world_to_display(view, (120.0, 80.0, 1.0)))
    dry = pixel_at(image, world_to_display(view, (120.0, 330.0, 0.0)))
    assert wet[2] > wet[0] + 40 and abs(int(dry[2]) - int(dry[0])) < 20, (wet, dry)
    source.set(sc.impact(sc.at(-5.0)))  # below the bed: the sheet goes away
    assert water.refresh(2.0) and water.n_quads == 0 and water.mesh.n_points == 0
    assert id(water.mesh) == mesh_id
    water.detach(view)


def test_a_big_flood_is_drawn_coarser_not_bigger(
    view: Any, scene: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc, _ = scene
    monkeypatch.setattr(flood_module, "MAX_QUADS", 1000)
    source = _Source()
    water = FloodWaterOverlay(source)
    water.attach(view)
    source.set(sc.impact(sc.at(7.0)))
    water.refresh(0.0)
    assert water.step > 1 and 0 < water.n_quads <= 1000
    water.detach(view)


def test_flooded_buildings_are_red_dry_ones_untouched_and_cut_roads_marked(view: Any, scene: Any) -> None:
    sc, layer = scene
    source = _Source()
    overlay = FloodBuildingsOverlay(source, lambda: layer)
    overlay.attach(view)
    impact = sc.impact(sc.at(5.0))
    source.set(impact)
    assert overlay.refresh(0.0)
    state = impact.building_state
    assert overlay.n_buildings == int((state >= 1).sum()) and (state == 2).any() and (state == 0).any()
    assert overlay.n_cut_pieces == int(impact.road_cut.sum()) > 0
    image = render(view)
    flooded = int(np.flatnonzero(state == 2)[0])
    dry = int(np.flatnonzero(state == 0)[0])
    red = pixel_at(image, world_to_display(view, tuple(roof_centre(layer, flooded))))
    assert red[0] > red[1] + 60 and red[0] > red[2] + 60, red
    first = overlay.item_ids[0]
    assert overlay.describe(first).startswith(
        f"{first} · water "
    ) and " m at the ground floor" in overlay.describe(first)
    assert layer.objects.ids[dry] not in overlay.item_ids
    overlay.detach(view)
