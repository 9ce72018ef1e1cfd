"""Switching the language at start-up changes the window's texts, numbers and dates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QLocale

from controlroom.core.preferences import Preferences, choose_language, load_preferences, save_preferences
from controlroom.core.site import load_site

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def sample_site(sample_site_factory: Callable[[str], Path]) -> Path:
    return sample_site_factory("sample-site")


def _menu_titles(language: str, site_path: Path, qtbot) -> list[str]:  # type: ignore[no-untyped-def]
    from controlroom.app.main_window import MainWindow
    from controlroom.qt.application import make_application

    make_application(language=language)
    win = MainWindow(load_site(site_path), feed=False)
    qtbot.addWidget(win)
    titles = [a.text() for a in win.menuBar().actions()]
    win.close()
    return titles


def test_language_at_start_up_changes_menu_titles(qtbot, sample_site: Path) -> None:  # type: ignore[no-untyped-def]
    try:
        zh = _menu_titles("zh_CN", sample_site, qtbot)
        assert "文件(&F)" in zh and "帮助(&H)" in zh
        assert "2026年11月23日" in QLocale().toString(QDate(2026, 11, 23), QLocale.FormatType.LongFormat)
    finally:
        en = _menu_titles("en", sample_site, qtbot)
    assert "&File" in en and "&Help" in en


def test_cli_beats_user_choice_beats_site() -> None:
    assert choose_language(None, "en", Preferences()) == "en"
    assert choose_language(None, "en", Preferences(language="zh_CN")) == "zh_CN"
    assert choose_language("en", "zh_CN", Preferences(language="zh_CN")) == "en"
    with pytest.raises(ValueError, match="--lang 'fr': expected one of en, zh_CN"):
        choose_language("fr", "en", Preferences())


def test_saved_language_round_trips_and_a_damaged_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "prefs.json"
    save_preferences(Preferences(language="zh_CN"), path)
    assert load_preferences(path).language == "zh_CN"
    path.write_text('{"version": 1, "language": "klingon"}', encoding="utf-8")
    assert load_preferences(path) == Preferences()
