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
    from controlroom.render.overlays.registry import DrawContext, Drawn

log = logging.getLogger(__name__)

_grids: weakref.WeakSet[VideoGridPanel] = weakref.WeakSet()


class SiteCameras:
    """The site's cameras in the live frame, as a model a map draws and the video grid opens:
    calling it gives the registry (None before the city is loaded)."""

    def __init__(self, live: LiveCity) -> None:
        self.live = live

    def __call__(self) -> CameraRegistry | None:
        live = self.live
        if live.frame is None or live.site.cameras is None:
            return None
        from controlroom.geo.cameras import site_cameras

        return site_cameras(live.site, live.frame)

    def safe(self) -> CameraRegistry | None:
        """The registry, or None with the reason logged (a bad registry file: the map still works)."""
        try:
            return self()
        except Exception as exc:
            log.error("camera layer: %s", exc)
            return None


def camera_registry(live: LiveCity) -> Callable[[], CameraRegistry | None]:
    """A getter for the site's cameras in the live frame (None before the city is loaded)."""
    return SiteCameras(live)


def make_video_grid(live: LiveCity) -> VideoGridPanel:
    from controlroom.panels.video_grid import VideoGridPanel

    grid = VideoGridPanel(camera_registry(live))
    grid.attach_live(live)
    _grids.add(grid)
    return grid


def camera_layer(cameras: SiteCameras, ctx: DrawContext) -> Drawn:
    """The camera overlay on a map panel; a click opens the camera (or zooms into a cluster)."""
    from PySide6.QtCore import QCoreApplication

    from controlroom.render.overlays.cameras import CameraOverlay
    from controlroom.render.overlays.registry import Drawn

    overlay = CameraOverlay(cameras.safe, title=QCoreApplication.translate("CameraLayer", "Cameras"))
    panel, live = ctx.host, cameras.live

    def on_pick(item_id: str) -> None:
        focus = overlay.cluster_focus(item_id)
        if focus is not None:
            live.request_focus(*focus, label="")
            return
        reg = cameras.safe()
        camera = reg.find(item_id) if reg is not None else None
        if camera is not None:
            from controlroom.qt.i18n import current_language

            open_cameras_near(panel, live, [camera.id], camera.name_in(current_language()))

    return Drawn(overlay, on_pick)


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
