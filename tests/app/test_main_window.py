"""The operator's first screen on the bundled sample site: the city loads, shows, and answers clicks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from controlroom.core.site import load_site

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def sample_site(sample_site_factory: Callable[[str], Path]) -> Path:
    return sample_site_factory("sample-site")


@pytest.fixture
def window(qtbot, sample_site: Path):  # type: ignore[no-untyped-def]
    from controlroom.app.main_window import MainWindow
    from controlroom.render.theme import configure_pyvista

    configure_pyvista()
    win = MainWindow(load_site(sample_site), feed=False)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.sig_city_loaded, timeout=60_000):
        win.start_loading()
    yield win
    win.close()


def _image(widget) -> np.ndarray:  # type: ignore[no-untyped-def]
    img = widget.grab().toImage().convertToFormat(widget.grab().toImage().Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8, img.sizeInBytes())
    return arr.reshape(img.height(), img.bytesPerLine())[:, : img.width() * 3].reshape(
        img.height(), img.width(), 3
    )


def test_window_shows_the_loaded_city(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    qtbot.wait(200)
    img = _image(window.map_panel.interactor).astype(int)
    background = img[5, 5]
    differs = np.abs(img - background).sum(axis=2) > 40
    assert differs.mean() > 0.15, "the 3D view looks empty"
    assert len(window.model.layers["buildings"].objects) >= 20_000
    assert "buildings" in window.status_text()


def test_clicking_the_tallest_tower_shows_it_in_the_selection_panel(window, qtbot) -> None:  # type: ignore[no-untyped-def]
    from controlroom.render.picking import world_to_display

    layer = window.model.layers["buildings"]
    heights = np.array([h or 0.0 for h in layer.objects.heights])
    tallest = int(heights.argmax())
    roof = layer.cell_surface == 3
    tris = layer.triangles[roof & (layer.cell_object == tallest)]
    centre = layer.points[tris].reshape(-1, 3).mean(axis=0)
    panel = window.map_panel
    x, y = world_to_display(panel.plotter, tuple(centre))
    with qtbot.waitSignal(panel.sig_object_picked, timeout=5_000) as picked:
        qtbot.mouseClick(panel.interactor, Qt.MouseButton.LeftButton, pos=panel.widget_point(x, y))
    assert picked.args == ["buildings", tallest]
    from PySide6.QtWidgets import QLabel

    shown = window.info_panel.findChildren(QLabel)
    texts = " ".join(label.text() for label in shown)
    assert layer.objects.ids[tallest] in texts
    assert f"{heights[tallest]:.1f} m" in texts
