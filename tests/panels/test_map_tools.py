"""The map's search box (Ctrl+F → type → Enter flies there and selects), measure tool and decor."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow

from controlroom.panels.map3d import MapPanel
from controlroom.render.picking import world_to_display
from tests.render.city_factory import synthetic_city

pytestmark = pytest.mark.gui


@pytest.fixture
def panel(qtbot) -> Iterator[MapPanel]:  # type: ignore[no-untyped-def]
    window = QMainWindow()
    map_panel = MapPanel(window)
    window.setCentralWidget(map_panel)
    window.resize(1000, 640)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitActive(window)
    map_panel.set_model(synthetic_city(36))
    yield map_panel
    map_panel.tools.search.results.hide()
    map_panel.close()
    window.close()


def test_ctrl_f_search_enter_flies_to_the_building_and_selects_it(panel: MapPanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    layer = panel.scene.model.layers["buildings"]  # type: ignore[union-attr]
    target = 20
    picked: list[tuple[str, int]] = []
    panel.sig_object_picked.connect(lambda kind, i: picked.append((kind, i)))
    qtbot.keyClick(panel.interactor, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    search = panel.tools.search
    qtbot.waitUntil(search.hasFocus, timeout=5000)
    qtbot.keyClicks(search, layer.objects.ids[target])
    qtbot.waitUntil(lambda: bool(search.hits), timeout=5000)
    assert search.results.isVisible() and "building" in search.hits
    qtbot.keyClick(search, Qt.Key.Key_Return)
    assert panel.scene.selection == ("buildings", target)  # type: ignore[union-attr]
    assert picked == [("buildings", target)], "the details panel hears of it as of a click"
    pts = layer.points[np.unique(layer.triangles[np.asarray(layer.cell_object) == target])]
    focal = np.array(panel.plotter.camera.focal_point[:2])
    assert np.linalg.norm(focal - pts[:, :2].mean(axis=0)) < 20, "the camera looks at the building"
    assert not search.results.isVisible()


def test_search_says_when_nothing_is_found(panel: MapPanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    search = panel.tools.search
    search.setText("no-such-thing-anywhere")
    assert search.run_search() == {}
    item = search.results.topLevelItem(0)
    assert item is not None and item.text(0) == "Nothing found"
    assert search.choose_current() is None


def test_measure_adds_clicked_ground_points_and_shows_the_length(panel: MapPanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    tools = panel.tools
    tools.measure_button.click()
    assert tools.measuring
    for world in ((0.0, 0.0, 0.0), (120.0, 0.0, 0.0), (120.0, 90.0, 0.0)):
        x, y = world_to_display(panel.plotter, world)
        qtbot.mouseClick(panel.interactor, Qt.MouseButton.LeftButton, pos=panel.widget_point(x, y))
    assert len(tools.measure_points) == 3
    assert panel.decor.measure_text == "210 m", panel.decor.measure_text
    assert panel.scene.selection is None, "measuring clicks do not select buildings"  # type: ignore[union-attr]
    tools.measure_button.click()
    assert tools.measure_points == [] and panel.decor.measure_text == ""


def test_names_legend_north_and_scale_are_drawn_over_the_city(panel: MapPanel, qtbot) -> None:  # type: ignore[no-untyped-def]
    decor = panel.decor
    qtbot.waitUntil(lambda: decor.focal is not None, timeout=5000)  # set after the first frame
    image = decor.grab().toImage()
    assert not image.isNull()
    placed = {decor.labels[i].kind: decor.labels[i].text("en") for i in decor.placed}
    assert placed.get("district") == "Central District" and placed.get("river") == "Pearl River"
    assert decor.scale == 1.0
    panel.set_viewing_distance(5.0)  # a wall: larger names and symbols, no toolbar
    assert decor.scale > 1.5 and not panel.toolbar.isVisibleTo(panel)
