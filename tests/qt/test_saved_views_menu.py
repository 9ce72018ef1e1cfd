"""Save the 3D map's camera, layers and colouring under a name; recall it after moving away."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from controlroom.core.saved_views import ViewStore
from controlroom.core.site import load_site

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def sample_site(sample_site_factory: Callable[[str], Path]) -> Path:
    return sample_site_factory("sample-site")


def test_saved_view_round_trips_on_the_map(qtbot, sample_site: Path) -> None:  # type: ignore[no-untyped-def]
    from controlroom.geo.city_loader import load_city
    from controlroom.geo.crs import LocalFrame
    from controlroom.panels.map3d import MapPanel
    from controlroom.qt.saved_views_menu import SavedViewsMenu

    site = load_site(sample_site)
    model = load_city(site)
    frame = LocalFrame.of_model(model)
    panel = MapPanel()
    qtbot.addWidget(panel)
    panel.set_model(model, list(site.views), frame)
    menu = SavedViewsMenu(panel, site, frame)
    try:
        panel.focus_on(500.0, -300.0, 1200.0)
        panel.set_layer_visible("boundary:grid", False)
        panel.set_color_by("height")
        saved = panel.camera_state()
        menu.save_current("东湖 bridge")

        panel.show_overview()
        panel.set_layer_visible("boundary:grid", True)
        panel.set_color_by(None)
        fresh = SavedViewsMenu(panel, site, frame)  # read back from the user's file
        assert "东湖 bridge" in ViewStore(site).names()
        fresh.recall("东湖 bridge")
        now = panel.camera_state()
        assert saved is not None and now is not None
        for key in ("x", "y", "distance_m", "azimuth_deg", "elevation_deg"):
            assert now[key] == pytest.approx(saved[key], abs=0.05), key
        assert panel.scene is not None and not panel.scene.is_layer_visible("boundary:grid")
        assert panel.scene.color_by == "height"
        labels = [a.text() for a in fresh.actions()]
        # site views by their title in the app's language; the user's own by the name they gave
        assert labels[:3] == ["Whole district", "CBD", "Pearl River banks"] and "东湖 bridge (mine)" in labels
    finally:
        panel.close()
