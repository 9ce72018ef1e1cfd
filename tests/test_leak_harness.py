"""The leak checks can fail: each test here runs a small suite that leaks one thing on purpose."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_CONFTEST = """
from tests.conftest import _no_leaks  # noqa: F401  (the autouse fixture under test)
"""

LEAKS = {
    "thread": (
        """
import threading

def test_leaks_a_thread():
    threading.Thread(target=threading.Event().wait, name="forgotten-worker", daemon=True).start()
""",
        "test left threads running: ['forgotten-worker']",
    ),
    "timer": (
        """
from PySide6.QtCore import QTimer

kept = []

def test_leaks_a_timer(qapp):
    timer = QTimer()
    timer.start(1000)
    kept.append(timer)
""",
        "Qt timer(s) running (owned by ['QTimer'])",
    ),
    "window": (
        """
from PySide6.QtWidgets import QLabel

kept = []

def test_leaks_a_window(qapp):
    label = QLabel("left open")
    label.show()
    kept.append(label)
""",
        "test left windows open: ['QLabel']",
    ),
    "plotter": (
        """
import pyvista

kept = []

def test_leaks_a_plotter():
    kept.append(pyvista.Plotter(off_screen=True))
""",
        "VTK plotter(s) open",
    ),
    "render window": (
        """
import vtkmodules.vtkRenderingOpenGL2  # noqa: F401  (the OpenGL window classes)
from vtkmodules.vtkRenderingCore import vtkRenderer, vtkRenderWindow

def test_leaks_a_render_window():
    window = vtkRenderWindow()
    window.SetOffScreenRendering(1)
    window.AddRenderer(vtkRenderer())
    window.Render()
    kept.append(window)
""",
        "VTK render window(s) open (call Finalize() or close its plotter): ['vtk",
    ),
}


TIDY = """
def test_cleans_up(qapp):
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, name="tidy-worker", daemon=True)
    worker.start()
    timer = QTimer()
    timer.start(1000)
    label = QLabel("shown, then closed")
    label.show()
    plotter = pyvista.Plotter(off_screen=True)
    plotter.show(auto_close=False)
    window = vtkRenderWindow()
    window.SetOffScreenRendering(1)
    window.AddRenderer(vtkRenderer())
    window.Render()
    stop.set()
    timer.stop()
    label.close()
    plotter.close()
    window.Finalize()
"""


def _run_inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, body: str) -> pytest.RunResult:
    pytester.makeconftest(_CONFTEST)
    pytester.makepyfile(test_leaky=body)
    paths = (str(ROOT), os.environ.get("PYTHONPATH"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in paths if p))
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-o", "qt_api=pyside6")


def test_each_deliberate_leak_fails_its_test_and_a_tidy_test_passes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = _run_inner(pytester, monkeypatch, "\n".join([*(body for body, _ in LEAKS.values()), TIDY]))
    result.assert_outcomes(passed=len(LEAKS) + 1, errors=len(LEAKS))
    errors = [line for line in result.stdout.lines if line.startswith("ERROR ")]
    for body, message in LEAKS.values():
        test = body.split("def ")[1].split("(")[0]
        assert [e for e in errors if f"::{test} " in e], errors
        assert f"{message}" in result.stdout.str()
    assert not [e for e in errors if "test_cleans_up" in e]
