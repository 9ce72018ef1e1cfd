"""The video grid panel: 1 / 4 / 9 / 16 and 1+5 layouts of live camera tiles, as in a VMS client.

It follows the instance's operator intents: ``LiveCity.sig_open_cameras`` (a camera clicked on
the map, cameras attached to an incident) and ``sig_cameras_around`` (the N nearest cameras to
a point, from the site's registry). Double-click enlarges a tile (main stream; the others stop
decoding), double-click again returns to the grid (sub-streams); dragging one tile onto another
swaps them without reconnecting either. One timer ages every tile's badge and drives retries.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

from PySide6.QtCore import QTimer, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from controlroom.qt.fit import ElidedLabel
from controlroom.qt.panel_contract import LivePanel
from controlroom.qt.strings import incident_type_label
from controlroom.qt.video_tile import VideoTile

if TYPE_CHECKING:
    from controlroom.core.cameras import Camera, CameraRegistry
    from controlroom.qt.live import LiveCity

# Layout name → cells (row, column, row span, column span), in slot order.
LAYOUTS: dict[str, list[tuple[int, int, int, int]]] = {
    "1": [(0, 0, 1, 1)],
    "4": [(r, c, 1, 1) for r in range(2) for c in range(2)],
    "9": [(r, c, 1, 1) for r in range(3) for c in range(3)],
    "16": [(r, c, 1, 1) for r in range(4) for c in range(4)],
    "1+5": [(0, 0, 2, 2), (0, 2, 1, 1), (1, 2, 1, 1), (2, 0, 1, 1), (2, 1, 1, 1), (2, 2, 1, 1)],
}
log = logging.getLogger(__name__)

MAX_TILES = 16
TICK_MS = 250


def layout_for(count: int) -> str:
    """The smallest layout that shows ``count`` cameras (VMS habit: 1, 4, 1+5, 9, 16)."""
    for name in ("1", "4", "1+5", "9", "16"):
        if count <= len(LAYOUTS[name]):
            return name
    return "16"


class VideoGridPanel(LivePanel, QWidget):
    """Tiles of live video; ``registry`` resolves camera ids (and nearest cameras) lazily."""

    panel_id: ClassVar[str] = "video_grid"

    def __init__(
        self,
        registry: Callable[[], CameraRegistry | None] | None = None,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.title())
        self._registry = registry or (lambda: None)
        self.layout_name = "4"
        self.enlarged: VideoTile | None = None
        self._live: LiveCity | None = None
        self.tiles = [VideoTile(i, clock=clock) for i in range(MAX_TILES)]
        for tile in self.tiles:
            tile.sig_double_clicked.connect(self._on_tile_double_clicked)
            tile.sig_swap_requested.connect(self.swap)
            tile.sig_snapshot_saved.connect(self._on_snapshot_saved)
            tile.hide()
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        root.addWidget(self._build_toolbar())
        self._area = QWidget(self)
        self._area.setStyleSheet("background: #050607;")
        self._grid = QGridLayout(self._area)
        self._grid.setContentsMargins(2, 2, 2, 2)
        self._grid.setSpacing(2)
        root.addWidget(self._area, 1)
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._on_tick)
        self._timer.start()
        self.set_layout("4")

    def title(self) -> str:
        return self.tr("Video")

    def set_wall_density(self, text_px: int) -> None:
        """On a wall: no desk-only layout buttons, captions at the wall's text size, main streams
        wherever a tile is larger than the sub-stream."""
        for button in self._layout_buttons.buttons():
            button.hide()
        self._clear_button.hide()
        font = QFont(self.title_label.font())
        font.setPixelSize(text_px)
        self.title_label.setFont(font)
        self.title_label.setStyleSheet(f"font-size: {text_px}px;")
        for tile in self.tiles:
            tile.set_wall_density(text_px)

    def _build_toolbar(self) -> QWidget:
        bar = QWidget(self)
        bar.setStyleSheet(
            "QWidget { background: #161b22; color: #e6edf3; }"
            "QToolButton { padding: 2px 10px; border: 1px solid #30363d; border-radius: 3px; }"
            "QToolButton:checked { background: #2ea8ff; color: black; }"
        )
        row = QHBoxLayout(bar)
        row.setContentsMargins(8, 4, 8, 4)
        self.title_label = ElidedLabel(self.tr("Video"), bar)
        font = QFont(self.title_label.font())
        font.setPointSize(14)
        font.setBold(True)
        self.title_label.setFont(font)
        row.addWidget(self.title_label, 1)
        self.message_label = QLabel("", bar)
        row.addWidget(self.message_label)
        self._layout_buttons = QButtonGroup(bar)
        self._layout_buttons.setExclusive(True)
        for name in LAYOUTS:
            button = QToolButton(bar)
            button.setText(name)
            button.setCheckable(True)
            button.setToolTip(self.tr("Show {0} tiles").format(name))
            button.clicked.connect(lambda _=False, n=name: self.set_layout(n))
            self._layout_buttons.addButton(button)
            row.addWidget(button)
        clear = self._clear_button = QToolButton(bar)
        clear.setText(self.tr("Clear"))
        clear.setToolTip(self.tr("Close every camera"))
        clear.clicked.connect(self.clear)
        row.addWidget(clear)
        return bar

    # ----------------------------------------------------------------- public
    def attach_live(self, live: LiveCity) -> None:
        live.sig_open_cameras.connect(self._on_open_cameras)
        live.sig_cameras_around.connect(self._on_cameras_around)
        self._live = live
        live.sig_tick.connect(self._follow_new_incident)
        from controlroom.qt.replay_clock import replay_clock_for

        replay_clock_for(live).sig_jumped.connect(self.follow_clock)  # video follows the one clock

    def follow_clock(self) -> None:
        """Each tile shows its camera's recording at the clock's instant (or live, or "no recording")."""
        from controlroom.core.video_playback import replay_source
        from controlroom.qt.replay_clock import replay_clock_for

        if self._live is None:
            return
        clock = replay_clock_for(self._live)
        site = self._live.site
        for tile in self.tiles:
            src = None
            if clock.replaying and tile.camera is not None:
                src = replay_source(tile.camera, clock.time, list(site.video_playback), site.site.timezone)
            tile.set_replay(src, replaying=clock.replaying, playing=clock.playing)

    def open_camera(self, camera_id: str) -> None:
        """Push-to-wall's "show this camera here" (``controlroom wall push --camera``)."""
        self.open_camera_ids([camera_id])

    def is_idle(self) -> bool:
        return not any(t.camera is not None for t in self.tiles)

    def _follow_new_incident(self, change: object) -> None:
        """An idle grid (nobody chose cameras yet: a wall at start) shows the cameras around the
        most severe new incident, as a VMS wall links video to alarms; a busy grid is left alone."""
        new = getattr(change, "new_incidents", None)
        board = self._live.incidents if self._live is not None else None
        if not new or board is None or not self.is_idle():
            return
        incidents = [i for i in (board.get(n) for n in new) if i is not None and i.is_open]
        if not incidents:
            return
        worst = max(incidents, key=lambda i: (i.severity, i.raised_at))
        # Our words, not the feed's free text: the title reads in the app's language.
        title = self.tr("{0} · {1}").format(incident_type_label(worst.type), worst.id)
        if worst.camera_ids:
            self.open_camera_ids(list(worst.camera_ids), title)
        else:
            self.open_nearest(worst.x, worst.y, title)

    def visible_tiles(self) -> list[VideoTile]:
        return [t for t in self.tiles if t.isVisible()]

    def set_layout(self, name: str) -> None:
        """Arrange the first N slots in the named layout; tiles beyond it are hidden (not decoding)."""
        if name not in LAYOUTS:
            raise KeyError(f"unknown video layout '{name}'; expected one of {', '.join(LAYOUTS)}")
        self.layout_name = name
        self.enlarged = None
        for button in self._layout_buttons.buttons():
            button.setChecked(button.text() == name)
        self._relayout()

    def open_cameras(self, cameras: Sequence[Camera], title: str = "") -> None:
        """Show these cameras from the first tile on, in a layout big enough for them."""
        cameras = list(cameras)[:MAX_TILES]
        self.set_layout(layout_for(max(1, len(cameras))))
        for i, tile in enumerate(self.tiles):
            tile.set_camera(cameras[i] if i < len(cameras) else None)
        self.title_label.setText(title or self.tr("Video"))

    def registry(self) -> CameraRegistry | None:
        """The site's cameras; a registry that cannot be read is reported in the panel, not raised."""
        try:
            registry = self._registry()
        except Exception as exc:  # a bad registry file must not take the app down
            log.error("camera registry: %s", exc)
            self.message_label.setText(self.tr("Camera registry not available: {0}").format(exc))
            return None
        if registry is None:
            self.message_label.setText(self.tr("This site has no camera registry"))
        return registry

    def open_camera_ids(self, camera_ids: Sequence[str], title: str = "") -> None:
        """Resolve ids through the registry; unknown ids are named in the panel, the rest open."""
        registry = self.registry()
        if registry is None:
            return
        found = [c for c in (registry.find(i) for i in camera_ids) if c is not None]
        missing = [i for i in camera_ids if i not in registry]
        self.message_label.setText(
            self.tr("Unknown camera(s): {0}").format(", ".join(missing[:4])) if missing else ""
        )
        if found:
            self.open_cameras(found, title)

    def open_nearest(self, x: float, y: float, title: str = "", n: int | None = None) -> list[Camera]:
        """Open the site's N nearest cameras (N from the site, default 4) to a local-frame point."""
        registry = self.registry()
        if registry is None:
            return []
        cameras = [hit.camera for hit in registry.nearest(x, y, n)]
        self.message_label.setText("")
        self.open_cameras(cameras, title or self.tr("Cameras around"))
        return cameras

    def enlarge(self, tile: VideoTile | None) -> None:
        """Show one tile alone on its main stream (None: back to the grid on sub-streams)."""
        self.enlarged = tile
        self._relayout()

    def swap(self, a: int, b: int) -> None:
        """Exchange two slots; both keep playing (no reconnect)."""
        if a == b or not (0 <= a < MAX_TILES and 0 <= b < MAX_TILES):
            return
        self.tiles[a], self.tiles[b] = self.tiles[b], self.tiles[a]
        self.tiles[a].slot, self.tiles[b].slot = a, b
        self._relayout()

    def clear(self) -> None:
        self.enlarged = None
        for tile in self.tiles:
            tile.set_camera(None)
        self.title_label.setText(self.tr("Video"))
        self._relayout()

    # -------------------------------------------------------------- internals
    def _relayout(self) -> None:
        while self._grid.count():
            self._grid.takeAt(0)
        for r in range(4):
            self._grid.setRowStretch(r, 0)
            self._grid.setColumnStretch(r, 0)
        if self.enlarged is not None:
            shown = {id(self.enlarged)}
            self._grid.addWidget(self.enlarged, 0, 0)
            self._grid.setRowStretch(0, 1)
            self._grid.setColumnStretch(0, 1)
        else:
            cells = LAYOUTS[self.layout_name]
            shown = {id(t) for t in self.tiles[: len(cells)]}
            for tile, (r, c, rs, cs) in zip(self.tiles, cells, strict=False):
                self._grid.addWidget(tile, r, c, rs, cs)
            rows = max(r + rs for r, _, rs, _ in cells)
            cols = max(c + cs for _, c, _, cs in cells)
            for r in range(rows):
                self._grid.setRowStretch(r, 1)
            for c in range(cols):
                self._grid.setColumnStretch(c, 1)
        for tile in self.tiles:
            on = id(tile) in shown
            tile.setVisible(on)
            tile.set_main_stream(on and (self.enlarged is tile or tile.outgrows_sub_stream()))
            tile.sync()

    @Slot(object)
    def _on_tile_double_clicked(self, tile: VideoTile) -> None:
        if tile.camera is None:
            return
        self.enlarge(None if self.enlarged is tile else tile)

    @Slot(str)
    def _on_snapshot_saved(self, path: str) -> None:
        self.message_label.setText(self.tr("Snapshot saved: {0}").format(path))

    @Slot()
    def _on_tick(self) -> None:
        if not self.isVisible():
            return
        for tile in self.tiles:
            if tile.isVisible():
                tile.tick()

    @Slot(object, str)
    def _on_open_cameras(self, camera_ids: list[str], title: str) -> None:
        self.open_camera_ids(camera_ids, title)

    @Slot(float, float, str)
    def _on_cameras_around(self, x: float, y: float, title: str) -> None:
        self.open_nearest(x, y, title)

    def release(self) -> None:
        self.shutdown()

    def shutdown(self) -> None:
        """Stop every player and the timer (the panel is closing)."""
        self._timer.stop()
        for tile in self.tiles:
            tile.shutdown()

    def closeEvent(self, event: object) -> None:
        self.shutdown()
        super().closeEvent(event)  # type: ignore[arg-type]
