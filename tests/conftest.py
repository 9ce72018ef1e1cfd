"""Shared fixtures: real data from ../shared/data, a throw-away cache, no user config."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CONTROLROOM_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read or write a user's real cache or config."""
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("CONTROLROOM_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("CONTROLROOM_CONFIG_DIR", str(base / "config"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"real test data not found at {SHARED_DATA} (set CONTROLROOM_SHARED_DATA)")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _no_leaks(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """GUI tests must close what they open: visible windows and extra threads fail the test."""
    import threading

    before = {t.ident for t in threading.enumerate()}
    yield
    if "qtbot" not in request.fixturenames and "qapp" not in request.fixturenames:
        return
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return
    for _ in range(3):
        app.processEvents()
    visible = [w for w in QApplication.topLevelWidgets() if w.isVisible() and not w.isHidden()]
    leaked_threads = [
        t.name for t in threading.enumerate() if t.ident not in before and t.is_alive() and not t.daemon
    ]
    for w in visible:
        w.close()
    assert not visible, f"test left windows open: {[type(w).__name__ for w in visible]}"
    assert not leaked_threads, f"test left threads running: {leaked_threads}"


@pytest.fixture
def monitors(qapp, qtbot):  # type: ignore[no-untyped-def]
    """Simulated wall monitors (Xvfb + xrandr --setmonitor); see tests/qt/test_wall.py."""
    from tests.qt.test_wall import open_monitors

    yield from open_monitors(qtbot)
