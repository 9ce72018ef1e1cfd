"""Shared fixtures: real data from ../shared/data, a throw-away cache, no user config."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: ``pytester`` runs small suites in a subprocess (tests/test_leak_harness.py).
pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CONTROLROOM_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read or write a user's real cache or config."""
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("CONTROLROOM_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("CONTROLROOM_CONFIG_DIR", str(base / "config"))


#: CI sets this so that a missing ``../shared/data`` fails the real-data tests instead of skipping them.
REQUIRE_SHARED_DATA = os.environ.get("CONTROLROOM_REQUIRE_SHARED_DATA", "") not in ("", "0")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real third-party data (``../shared/data``); skips the test, in one line, where it is absent."""
    if not SHARED_DATA.is_dir():
        message = (
            f"real test data not found at {SHARED_DATA}: put the project's shared/data folder "
            "beside the checkout or set CONTROLROOM_SHARED_DATA"
        )
        if REQUIRE_SHARED_DATA:
            pytest.fail(f"{message} (CONTROLROOM_REQUIRE_SHARED_DATA is set)", pytrace=False)
        pytest.skip(message)
    return SHARED_DATA


@pytest.fixture
def minimal_site(tmp_path: Path) -> Path:
    """A valid site file with a feed section and no roads, for tests that never read city data."""
    site = tmp_path / "site.toml"
    site.write_text(
        """schema = 1
[site]
name = "minimal"
title = "Minimal test site"
crs = "EPSG:32649"
origin = [113.3157, 23.1226]

[[city_model]]
path = "buildings.geojson"
crs = "EPSG:4326"

[feed]
endpoint = "tcp://127.0.0.1:0"
snapshot_endpoint = "tcp://127.0.0.1:0"
""",
        encoding="utf-8",
    )
    return site


@pytest.fixture(autouse=True)
def _no_leaks(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Every test must stop what it starts: threads, Qt timers, windows, VTK plotters and render
    windows (tests/leaks.py)."""
    from tests.leaks import Snapshot, leaks, uses_vtk

    qt = "qtbot" in request.fixturenames or "qapp" in request.fixturenames
    vtk = qt or uses_vtk(request.module)
    before = Snapshot.take(qt, vtk)
    yield
    problems = leaks(before, qt, vtk)
    assert not problems, "; ".join(problems)


@pytest.fixture
def monitors(qapp, qtbot):  # type: ignore[no-untyped-def]
    """Simulated wall monitors (Xvfb + xrandr --setmonitor); see tests/qt/test_wall.py."""
    from tests.qt.test_wall import open_monitors

    yield from open_monitors(qtbot)
