"""Simulated wall monitors: Xvfb + ``xrandr --setmonitor`` gives Qt real, hot-pluggable screens.

Monitors are 640×360 so a 3 × 2 wall fits the suite's 1920×1080 Xvfb screen. The ``monitors``
fixture (tests/conftest.py) opens them and removes them again after the test.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

W, H = 640, 360
Monitor = tuple[str, int, int, int, int]  # name, width, height, x, y
WALL = [(f"W{r}{c}", W, H, c * W, r * H) for r in range(2) for c in range(3)]


def _xrandr(*args: str) -> None:
    subprocess.run(["xrandr", *args], check=True, capture_output=True)


def _screen_names() -> list[str]:
    return sorted(s.name() for s in QGuiApplication.screens())


class Monitors:
    """Adds and removes xrandr virtual monitors and waits until Qt has seen the change."""

    def __init__(self, qtbot: QtBot) -> None:
        self.qtbot = qtbot
        self.names: list[str] = []
        self.original = _screen_names()

    def set(self, monitors: list[Monitor]) -> None:
        for i, (name, w, h, x, y) in enumerate(monitors):
            output = "screen" if i == 0 and not self.names else "none"
            _xrandr("--setmonitor", name, f"{w}/{w * 254 // 960}x{h}/{h * 254 // 960}+{x}+{y}", output)
            self.names.append(name)
        self.qtbot.waitUntil(lambda: _screen_names() == sorted(self.names), timeout=5000)

    def remove(self, name: str) -> None:
        _xrandr("--delmonitor", name)
        self.names.remove(name)
        expected = sorted(self.names) if self.names else self.original
        self.qtbot.waitUntil(lambda: _screen_names() == expected, timeout=5000)

    def remove_all(self) -> None:
        for name in list(self.names):
            subprocess.run(["xrandr", "--delmonitor", name], check=False, capture_output=True)
        self.names.clear()
        self.qtbot.waitUntil(lambda: _screen_names() == self.original, timeout=5000)


def open_monitors(qtbot: QtBot) -> Iterator[Monitors]:
    """The ``monitors`` fixture's body (tests/conftest.py): simulated monitors, removed afterwards."""
    if not _screen_names() or len(QGuiApplication.screens()) != 1:
        pytest.fail(f"expected one plain Xvfb screen before the test, found {_screen_names()}")
    m = Monitors(qtbot)
    yield m
    m.remove_all()
