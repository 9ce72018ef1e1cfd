"""Off-screen pictures (``snapshot``, the brief's map) carry the live map's names in the chosen
language, its north arrow and scale bar: painted over the PNG through the picture's own camera."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtWidgets import QApplication

from controlroom.qt.i18n import install_language
from controlroom.qt.map_image import MapImageDecor, brief_map_decor
from controlroom.render.map_labels import MapLabel
from controlroom.render.map_projection import MapProjection
from controlroom.render.snapshot import render_snapshot
from tests.render.city_factory import synthetic_city

pytestmark = pytest.mark.gui


def _text_ink(png: Path, centre: tuple[float, float], half: tuple[int, int]) -> int:
    """Near-white pixels (the names' fill, #f2f5fa) in a box around ``centre``."""
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(int)
    x, y = round(centre[0]), round(centre[1])
    box = rgb[max(0, y - half[1]) : y + half[1], max(0, x - half[0]) : x + half[0]]
    return int((box.min(axis=2) > 225).sum())


def test_a_snapshot_names_its_districts_in_the_chosen_language(qapp: QApplication, tmp_path: Path) -> None:
    model = synthetic_city(64)
    x0, x1, y0, y1, _z0, z1 = model.bounds()
    middle = ((x0 + x1) / 2, (y0 + y1) / 2, z1)
    label = MapLabel("district", {"en": "Nanzhou District", "zh_CN": "南洲区", "": "南洲区"}, middle)
    seen: list[MapProjection] = []

    class Recording(MapImageDecor):
        def __call__(self, path: Path, projection: MapProjection) -> None:
            seen.append(projection)
            super().__call__(path, projection)

    bare = render_snapshot(model, tmp_path / "bare.png", size=(640, 400))
    install_language("zh_CN")
    try:
        decor = Recording([label], "zh_CN")
        named = render_snapshot(model, tmp_path / "named.png", size=(640, 400), decorate=decor)
        assert decor.north_text == "北"
    finally:
        install_language("en")
    assert [lb.text("zh_CN") for lb in decor.placed] == ["南洲区"]
    (projection,) = seen
    at = projection.project(np.array([middle]))[0]
    assert 0 < at[0] < 640 and 0 < at[1] < 400  # the name sits where the camera put the district
    assert _text_ink(named, tuple(at), (50, 14)) > 40 + _text_ink(bare, tuple(at), (50, 14))
    # the scale bar and the north arrow: ink in the bottom-right and top-right corners
    assert _text_ink(named, (590, 380), (50, 20)) > _text_ink(bare, (590, 380), (50, 20))
    assert _text_ink(named, (600, 50), (40, 40)) > _text_ink(bare, (600, 50), (40, 40))


def test_the_brief_map_names_its_pins_by_severity(qapp: QApplication) -> None:
    install_language("zh_CN")
    try:
        decor = brief_map_decor(synthetic_city(16), "zh_CN")
    finally:
        install_language("en")
    assert [row.label for row in decor.legend] == ["一般", "较重", "严重", "特别严重"]
    assert decor.legend_title != "On the map"
