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
