"""Map names: placed and drawn once per view, not on every live frame with the camera still."""

from __future__ import annotations

import numpy as np
from pytestqt.qtbot import QtBot

from controlroom.qt.map_decor import MapDecor
from controlroom.render.map_labels import MapLabel


def test_names_are_placed_again_only_when_the_view_changes(qtbot: QtBot) -> None:
    shift = [0.0]

    def project(world: np.ndarray) -> np.ndarray:
        return np.column_stack([world[:, 0] + shift[0], world[:, 1]])

    decor = MapDecor(None, project)
    qtbot.addWidget(decor)
    decor.resize(400, 300)
    decor.set_labels(
        [
            MapLabel("district", {"en": "Alpha", "zh_CN": "甲区"}, (100.0, 100.0, 0.0)),
            MapLabel("river", {"en": "River"}, (300.0, 200.0, 0.0)),
        ],
        "en",
    )
    first = decor.grab().toImage()
    assert decor.placed == [0, 1] and decor._names is not None
    names = decor._names[1]
    assert decor.grab().toImage() == first and decor._names[1] is names, "a live frame: the same names"
    shift[0] = -250.0  # the camera moved: Alpha left the view, River slid left
    moved = decor.grab().toImage()
    assert decor.placed == [1] and moved != first
    decor.set_labels(decor.labels, "zh_CN")  # another language: measured and placed again
    decor.grab()
    assert decor._names[1] is not names and decor.language == "zh_CN"
