"""Label placement never overlaps or leaves the view; scale bar lengths are round numbers."""

from __future__ import annotations

import numpy as np

from controlroom.render.map_labels import (
    MapLabel,
    boundary_names,
    feature_names,
    format_distance,
    nice_length,
    place,
)


def test_placement_skips_overlapping_and_off_screen_labels_in_priority_order() -> None:
    centres = np.array([[100.0, 100.0], [110.0, 104.0], [300.0, 100.0], [5.0, 50.0], [np.nan, 1.0]])
    sizes = np.array([[80.0, 20.0]] * 5)
    kept = place(centres, sizes, [0, 1, 2, 3, 4], (400.0, 300.0))
    assert kept == [0, 2], "1 overlaps 0, 3 sticks out of the left edge, 4 is behind the camera"
    assert place(centres, sizes, [1, 0], (400.0, 300.0)) == [1], "the earlier (higher priority) label wins"


def test_scale_bar_lengths_and_texts() -> None:
    assert nice_length(1.0, 140) == 100.0
    assert nice_length(30.0, 140) == 2000.0
    assert nice_length(0.0) == 0.0
    assert (format_distance(850), format_distance(1200), format_distance(12000)) == (
        "850 m",
        "1.2 km",
        "12 km",
    )


def test_names_in_both_languages() -> None:
    names = feature_names({"name": "珠江", "name_en": "Pearl River"})
    label = MapLabel("river", names, (0.0, 0.0, 0.0))
    assert label.text("zh_CN") == "珠江" and label.text("en") == "Pearl River"
    only_local = MapLabel("district", feature_names({"name": "东湖区"}), (0.0, 0.0, 0.0))
    assert only_local.text("en") == "东湖区", "a name without an English one is shown as it is"
    assert feature_names({"name": {"en": "Donghu", "zh_CN": "东湖区"}})["en"] == "Donghu"


def test_boundary_names_read_a_place_chain_in_either_language() -> None:
    """The gateway names an incident's place as the data spell it (珠江示范区 › 东湖区 › …); the
    boundary features' own English names let an English desk read the chain."""
    from controlroom.core.city import CityModel
    from controlroom.core.vector import LineLayer

    def layer(features: list[dict[str, object]]) -> LineLayer:
        n = len(features)
        points = np.zeros((2 * n, 3))
        return LineLayer("b", points, np.arange(0, 2 * n + 1, 2), np.arange(n), features)

    model = CityModel("EPSG:32650", (0.0, 0.0, 0.0))
    model.lines["boundary:district"] = layer([{"name": "东湖区", "name_en": "Donghu District"}])
    model.lines["boundary:grid"] = layer([{"name": "东圃街道第6网格", "name_pinyin": "Dongpu Wangge 6"}, {}])
    model.lines["roads"] = layer([{"name": "滨江路", "name_en": "Binjiang Road"}])
    names = boundary_names(model)
    assert names["东湖区"]["en"] == "Donghu District" and names["东圃街道第6网格"]["en"] == "Dongpu Wangge 6"
    assert names["东湖区"]["zh_CN"] == "东湖区" and "滨江路" not in names  # roads are not places
