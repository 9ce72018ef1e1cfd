"""One-click video: the camera layer on every map and the video grid, joined through ``LiveCity``.

Clicking a camera on the map asks for its live video (``live.request_cameras``); clicking a
cluster zooms in on it. When no video grid is on the map's screen (a desk with only the map),
the video opens in a floating grid window instead, so the click is never lost. The registry is
loaded once per site file and frame (``geo.cameras.site_cameras``) and shared by all panels.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from controlroom.core.cameras import CameraRegistry
    from controlroom.panels.map3d import MapPanel
    from controlroom.panels.video_grid import VideoGridPanel
    from controlroom.qt.live import LiveCity

log = logging.getLogger(__name__)

_grids: weakref.WeakSet[VideoGridPanel] = weakref.WeakSet()


def camera_registry(live: LiveCity) -> Callable[[], CameraRegistry | None]:
    """A getter for the site's cameras in the live frame (None before the city is loaded)."""

    def get() -> CameraRegistry | None:
        if live.frame is None or live.site.cameras is None:
            return None
        from controlroom.geo.cameras import site_cameras

        return site_cameras(live.site, live.frame)

    return get


def make_video_grid(live: LiveCity) -> VideoGridPanel:
    from controlroom.panels.video_grid import VideoGridPanel

    grid = VideoGridPanel(camera_registry(live))
    grid.attach_live(live)
    _grids.add(grid)
    return grid


def add_camera_layer(panel: MapPanel, live: LiveCity) -> None:
    """The camera overlay on a map panel; a click opens the camera (or zooms into a cluster)."""
    if not hasattr(panel, "add_overlay"):
        log.warning("map panel has no add_overlay(); camera layer not shown")
        return
    from PySide6.QtCore import QCoreApplication

    from controlroom.render.overlays.cameras import CameraOverlay

    registry = camera_registry(live)

    def safe_registry() -> CameraRegistry | None:
        try:
            return registry()
        except Exception as exc:  # a bad registry file: the map still works, the log says why
            log.error("camera layer: %s", exc)
            return None

    overlay = CameraOverlay(safe_registry, title=QCoreApplication.translate("CameraLayer", "Cameras"))
    panel.add_overlay(overlay)

    def on_picked(key: str, item_id: str) -> None:
        if key != overlay.key:
            return
        focus = overlay.cluster_focus(item_id)
        if focus is not None:
            live.request_focus(*focus, label="")
            return
        reg = safe_registry()
        camera = reg.find(item_id) if reg is not None else None
        if camera is None:
            return
        open_cameras_near(panel, live, [camera.id], camera.name)

    panel.sig_overlay_picked.connect(on_picked)


def open_cameras_near(panel: MapPanel, live: LiveCity, camera_ids: list[str], title: str) -> None:
    """Open cameras in the grid on the panel's screen, or in a floating grid if there is none."""
    screen = panel.window().screen()
    on_screen = [g for g in _grids if g.isVisible() and g.window().screen() is screen]
    if on_screen:
        live.request_cameras(camera_ids, title)
        return
    from PySide6.QtCore import Qt

    floating = make_video_grid(live)
    floating.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
    floating.resize(960, 600)
    if screen is not None:
        floating.move(screen.availableGeometry().center() - floating.rect().center())
    floating.setWindowTitle(title)
    floating.show()
    floating.open_camera_ids(camera_ids, title)
