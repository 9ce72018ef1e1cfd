"""Switch the running app's language: our translation, Qt's own (dialog buttons …) and the locale.

Widgets read ``tr()`` when they are built, so the language is set at start-up, before any window
exists (``make_application(language=...)``); a change from the menu is saved as the user's
preference and applies at the next start. The locale (``QLocale.setDefault``) makes numbers,
dates and times follow the language: ``1,234.5`` and ``2026年11月23日`` in Chinese.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QMenu, QWidget

from controlroom.core.preferences import LANGUAGES, Preferences, load_preferences, save_preferences
from controlroom.qt.translations import qm_file

log = logging.getLogger(__name__)

_installed: list[QTranslator] = []
_current = "en"
LANGUAGE_NAMES = {"en": "English", "zh_CN": "简体中文"}  # each in its own language, never translated


def current_language() -> str:
    return _current


def install_language(language: str) -> str:
    """Make ``language`` the app's language (``en`` removes translations); returns it."""
    global _current
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("install_language needs a QApplication")
    for translator in _installed:
        QCoreApplication.removeTranslator(translator)
    _installed.clear()
    if language not in LANGUAGES:
        raise ValueError(f"language '{language}': expected one of {', '.join(LANGUAGES)}")
    QLocale.setDefault(QLocale(language))
    _current = language
    if language == "en":
        return language
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    ours = qm_file(language)
    candidates = [(f"qtbase_{language}", qt_dir), (str(ours) if ours else "", "")]
    if ours is None:
        log.error("no translation for %s: the UI stays in English", language)
    for name, folder in candidates:
        if not name:
            continue
        translator = QTranslator(app)
        if translator.load(name, folder):
            QCoreApplication.installTranslator(translator)
            _installed.append(translator)
        else:
            log.warning("translation %s not loaded from %s", name, folder or "its path")
    return language


def language_menu(parent: QWidget) -> QMenu:
    """A "Language" menu that saves the user's choice (applies at the next start)."""
    menu = QMenu(QCoreApplication.translate("LanguageMenu", "&Language"), parent)
    group = QActionGroup(menu)
    saved = load_preferences().language
    follow = menu.addAction(QCoreApplication.translate("LanguageMenu", "As the site sets it"))
    follow.setCheckable(True)
    follow.setChecked(saved is None)
    group.addAction(follow)
    follow.triggered.connect(lambda: _save_choice(parent, None))
    for code in LANGUAGES:
        action = menu.addAction(LANGUAGE_NAMES[code])
        action.setCheckable(True)
        action.setChecked(saved == code)
        group.addAction(action)
        action.triggered.connect(lambda _checked=False, c=code: _save_choice(parent, c))
    return menu


def _save_choice(parent: QWidget, language: str | None) -> None:
    from PySide6.QtWidgets import QMessageBox

    save_preferences(Preferences(language=language))
    QMessageBox.information(
        parent,
        QCoreApplication.translate("LanguageMenu", "Language"),
        QCoreApplication.translate(
            "LanguageMenu", "The new language applies the next time you start the app."
        ),
    )
