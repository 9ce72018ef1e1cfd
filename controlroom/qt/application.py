"""The QApplication: identity, high-DPI policy, translations and the dark wall palette."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from controlroom import __version__

APP_NAME = "controlroom"


def dark_palette() -> QPalette:
    """A calm dark palette: control rooms are dim, and bright UI chrome glares on a wall."""
    p = QPalette()
    bg, base, text, accent = QColor("#0d1520"), QColor("#111c2a"), QColor("#e6edf5"), QColor("#2ea8ff")
    p.setColor(QPalette.ColorRole.Window, bg)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, QColor("#16243a"))
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, QColor("#1a2a3f"))
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.Highlight, accent)
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#001020"))
    p.setColor(QPalette.ColorRole.ToolTipBase, base)
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor("#7d8ea3"))
    return p


def make_application(argv: Sequence[str] | None = None, language: str | None = None) -> QApplication:
    """Create (or return) the QApplication, configured once for the whole process.

    ``language`` ("en", "zh_CN") installs that translation and locale before any window is built.
    """
    os.environ.setdefault("QT_API", "pyside6")
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setOrganizationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    font = QFont(app.font())
    font.setFamilies(["Noto Sans", "Noto Sans CJK SC", "DejaVu Sans"])
    font.setPointSizeF(max(font.pointSizeF(), 11.0))
    app.setFont(font)
    if language is not None:
        from controlroom.qt.i18n import install_language

        install_language(language)
    return app
