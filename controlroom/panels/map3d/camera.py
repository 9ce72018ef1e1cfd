"""The map's camera as other parts of the app drive it: fly to a point, save and restore a view
(saved views), push to and apply from a wall (``qt.wall.control`` calls these by name), and the
wall-only concerns of a spanning map (bezel compensation, no toolbar seen from across the room).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from controlroom.layouts.geometry import BezelCompensation
    from controlroom.render.bezel_view import BezelTiles
    from controlroom.render.scene import CityScene, WgsFrame

Vec3 = tuple[float, float, float]
WALL_DISTANCE_M = 2.5  # layouts viewed from further away are walls: no toolbar


class MapCameraMixin:
    """Camera and wall behaviour of ``MapPanel`` (which provides these attributes)."""

    scene: CityScene | None
    plotter: Any
    toolbar: QWidget
    bezel: BezelCompensation | None
    _bezel_tiles: BezelTiles | None
    _frame: WgsFrame | None

    def request_render(self) -> None:
        raise NotImplementedError

    def focus_on(self, x: float, y: float, distance_m: float = 800.0) -> None:
        """Fly to a point of the site's local frame (an incident, an alarm, a camera)."""
        if self.scene is not None:
            self.scene.focus_on(x, y, distance_m)
            self.request_render()

    def camera_state(self) -> dict[str, float] | None:
        return self.scene.camera_state() if self.scene is not None else None

    def apply_camera_state(self, state: dict[str, float]) -> None:
        if self.scene is not None:
            self.scene.apply_camera_state(state)
            self.request_render()

    def set_bezel_compensation(self, bezel: BezelCompensation | None) -> None:
        """Spanning several monitors: draw one picture behind the bezels (one renderer per monitor)."""
        from controlroom.render.bezel_view import BezelTiles

        self.bezel = bezel
        if self._bezel_tiles is not None:
            self._bezel_tiles.remove()
            self._bezel_tiles = None
        if bezel is not None and len(bezel.tiles) > 1:
            size = (
                round(max(t.window_rect.right for t in bezel.tiles)),
                round(max(t.window_rect.bottom for t in bezel.tiles)),
            )
            tiles = [
                (
                    (t.window_rect.x, t.window_rect.y, t.window_rect.w, t.window_rect.h),
                    (t.canvas_rect.x, t.canvas_rect.y, t.canvas_rect.w, t.canvas_rect.h),
                )
                for t in bezel.tiles
            ]
            self._bezel_tiles = BezelTiles(self.plotter, bezel.canvas_size, tiles, size)
        self.request_render()

    def set_viewing_distance(self, metres: float | None) -> None:
        """Seen from across a room (a wall), nobody uses the toolbar: give its space to the city."""
        wall = metres is not None and metres >= WALL_DISTANCE_M
        self.toolbar.setVisible(not wall)
        decor = getattr(self, "decor", None)
        if decor is not None and isinstance(self, QWidget):
            from controlroom.qt.wall.theme import fonts_for_screen

            # names, legend, north arrow and scale bar as large as the wall's body text
            body = fonts_for_screen(self.screen(), metres).body if wall and metres is not None else None
            decor.set_density(body)

    # Push-to-wall (controlroom.qt.wall.control calls these by name).
    def camera_view(self) -> tuple[Vec3, Vec3, Vec3]:
        """(position, focal point, up) in the site's local frame."""
        camera = self.plotter.camera
        return (
            tuple(map(float, camera.position)),  # type: ignore[return-value]
            tuple(map(float, camera.focal_point)),
            tuple(map(float, camera.up)),
        )

    def focal_lonlat(self) -> tuple[float, float] | None:
        if self._frame is None or not hasattr(self._frame, "to_wgs84"):
            return None
        fx, fy, _fz = self.plotter.camera.focal_point
        lon, lat = self._frame.to_wgs84([fx], [fy])
        return float(lon[0]), float(lat[0])

    def apply_camera(self, position: Vec3, focal_point: Vec3, up: Vec3) -> None:
        camera = self.plotter.camera
        camera.position = position
        camera.focal_point = focal_point
        camera.up = up
        self.plotter.renderer.ResetCameraClippingRange()
        self.request_render()

    def focus_location(self, lon: float, lat: float, label: str = "") -> None:
        """Fly to a lon/lat (WGS 84): an incident or a view pushed from another site frame."""
        if self._frame is None:
            return
        x, y = self._frame.from_wgs84([lon], [lat])
        self.focus_on(float(x[0]), float(y[0]))
