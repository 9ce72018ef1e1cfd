"""MapPanel in a real window under Xvfb: shows the city, click → pick signal, toolbar, progress, close."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMainWindow

from controlroom.core.site import View
from controlroom.geo.crs import LocalFrame
from controlroom.panels.map3d import MapPanel
from controlroom.render.picking import world_to_display
from tests.render.city_factory import roof_centre, synthetic_city

pytestmark = pytest.mark.gui
FRAME = LocalFrame.at_wgs84("EPSG:32650", 113.32, 23.12)


@pytest.fixture
def panel(qtbot) -> Iterator[MapPanel]:  # type: ignore[no-untyped-def]
    window = QMainWindow()
    map_panel = MapPanel(window)
    window.setCentralWidget(map_panel)
    window.resize(1100, 700)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield map_panel
    map_panel.close()
    window.close()


def _frame(panel: MapPanel, qtbot) -> np.ndarray:  # type: ignore[no-untyped-def]
    qtbot.wait(50)
    image = panel.interactor.grab().toImage()
    buffer = image.convertToFormat(image.Format.Format_RGB888)
    arr = np.frombuffer(buffer.constBits(), np.uint8).reshape(buffer.height(), buffer.bytesPerLine())
    return arr[:, : buffer.width() * 3].reshape(buffer.height(), buffer.width(), 3).copy()


def _click_world(panel: MapPanel, qtbot, point) -> None:  # type: ignore[no-untyped-def]
    x, y = world_to_display(panel.plotter, tuple(point))
    qtbot.mouseClick(panel.interactor, Qt.MouseButton.LeftButton, pos=panel.widget_point(x, y))


def test_panel_shows_the_city(panel: MapPanel, qtbot, shots_dir: Path) -> None:  # type: ignore[no-untyped-def]
    panel.set_model(synthetic_city(64), [View(name="City Hall", lon=113.3215, lat=23.1215)], FRAME)
    image = _frame(panel, qtbot)
    assert image.shape[0] > 500
    assert (image.astype(int).sum(axis=2) > 300).mean() > 0.03, "light buildings on the dark ground"
    assert image.std() > 10
    panel.set_color_by("use")
    panel.select_object("buildings", 27)
    qtbot.wait(50)
    panel.window().grab().save(str(shots_dir / "map3d_panel.png"))
    assert panel.title() == "3D City Map" and panel.panel_id == "map3d"


def test_click_on_a_building_emits_its_index(panel: MapPanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    model = synthetic_city(25)
    panel.set_model(model)
    _frame(panel, qtbot)
    layer = model.layers["buildings"]
    for index in (2, 12):
        with qtbot.waitSignal(panel.sig_object_picked, timeout=2000) as blocker:
            _click_world(panel, qtbot, roof_centre(layer, index))
        assert blocker.args == ["buildings", index]
        assert panel.scene is not None and panel.scene.selection == ("buildings", index)
    with qtbot.waitSignal(panel.sig_selection_cleared, timeout=2000):
        _click_world(panel, qtbot, (20.0, 20.0, 0.0))  # a street crossing
    assert panel.scene.selection is None


def test_a_drag_rotates_and_does_not_pick(panel: MapPanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    model = synthetic_city(9)
    panel.set_model(model)
    _frame(panel, qtbot)
    x, y = world_to_display(panel.plotter, tuple(roof_centre(model.layers["buildings"], 4)))
    start = panel.widget_point(x, y)
    with qtbot.assertNotEmitted(panel.sig_object_picked):
        qtbot.mousePress(panel.interactor, Qt.MouseButton.LeftButton, pos=start)
        qtbot.mouseMove(panel.interactor, start + QPoint(60, 0))
        qtbot.mouseRelease(panel.interactor, Qt.MouseButton.LeftButton, pos=start + QPoint(60, 0))


def test_progress_overlay_shows_until_the_model_arrives(panel: MapPanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel.show_progress(0.4, "Loading buildings… 40 %")
    assert panel.progress_overlay.isVisible()
    assert panel.progress_label.text() == "Loading buildings… 40 %" and panel.progress_bar.value() == 400
    panel.show_progress(-1, "Reading file")
    assert panel.progress_bar.maximum() == 0  # busy indicator
    panel.set_model(synthetic_city(4, extras=False))
    assert not panel.progress_overlay.isVisible()


def test_toolbar_lists_attributes_views_and_layers(panel: MapPanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    views = [
        View(name="River", lon=113.32, lat=23.12, color_by="height"),
        View(name="North", lon=113.32, lat=23.13),
    ]
    panel.set_model(synthetic_city(16), views, FRAME)
    combo = panel.color_combo
    assert [combo.itemData(i) for i in range(combo.count())] == [None, "height", "use", "floors"]
    combo.setCurrentIndex(combo.findData("floors"))
    assert panel.scene is not None and panel.scene.color_by == "floors"
    assert [panel.view_combo.itemText(i) for i in range(panel.view_combo.count())] == [
        "Overview",
        "River",
        "North",
    ]
    panel.fly_to("River")
    assert panel.scene.color_by == "height" and combo.currentData() == "height"
    focal = np.array(panel.plotter.camera.focal_point)
    assert np.allclose(focal[:2], [float(v) for v in FRAME.from_wgs84(113.32, 23.12)], atol=0.01)
    with pytest.raises(KeyError, match="no view named 'South'"):
        panel.fly_to("South")
    assert set(panel.layer_actions) == {
        "buildings",
        "water",
        "roads",
        "boundary:district",
        "boundary:street",
        "poi",
    }
    assert panel.layer_actions["boundary:district"].text() == "District boundaries"
    panel.layer_actions["roads"].setChecked(False)
    assert not panel.scene.is_layer_visible("roads")


def test_a_new_model_replaces_the_old_one(panel: MapPanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel.set_model(synthetic_city(9))
    panel.select_object("buildings", 3)
    props = panel.plotter.renderer.GetViewProps().GetNumberOfItems()
    panel.set_model(synthetic_city(16))
    assert panel.plotter.renderer.GetViewProps().GetNumberOfItems() == props
    assert panel.scene is not None and panel.scene.selection is None
    assert panel.scene.city_visuals["buildings"].mesh.n_cells == 16 * 12


def test_close_releases_the_render_window(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = MapPanel()
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    panel.set_model(synthetic_city(4, extras=False))
    panel.close()
    assert panel.scene is None and panel.plotter.render_window is None
    panel.close()  # twice is harmless
