"""Decoded video frames to QImage on the CPU.

``QVideoFrame.toImage()`` converts through a thread-local GL RHI. On Mesa's software GL that
context outlives the frames and later GL windows in the same process (the 3D map, a wall window
being created) can crash or hang in the driver, so the tiles convert the software decoder's
planar YUV themselves (BT.601 limited range, what H.264 streams use), vectorised with numpy.
Other formats fall back to Qt's converter.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import QVideoFrame, QVideoFrameFormat

PF = QVideoFrameFormat.PixelFormat


def _plane(frame: QVideoFrame, index: int, rows: int, cols: int) -> np.ndarray:
    stride = frame.bytesPerLine(index)
    data = np.frombuffer(frame.bits(index), np.uint8, count=stride * rows)
    return data.reshape(rows, stride)[:, :cols]


def yuv_to_rgb(y: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """BT.601 limited-range Y′CbCr (chroma already at luma size) → RGB888 array."""
    yf = (y.astype(np.float32) - 16.0) * 1.164383
    uf = u.astype(np.float32) - 128.0
    vf = v.astype(np.float32) - 128.0
    rgb = np.empty((*y.shape, 3), np.float32)
    rgb[..., 0] = yf + 1.596027 * vf
    rgb[..., 1] = yf - 0.391762 * uf - 0.812968 * vf
    rgb[..., 2] = yf + 2.017232 * uf
    return np.clip(rgb, 0.0, 255.0).astype(np.uint8)


def frame_to_image(frame: QVideoFrame) -> QImage:
    """The frame as an RGB888 QImage (null image when it cannot be read)."""
    fmt = frame.pixelFormat()
    if fmt not in (PF.Format_YUV420P, PF.Format_NV12):
        return frame.toImage()
    copy = QVideoFrame(frame)
    if not copy.map(QVideoFrame.MapMode.ReadOnly):
        return QImage()
    try:
        w, h = copy.width(), copy.height()
        cw, ch = (w + 1) // 2, (h + 1) // 2
        y = _plane(copy, 0, h, w)
        if fmt == PF.Format_YUV420P:
            u, v = _plane(copy, 1, ch, cw), _plane(copy, 2, ch, cw)
        else:  # NV12: one interleaved chroma plane
            uv = _plane(copy, 1, ch, cw * 2)
            u, v = uv[:, 0::2], uv[:, 1::2]
        up = np.repeat(np.repeat(u, 2, axis=0), 2, axis=1)[:h, :w]
        vp = np.repeat(np.repeat(v, 2, axis=0), 2, axis=1)[:h, :w]
        rgb = np.ascontiguousarray(yuv_to_rgb(y, up, vp))
    finally:
        copy.unmap()
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return image.copy()  # own the pixels: the numpy buffer goes away
