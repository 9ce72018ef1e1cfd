"""Vital-sign charts spanning midnight or months name days and months in the app's language."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyqtgraph as pg
import pytest
from PySide6.QtGui import QFont, QFontMetrics

from controlroom.qt.date_axis import LocalDateAxis
from tests.words import language

pytestmark = pytest.mark.gui

SHANGHAI = -8 * 3600  # pyqtgraph's utcOffset: seconds to add to local time to get UTC
MIDNIGHT = 1_765_123_200  # 2025-12-08 00:00 in Shanghai, a Monday


def _labels(axis: pg.DateAxisItem, t0: float, t1: float) -> list[str]:
    axis.utcOffset = SHANGHAI
    axis.fontMetrics = QFontMetrics(QFont())  # pyqtgraph sets it when it first draws the axis
    out: list[str] = []
    for spacing, values in axis.tickValues(t0, t1, 300):
        out += axis.tickStrings(values, 1.0, spacing)
    return out


@pytest.fixture
def axes(qapp) -> Iterator[tuple[pg.DateAxisItem, LocalDateAxis]]:  # type: ignore[no-untyped-def]
    yield pg.DateAxisItem(), LocalDateAxis()


@pytest.mark.parametrize(("span_s", "named"), [(3 * 3600, "%a"), (200 * 86400, "%b")])
def test_day_and_month_names_follow_the_language(axes, span_s: float, named: str) -> None:  # type: ignore[no-untyped-def]
    plain, local = axes
    t0 = MIDNIGHT - span_s / 2
    with language("zh_CN"):
        theirs, ours = _labels(plain, t0, t0 + span_s), _labels(local, t0, t0 + span_s)
    latin = re.compile(r"[A-Za-z]")
    assert any(latin.search(s) for s in theirs), theirs  # pyqtgraph's own: "Mon 08" / "Jan"
    assert ours and not any(latin.search(s) for s in ours), ours
    if named == "%a":
        assert any("周一" in s for s in ours), ours
    with language("en"):
        assert _labels(local, t0, t0 + span_s) == _labels(plain, t0, t0 + span_s)  # English as before
