"""ObjectInfoPanel shows a picked object's record in large, selectable text."""

from __future__ import annotations

import pytest

from controlroom.panels.object_info import ObjectInfoPanel, format_height, format_value
from tests.render.city_factory import box_layer

pytestmark = pytest.mark.gui


def test_shows_id_name_height_and_every_attribute(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = ObjectInfoPanel()
    qtbot.addWidget(panel)
    record = box_layer(5).objects.record(3)
    record["attributes"]["address"] = "1 Huacheng Ave"
    panel.show_object(record)
    assert panel.title_label.text() == "Building 3"
    assert panel.field_labels["id"].text() == "BLD-000003"
    assert panel.field_labels["height"].text() == f"{record['height']:.1f} m"
    assert panel.field_labels["lod"].text() == "1.2"
    rows = dict(panel.attribute_rows())
    assert rows["use"] == record["attributes"]["use"] and rows["address"] == "1 Huacheng Ave"
    assert rows["floors"] == str(record["attributes"]["floors"])
    assert panel.title_label.font().pointSize() >= 20 and panel.font().pointSize() >= 14
    assert panel.title() == "Selection" and panel.panel_id == "object_info"


def test_unknown_height_and_empty_selection(qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = ObjectInfoPanel()
    qtbot.addWidget(panel)
    panel.show_object({"id": "W1", "type": "WaterBody", "name": None, "height": None, "attributes": {}})
    assert panel.title_label.text() == "W1" and panel.field_labels["height"].text() == "unknown"
    panel.show_object(None)
    assert panel.title_label.text() == "Nothing selected" and panel.attribute_rows() == []
    assert panel.record is None


def test_value_formatting() -> None:
    assert (
        format_height(123.44) == "123.4 m" and format_height(float("nan")) == "" and format_height(None) == ""
    )
    assert format_value(12.0) == "12" and format_value([1, "a"]) == "1, a" and format_value(None) == ""
