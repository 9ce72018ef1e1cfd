"""One tile of the video grid: a camera's stream, its name, an honest state badge and frame age.

Frames arrive through a ``QVideoSink`` and are painted by the tile itself (not a QVideoWidget,
whose native child window cannot be overlaid or grabbed), so the camera name and the state sit
on the picture, ``grab()`` and snapshots show what the operator sees, and a hidden tile simply
stops its player. State and reconnect timing live in the Qt-free ``TileMachine``; the grid's
timer calls ``tick`` to age the badge and retry failed streams with back-off.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QRect, QSize, Qt, QUrl, Signal, Slot
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QDrag,
    QDragEnterEvent,
    QDropEvent,
    QFont,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
)
from PySide6.QtMultimedia import QMediaPlayer, QVideoFrame, QVideoSink
from PySide6.QtWidgets import QApplication, QFrame, QMenu, QWidget

from controlroom.core.cameras import Camera
from controlroom.core.video_playback import ReplaySource
from controlroom.core.video_tile import TileAction, TileMachine, TileState
from controlroom.qt.i18n import current_language
from controlroom.qt.video_frames import frame_to_image

TILE_MIME = "application/x-controlroom-video-tile"
SUB_STREAM_SIZE = (384, 216)  # until a sub-stream frame says otherwise (a typical D1/CIF sub-stream)
STATE_COLOURS = {
    TileState.IDLE: QColor("#5c6370"),
    TileState.CONNECTING: QColor("#e5a50a"),
    TileState.LIVE: QColor("#26a269"),
    TileState.STALLED: QColor("#e66100"),
    TileState.ERROR: QColor("#c01c28"),
}


_LOADED = (QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.BufferedMedia)


class VideoTile(QFrame):
    """Plays one camera; decodes only while visible and assigned."""

    sig_double_clicked = Signal(object)  # this tile
    sig_swap_requested = Signal(int, int)  # dragged tile's slot, this tile's slot
    sig_snapshot_saved = Signal(str)  # path of the PNG

    def __init__(
        self,
        slot: int,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        machine: TileMachine | None = None,
    ) -> None:
        super().__init__(parent)
        self.slot = slot
        self.camera: Camera | None = None
        self.main_stream = False
        self.wall_text_px = 0  # > 0 on a wall: captions this big, main stream once the tile outgrows the sub
        self.sub_size = QSize(*SUB_STREAM_SIZE)  # learnt from the sub-stream's frames
        self.machine = machine or TileMachine()
        self._clock = clock
        self._frame: QVideoFrame | None = None  # arrived, not yet converted
        self._last_image: QImage | None = None
        self._press: QPoint | None = None
        self._drop_target = False
        self.setAcceptDrops(True)
        self.setMinimumSize(160, 90)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.sink = QVideoSink(self)
        self.sink.videoFrameChanged.connect(self._on_frame)
        self.player = QMediaPlayer(self)
        self.player.setVideoSink(self.sink)
        self.player.setLoops(QMediaPlayer.Loops.Infinite)
        self.player.errorOccurred.connect(self._on_player_error)
        self.player.mediaStatusChanged.connect(self._on_media_status)
        #: While the clock is in the past: the recorded video to show (None: no recording).
        self.replaying = False
        self.replay: ReplaySource | None = None
        self._replay_playing = False
        self._seek_pending = False  # seek once the clip is loaded (a seek before that is ignored)

    # ----------------------------------------------------------------- public
    @property
    def state(self) -> TileState:
        return self.machine.state

    @property
    def url(self) -> str:
        if self.replaying:
            return self.replay.url if self.replay is not None else ""
        return self.camera.stream_url(self.main_stream) if self.camera else ""

    def set_replay(self, source: ReplaySource | None, *, replaying: bool, playing: bool = False) -> None:
        """Follow the clock: the recorded video at its instant (``source``; None: this camera has
        no recording, and the tile says so), or live again (``replaying`` False)."""
        was = (self.replaying, self.url)
        self.replaying, self.replay, self._replay_playing = replaying, source, playing
        self._seek_pending = replaying and source is not None
        if (self.replaying, self.url) != was:
            self._stop()
            self.sync()
        elif self._seek_pending and self.player.mediaStatus() in _LOADED:
            self._seek_replay()
        self.update()

    def set_camera(self, camera: Camera | None) -> None:
        """Show this camera (None: empty tile); starts decoding at once if the tile is visible."""
        if camera == self.camera:
            return
        self._stop()
        self.camera = camera
        self._frame = None
        self._last_image = None
        self.machine.last_frame_at = None
        self.machine.frames = 0
        self.machine.backoff.reset()
        self.sync()
        self.update()

    def set_main_stream(self, main: bool) -> None:
        """Main stream when enlarged (full resolution), sub-stream in the grid (cheap to decode)."""
        if main == self.main_stream:
            return
        self.main_stream = main
        if self.machine.state != TileState.IDLE:
            self._stop()
        self.sync()

    def set_wall_density(self, text_px: int) -> None:
        """Wall captions (``text_px`` high, no stream/latency figures) and size-driven main stream."""
        self.wall_text_px = text_px
        self.set_main_stream(self.main_stream or self.outgrows_sub_stream())
        self.update()

    def outgrows_sub_stream(self) -> bool:
        """On a wall: whether this tile is larger than the sub-stream's picture (main looks sharper)."""
        return self.wall_text_px > 0 and (
            self.width() > self.sub_size.width() * 1.25 or self.height() > self.sub_size.height() * 1.25
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.wall_text_px and self.camera is not None and self.isVisible():
            self.set_main_stream(self.outgrows_sub_stream())

    def sync(self) -> None:
        """Decode exactly when a camera is assigned and the tile is on screen."""
        wanted = self.camera is not None and self.isVisible()
        if wanted and self.machine.state == TileState.IDLE:
            self._open()
        elif not wanted and self.machine.state != TileState.IDLE:
            self._stop()

    def tick(self) -> None:
        """Age the badge and retry a failed stream when its back-off has passed."""
        if self.machine.tick(self._clock()) == TileAction.RECONNECT:
            self.player.stop()
            self._open(reopen=True)
        self.update()

    def is_decoding(self) -> bool:
        return self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState

    def current_image(self) -> QImage | None:
        """The last frame at the stream's resolution (None before the first frame).

        A new frame is converted once, when first asked for (a paint of a visible tile), not on
        every repaint and not at all for frames nobody saw."""
        frame, self._frame = self._frame, None
        if frame is not None and frame.isValid():
            image = frame_to_image(frame)
            if not image.isNull():
                self._last_image = image
        return self._last_image

    def snapshot(self, path: Path | None = None) -> Path:
        """Save the current frame as PNG; default ``~/Pictures/controlroom/<id>_<time>.png``."""
        image = self.current_image()
        if self.camera is None or image is None:
            raise RuntimeError(self.tr("no picture to save yet"))
        if path is None:
            from PySide6.QtCore import QStandardPaths

            pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            path = Path(pictures or Path.home()) / "controlroom" / f"{self.camera.id}_{stamp}.png"
        path = path.with_suffix(".png")
        path.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(path)):
            raise OSError(f"{path}: cannot write the PNG")
        self.sig_snapshot_saved.emit(str(path))
        return path

    def shutdown(self) -> None:
        """Stop decoding for good (panel closing)."""
        self._stop()
        self.camera = None

    # ---------------------------------------------------------------- player
    def _open(self, *, reopen: bool = False) -> None:
        now = self._clock()
        if not reopen:
            self.machine.open(now)
        url = self.url
        if not url and self.replaying:
            self.machine.on_error(now, self.tr("no recording of this camera at this time"))
            return
        if not url:
            self.machine.on_error(now, self.tr("no stream URL for this camera"))
            return
        qurl = QUrl.fromUserInput(url) if "://" not in url else QUrl(url)
        self.player.setSource(QUrl())  # setSource ignores the URL it already has: force a new connection
        self.player.setSource(qurl)
        self.player.play()

    def _seek_replay(self) -> None:
        """A looping clip: seek to the clock's instant in the loop; paused while the clock is."""
        src = self.replay
        self._seek_pending = False
        if not self.replaying or src is None:
            return
        if src.loop and self.player.duration() > 0:
            self.player.setPosition(src.position_ms(self.player.duration()))
        if self._replay_playing:
            self.player.play()
        else:
            self.player.pause()

    def _stop(self) -> None:
        self.machine.close()
        self.player.stop()
        self.player.setSource(QUrl())

    @Slot(QVideoFrame)
    def _on_frame(self, frame: QVideoFrame) -> None:
        if not frame.isValid() or self.machine.state == TileState.IDLE:
            return
        self._frame = frame
        if not self.main_stream and frame.size().isValid():
            self.sub_size = frame.size()
        self.machine.on_frame(self._clock())
        if self.isVisible():
            self.update()

    @Slot(QMediaPlayer.Error, str)
    def _on_player_error(self, error: QMediaPlayer.Error, message: str) -> None:
        if error == QMediaPlayer.Error.NoError:
            return
        self.machine.on_error(self._clock(), self._player_error_text(error))
        self.setToolTip(message or error.name)  # the media backend's own words, for a technician
        self.update()

    def _player_error_text(self, error: QMediaPlayer.Error) -> str:
        """The player's error in the app's language (the backend's message is English only)."""
        if error == QMediaPlayer.Error.ResourceError:
            return self.tr("stream not reachable")
        if error == QMediaPlayer.Error.FormatError:
            return self.tr("unsupported stream format")
        if error == QMediaPlayer.Error.NetworkError:
            return self.tr("network error")
        if error == QMediaPlayer.Error.AccessDeniedError:
            return self.tr("access to the stream denied")
        return self.tr("video error")

    def _reason_text(self, reason: str) -> str:
        """The tile machine's (Qt-free, English) reasons in the app's language."""
        if reason == "stream stalled":
            return self.tr("stream stalled")
        if reason == "no picture":
            return self.tr("No picture")
        found = re.fullmatch(r"no picture after (\d+) s", reason)
        if found:
            return self.tr("no picture after {0} s").format(found[1])
        return reason

    @Slot(QMediaPlayer.MediaStatus)
    def _on_media_status(self, status: QMediaPlayer.MediaStatus) -> None:
        if self._seek_pending and status in _LOADED:
            self._seek_replay()
        if status == QMediaPlayer.MediaStatus.InvalidMedia and self.machine.state != TileState.ERROR:
            self.machine.on_error(self._clock(), self.tr("not a playable stream"))
        elif status == QMediaPlayer.MediaStatus.EndOfMedia and self.machine.state != TileState.IDLE:
            self.machine.on_error(self._clock(), self.tr("stream ended"))
        self.update()

    # ------------------------------------------------------------------ paint
    def _state_text(self) -> str:
        if self.replaying and self.machine.state == TileState.LIVE:
            return self.tr("RECORDED")  # the past, from the recorder: never "LIVE"
        return {
            TileState.IDLE: self.tr("idle"),
            TileState.CONNECTING: self.tr("CONNECTING"),
            TileState.LIVE: self.tr("LIVE"),
            TileState.STALLED: self.tr("STALLED"),
            TileState.ERROR: self.tr("ERROR"),
        }[self.machine.state]

    def _age_text(self) -> str:
        age = self.machine.frame_age(self._clock())
        if age is None:
            return ""
        return self.tr("{0:.1f} s").format(age) if age < 10 else self.tr("{0:.0f} s ago").format(age)

    def caption(self) -> str:
        """The camera's name in the app's language (the site may name it per language)."""
        return self.camera.name_in(current_language()) if self.camera is not None else ""

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        r = self.rect()
        p.fillRect(r, QColor("#0b0d10"))
        image = self.current_image() if self.camera is not None else None
        if image is not None:
            scaled = image.size().scaled(r.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(QPoint(0, 0), scaled)
            target.moveCenter(r.center())
            p.drawImage(target, image)
        bar_h = max(22, min(44, r.height() // 9))
        if self.wall_text_px:  # captions at the wall's text size, read from across the room
            bar_h = max(bar_h, min(int(self.wall_text_px / 0.62) + 1, r.height() // 4))
        font = QFont(self.font())
        font.setPixelSize(int(bar_h * 0.62))
        font.setBold(True)
        p.setFont(font)
        if self.camera is None:
            p.setPen(QColor("#8b949e"))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, self.tr("No camera"))
        else:
            self._paint_overlay(p, r, bar_h, font)
        border = QColor("#2ea8ff") if self._drop_target else QColor("#22272e")
        p.setPen(border)
        p.drawRect(r.adjusted(0, 0, -1, -1))
        p.end()

    def _paint_overlay(self, p: QPainter, r: QRect, bar_h: int, font: QFont) -> None:
        assert self.camera is not None
        state = self.machine.state
        p.fillRect(QRect(0, 0, r.width(), bar_h), QColor(0, 0, 0, 170))
        badge = self._state_text()
        fm = p.fontMetrics()
        bw = fm.horizontalAdvance(badge) + bar_h // 2
        badge_rect = QRect(r.width() - bw - 4, 3, bw, bar_h - 6)
        p.fillRect(badge_rect, STATE_COLOURS[state])
        p.setPen(QColor("white"))
        p.drawText(badge_rect, Qt.AlignmentFlag.AlignCenter, badge)
        name_rect = QRect(6, 0, badge_rect.left() - 10, bar_h)
        name = fm.elidedText(self.caption(), Qt.TextElideMode.ElideRight, name_rect.width())
        p.drawText(name_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, name)
        small = QFont(font)
        small.setBold(False)
        small.setPixelSize(max(11, int(bar_h * (0.62 if self.wall_text_px else 0.5))))
        p.setFont(small)
        foot = QRect(0, r.height() - bar_h, r.width(), bar_h)
        p.fillRect(foot, QColor(0, 0, 0, 140))
        stream = self.tr("MAIN") if self.main_stream else self.tr("SUB")
        p.setPen(QColor("#c9d1d9"))
        p.drawText(  # a wall shows the camera, not the operator's stream and latency figures
            foot.adjusted(6, 0, -6, 0),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            self.camera.id if self.wall_text_px else f"{self.camera.id} · {stream}",
        )
        if not self.wall_text_px or state == TileState.STALLED:
            p.setPen(STATE_COLOURS[state] if state == TileState.STALLED else QColor("#c9d1d9"))
            p.drawText(
                foot.adjusted(6, 0, -6, 0),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                self._age_text(),
            )
        if state in (TileState.ERROR, TileState.CONNECTING, TileState.STALLED) and (
            state != TileState.STALLED or self._last_image is None
        ):
            self._paint_message(p, r, bar_h, small)

    def _paint_message(self, p: QPainter, r: QRect, bar_h: int, font: QFont) -> None:
        now = self._clock()
        state = self.machine.state
        if state == TileState.CONNECTING:
            text = self.tr("Connecting…")
        elif state == TileState.STALLED:
            text = self.tr("No picture")
        else:
            text = self._reason_text(self.machine.reason)
            retry = self.machine.retry_in(now)
            if retry is not None:
                text += "\n" + self.tr("retrying in {0:.0f} s").format(retry)
        box = r.adjusted(8, bar_h + 4, -8, -bar_h - 4)
        p.setFont(font)
        p.setPen(STATE_COLOURS[state].lighter(140))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text)

    # ---------------------------------------------------------- interaction
    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.sig_double_clicked.emit(self)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._press is None or self.camera is None:
            return
        if (event.position().toPoint() - self._press).manhattanLength() < QApplication.startDragDistance():
            return
        self._press = None
        mime = QMimeData()
        mime.setData(TILE_MIME, str(self.slot).encode())
        drag = QDrag(self)
        drag.setMimeData(mime)
        image = self.current_image()
        if image is not None:
            from PySide6.QtGui import QPixmap

            drag.setPixmap(QPixmap.fromImage(image).scaledToWidth(160))
        drag.exec(Qt.DropAction.MoveAction)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._press = None
        super().mouseReleaseEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(TILE_MIME):
            self._drop_target = True
            self.update()
            event.acceptProposedAction()

    def dragLeaveEvent(self, event: object) -> None:
        self._drop_target = False
        self.update()

    def dropEvent(self, event: QDropEvent) -> None:
        self._drop_target = False
        self.update()
        data = event.mimeData().data(TILE_MIME)
        try:
            source = int(bytes(data.data()).decode())
        except ValueError:
            return
        event.acceptProposedAction()
        if source != self.slot:
            self.sig_swap_requested.emit(source, self.slot)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if self.camera is None:
            return
        menu = QMenu(self)
        snap = menu.addAction(self.tr("Save snapshot (PNG)"))
        snap.setEnabled(self.current_image() is not None)
        snap.triggered.connect(lambda: self.snapshot())
        menu.addAction(self.tr("Reconnect")).triggered.connect(self._reconnect_now)
        menu.addAction(self.tr("Remove camera")).triggered.connect(lambda: self.set_camera(None))
        menu.exec(event.globalPos())

    def _reconnect_now(self) -> None:
        self._stop()
        self.machine.backoff.reset()
        self.sync()

    def showEvent(self, event: object) -> None:
        super().showEvent(event)  # type: ignore[arg-type]
        self.sync()

    def hideEvent(self, event: object) -> None:
        super().hideEvent(event)  # type: ignore[arg-type]
        self.sync()
