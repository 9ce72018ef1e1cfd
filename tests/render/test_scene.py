"""CityScene camera, layers and the off-screen snapshot, checked on real frames and a real LocalFrame."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from controlroom.core.site import View
from controlroom.geo.crs import LocalFrame
from controlroom.render.line_visual import LineVisual, PointVisual
from controlroom.render.picking import world_to_display
from controlroom.render.scene import CityScene, camera_pose
from controlroom.render.snapshot import render_snapshot

from .city_factory import roof_centre, synthetic_city
from .conftest import render


def test_overview_is_oblique_and_frames_every_building(offscreen) -> None:  # type: ignore[no-untyped-def]
    scene = CityScene(offscreen, synthetic_city(49))
    render(offscreen)
    camera = offscreen.camera
    direction = np.subtract(camera.focal_point, camera.position)
    elevation = math.degrees(math.asin(-direction[2] / np.linalg.norm(direction)))
    assert 20 < elevation < 60, "an oblique overview, not top-down or street level"
    layer = scene.model.layers["buildings"]
    xy = np.array([world_to_display(offscreen, tuple(roof_centre(layer, i))) for i in range(49)])
    assert (xy[:, 0] > 0).all() and (xy[:, 0] < 800).all() and (xy[:, 1] > 0).all() and (xy[:, 1] < 600).all()
    spread = np.ptp(xy, axis=0)
    assert spread[0] > 800 * 0.4, "the city fills a good part of the frame"


def test_fly_to_view_looks_at_the_views_lon_lat() -> None:
    frame = LocalFrame.at_wgs84("EPSG:32650", 113.32, 23.12)
    view = View(name="Tower", lon=113.322, lat=23.121, distance_m=800, azimuth_deg=90, elevation_deg=30)
    import pyvista as pv

    plotter = pv.Plotter(off_screen=True, window_size=[400, 300])
    try:
        scene = CityScene(plotter, synthetic_city(4, extras=False))
        scene.fly_to_view(view, frame)
        fx, fy = frame.from_wgs84(view.lon, view.lat)
        focal = np.array(plotter.camera.focal_point)
        assert np.allclose(focal[:2], [float(fx), float(fy)], atol=0.01)
        offset = np.array(plotter.camera.position) - focal
        assert np.linalg.norm(offset) == pytest.approx(800, rel=1e-6)
        assert offset[0] < -600 and abs(offset[1]) < 1, "azimuth 90: looking east, so standing west"
        assert math.degrees(math.asin(offset[2] / 800)) == pytest.approx(30, abs=1e-6)
    finally:
        plotter.close()


def test_view_colour_setting_is_applied(offscreen) -> None:  # type: ignore[no-untyped-def]
    frame = LocalFrame.at_wgs84("EPSG:32650", 113.32, 23.12)
    scene = CityScene(offscreen, synthetic_city(4, extras=False))
    scene.fly_to_view(View(name="Uses", lon=113.32, lat=23.12, color_by="use"), frame)
    assert scene.color_by == "use"


def test_camera_pose_top_down_has_a_valid_up_vector() -> None:
    position, up = camera_pose((0.0, 0.0, 0.0), 100.0, 0.0, 90.0)
    assert np.allclose(position, (0, 0, 100), atol=1e-9)
    assert np.allclose(up, (0, 1, 0), atol=1e-9), "north up when looking straight down"


def test_layer_toggles_and_unknown_layer(offscreen) -> None:  # type: ignore[no-untyped-def]
    scene = CityScene(offscreen, synthetic_city(9))
    assert set(scene.layer_keys()) == {
        "buildings",
        "water",
        "roads",
        "boundary:district",
        "boundary:street",
        "poi",
    }
    assert scene.boundary_levels() == ["district", "street"]
    scene.set_layer_visible("roads", False)
    assert not scene.line_visuals["roads"].actor.GetVisibility() and not scene.is_layer_visible("roads")
    scene.set_layer_visible("poi", False)
    assert not scene.point_visuals["poi"].label_actor.GetVisibility()
    with pytest.raises(KeyError, match=r"no layer 'rivers'.*buildings, water"):
        scene.set_layer_visible("rivers", False)


def test_boundary_levels_get_narrower_and_lines_sit_above_the_ground() -> None:
    model = synthetic_city(9)
    district = LineVisual(model.lines["boundary:district"])
    street = LineVisual(model.lines["boundary:street"])
    roads = LineVisual(model.lines["roads"])
    assert district.actor.GetProperty().GetLineWidth() > street.actor.GetProperty().GetLineWidth()
    assert (
        roads.mesh.points[:, 2].min() > 0 and district.mesh.points[:, 2].min() > roads.mesh.points[:, 2].min()
    )


def test_poi_labels_follow_importance() -> None:
    model = synthetic_city(9)
    labels = PointVisual(model.points["poi"], max_labels=1).labels
    assert [text for text, _ in labels] == ["City Hall"]


def test_clear_removes_everything_the_scene_added(offscreen) -> None:  # type: ignore[no-untyped-def]
    before = offscreen.renderer.GetViewProps().GetNumberOfItems()
    scene = CityScene(offscreen, synthetic_city(9))
    assert offscreen.renderer.GetViewProps().GetNumberOfItems() > before
    scene.clear()
    assert offscreen.renderer.GetViewProps().GetNumberOfItems() == before


def test_snapshot_writes_a_titled_picture(tmp_path: Path) -> None:
    out = render_snapshot(
        synthetic_city(25),
        tmp_path / "shots" / "city.png",
        size=(640, 360),
        color_by="height",
        title="Tianhe — building heights",
    )
    image = np.asarray(Image.open(out).convert("RGB")).astype(int)
    assert image.shape == (360, 640, 3)
    bright = image.sum(axis=2) > 500
    assert bright[:40, :200].mean() > 0.02, "title text in the top-left corner"
    assert bright[:, 540:].mean() > 0.005, "legend on the right"


def test_snapshot_refuses_a_view_without_a_frame_and_tiny_sizes(tmp_path: Path) -> None:
    view = View(name="Tower", lon=113.3, lat=23.1)
    with pytest.raises(ValueError, match="view 'Tower' needs the site's local frame"):
        render_snapshot(synthetic_city(4), tmp_path / "a.png", view=view)
    with pytest.raises(ValueError, match="at least 16x16"):
        render_snapshot(synthetic_city(4), tmp_path / "b.png", size=(8, 8))
