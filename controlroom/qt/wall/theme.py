"""The dark wall look, with text sized from each monitor's physical size so it reads across a room.

Text height is chosen as a visual angle at the viewing distance (about 0.3°, a comfortable
reading size), converted to logical pixels through the screen's real pixels-per-millimetre.
Qt 6 works in device-independent pixels, so the same rule is right on a 4K laptop and on a
1080p 55" wall monitor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QScreen

READING_ANGLE_DEG = 0.3
MIN_BODY_PX = 12
FALLBACK_DPI = 96.0

BACKGROUND = "#0a0e13"
SURFACE = "#121922"
BORDER = "#243142"
TEXT = "#d8e1ea"
MUTED = "#8596a8"
WARNING = "#f2a900"


def configure_high_dpi() -> None:
    """Call before the QApplication exists: exact (not rounded) scale factors for 125 %/150 % screens."""
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)


def default_viewing_distance_m(physical_height_mm: float) -> float:
    """People stand about three screen-heights away: a laptop at ~0.6 m, a 55" monitor at ~2.2 m."""
    return min(10.0, max(0.5, 3.3 * physical_height_mm / 1000.0))


def logical_px_per_mm(screen: QScreen) -> float:
    """Logical pixels per millimetre, from the reported physical size when it is plausible."""
    size = screen.physicalSize()
    geometry = screen.geometry()
    if size.height() > 10 and size.width() > 10:
        ppmm = geometry.height() / size.height()
        if 0.8 <= ppmm <= 30:
            return ppmm
    return (screen.logicalDotsPerInch() or FALLBACK_DPI) / 25.4


def body_text_px(px_per_mm: float, viewing_distance_m: float) -> int:
    """Body text height in logical pixels for a reader at ``viewing_distance_m``."""
    height_mm = viewing_distance_m * 1000.0 * math.tan(math.radians(READING_ANGLE_DEG))
    return max(MIN_BODY_PX, round(height_mm * px_per_mm))


@dataclass(frozen=True)
class WallFonts:
    """Pixel sizes for one window's text."""

    body: int

    @property
    def title(self) -> int:
        return round(self.body * 1.6)

    @property
    def small(self) -> int:
        return max(MIN_BODY_PX, round(self.body * 0.8))


def fonts_for_screen(screen: QScreen, viewing_distance_m: float | None = None) -> WallFonts:
    ppmm = logical_px_per_mm(screen)
    height_mm = screen.geometry().height() / ppmm
    distance = viewing_distance_m or default_viewing_distance_m(height_mm)
    return WallFonts(body=body_text_px(ppmm, distance))


def wall_stylesheet(fonts: WallFonts, accent: str = "#2ea8ff") -> str:
    """The stylesheet for one wall window; panels inherit colours and the body size."""
    w = "QWidget#WallWindow"  # every rule under the window id, so specificity follows rule order
    return f"""
    {w} {{ background: {BACKGROUND}; }}
    {w} QWidget {{ color: {TEXT}; font-size: {fonts.body}px; }}
    {w} QFrame#PlaceholderPanel {{ background: {SURFACE}; border: 2px dashed {BORDER}; }}
    {w} QLabel#PlaceholderTitle {{ font-size: {fonts.title}px; font-weight: 600; color: {TEXT}; }}
    {w} QLabel#PlaceholderDetail {{ color: {MUTED}; font-size: {fonts.body}px; }}
    {w} QLabel#PlaceholderId {{ color: {accent}; font-size: {fonts.small}px; font-family: monospace; }}
    {w} QFrame#WallBanner {{ background: {WARNING}; border: none; }}
    {w} QFrame#WallBanner QLabel {{ color: #111111; font-size: {fonts.body}px; font-weight: 600; }}
    {w} QFrame#WallBanner QPushButton {{
        color: #111111; background: rgba(255, 255, 255, 90); border: 1px solid #111111;
        padding: 2px 12px; font-size: {fonts.small}px;
    }}
    QMenu {{ background: {SURFACE}; color: {TEXT}; border: 1px solid {BORDER}; font-size: {fonts.small}px; }}
    QMenu::item:selected {{ background: {accent}; color: #000000; }}
    """
