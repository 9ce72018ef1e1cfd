"""``code_label``: the one table every panel shows data codes through, in the app's language."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from controlroom.qt.i18n import install_language
from controlroom.qt.strings import CODE_TABLES, code_label


def test_codes_read_in_chinese_and_unknown_codes_stay_readable(qapp: QApplication) -> None:
    install_language("zh_CN")
    try:
        assert code_label("alarm_category", "flood") == "防汛"
        assert code_label("sensor_kind", "river_level") == "河道水位"
        assert code_label("incident_type", "illegal_construction") == "违法建设"
        assert code_label("severity", "3") == code_label("severity", 3) != "3"
        assert code_label("incident_status", "illegal_dumping") == "illegal dumping"  # a new code, tidied
        for kind, (_context, table) in CODE_TABLES.items():
            for code, english in table.items():
                assert code_label(kind, code) != english or english in {"AQI", "{0} · {1}"}, (kind, code)
    finally:
        install_language("en")
    assert code_label("alarm_category", "flood") == "Flood"


def test_an_unknown_kind_names_the_kinds() -> None:
    with pytest.raises(KeyError, match="alarm_category"):
        code_label("alarm_colour", "red")
