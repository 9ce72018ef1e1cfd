"""Shared fixtures: real data from ../shared/data, a throw-away cache, no user config."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
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


@pytest.fixture(scope="session")
def sample_site_factory(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """``make(name)``: a copy of the generated sample site in a fresh tmp folder, as its site.toml.

    The site is generated once per test process (about ten seconds) and copied in a fraction of
    that, so every module still has a folder of its own to write in.
    """
    master: list[Path] = []

    def make(name: str) -> Path:
        if not master:
            from controlroom.app.sample_site import ensure_sample_site

            master.append(ensure_sample_site(tmp_path_factory.mktemp("sample-site-master")).parent)
        folder = tmp_path_factory.mktemp(name)
        shutil.copytree(master[0], folder, dirs_exist_ok=True)
        return folder / "site.toml"

    return make


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


@pytest.fixture
def short_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder under the session's tmp folder with a short path: ipc:// socket paths must stay
    under ~100 bytes, which a test's own tmp_path (named after the test) can exceed."""
    return tmp_path_factory.mktemp("ipc")


@pytest.fixture
def shots_dir(tmp_path: Path) -> Path:
    """Where a test saves screenshots for people to look at: its own tmp folder, or
    ``$CONTROLROOM_TEST_SHOTS`` when set (to keep them after the run)."""
    env = os.environ.get("CONTROLROOM_TEST_SHOTS")
    folder = Path(env) if env else tmp_path / "shots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


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
    """Simulated wall monitors (Xvfb + xrandr --setmonitor); see tests/qt/monitors.py."""
    from tests.qt.monitors import open_monitors

    yield from open_monitors(qtbot)
