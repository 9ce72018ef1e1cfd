"""Decoder frames to images on the CPU: BT.601 colours land where they should."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSize
from PySide6.QtMultimedia import QVideoFrame, QVideoFrameFormat

from controlroom.qt.video_frames import frame_to_image


def _yuv420p(w: int, h: int, y: int, u: int, v: int) -> QVideoFrame:
    frame = QVideoFrame(QVideoFrameFormat(QSize(w, h), QVideoFrameFormat.PixelFormat.Format_YUV420P))
    assert frame.map(QVideoFrame.MapMode.WriteOnly)
    for plane, value, rows in ((0, y, h), (1, u, h // 2), (2, v, h // 2)):
        buf = np.frombuffer(frame.bits(plane), np.uint8, count=frame.bytesPerLine(plane) * rows)
        buf[:] = value
    frame.unmap()
    return frame


@pytest.mark.parametrize(
    ("yuv", "rgb"),
    [((235, 128, 128), (255, 255, 255)), ((16, 128, 128), (0, 0, 0)), ((81, 90, 240), (255, 0, 0)),
     ((145, 54, 34), (0, 255, 0)), ((41, 240, 110), (0, 0, 255))],
)  # fmt: skip
def test_bt601_primaries(qapp, yuv: tuple[int, int, int], rgb: tuple[int, int, int]) -> None:  # type: ignore[no-untyped-def]
    image = frame_to_image(_yuv420p(64, 48, *yuv))
    assert (image.width(), image.height()) == (64, 48)
    colour = image.pixelColor(20, 30)
    got = (colour.red(), colour.green(), colour.blue())
    assert all(abs(a - b) <= 3 for a, b in zip(got, rgb, strict=True)), got
