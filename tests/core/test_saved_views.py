"""Saved views round-trip through the user's file, merge with the site's, and paste into site.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from controlroom.core.saved_views import SavedView, ViewStore, views_path
from controlroom.core.shipped import shipped_path
from controlroom.core.site import load_site

SITE = shipped_path("sample-site", "site.toml")


@pytest.fixture
def site():
    return load_site(SITE)


def test_user_view_round_trips_with_camera_layers_and_colouring(site) -> None:  # type: ignore[no-untyped-def]
    view = SavedView(
        "河边 east bank", 113.31, 23.112, 1500.0, 135.0, 30.0, "height", {"boundary:grid": False}
    )
    path = ViewStore(site).save(view)
    assert path == views_path("pearl-river-demo") and path.is_file()
    again = ViewStore(site)
    assert again.find("河边 east bank") == view
    assert again.names()[:3] == ["overview", "cbd", "river"]  # the site's first, in site order
    assert again.find("cbd").origin == "site"  # type: ignore[union-attr]


def test_a_user_view_hides_the_site_view_of_the_same_name_and_delete_brings_it_back(site) -> None:  # type: ignore[no-untyped-def]
    store = ViewStore(site)
    store.save(SavedView("cbd", 113.0, 23.0))
    assert store.find("cbd").lon == 113.0  # type: ignore[union-attr]
    assert store.names().count("cbd") == 1
    assert store.delete("cbd") and not store.delete("cbd")
    assert store.find("cbd").origin == "site"  # type: ignore[union-attr]


def test_a_damaged_file_is_reported_and_ignored(site) -> None:  # type: ignore[no-untyped-def]
    path = views_path("pearl-river-demo")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"version": 1, "views": [{"name": "x", "lon": 1, "lat": 2, "layers": {"a": "yes"}}]}')
    store = ViewStore(site)
    assert store.load_error is not None and "layers" in store.load_error and str(path) in store.load_error
    assert store.names() == ["overview", "cbd", "river"]


def test_to_toml_is_a_valid_site_views_block(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    view = SavedView("桥", 113.31, 23.11, 800.0, 45.0, 25.0, None, {"roads": True, "boundary:grid": False})
    block = tomllib.loads(view.to_toml())["views"][0]
    text = (
        SITE.read_text(encoding="utf-8").replace(str(site.views[0].name), "overview") + "\n" + view.to_toml()
    )
    (tmp_path / "site.toml").write_text(text, encoding="utf-8")
    shared = ViewStore(load_site(tmp_path / "site.toml"), path=tmp_path / "none.json").find("桥")
    assert shared is not None and shared.origin == "site" and shared.layers == block["layers"]
    assert shared.as_site_view().layers == {"roads": True, "boundary:grid": False}
