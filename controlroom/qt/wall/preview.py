"""A schematic picture of a layout for installers: monitors to scale with their bezels, which panel
sits where under a preset, and each monitor's name, resolution and screen rule.

Drawn with QPainter on a QImage, so it needs a QGuiApplication but no display (the offscreen
platform is enough); ``controlroom layout preview`` writes it as a PNG.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QCoreApplication, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPen

from controlroom.layouts.geometry import Rect, grid_cell_rect, monitor_frames
from controlroom.layouts.spec import PANEL_IDS, LayoutSpec

PANEL_COLOURS: dict[str, str] = {
    "map3d": "#2e7dd7",
    "object_info": "#8e6bd8",
    "kpi": "#2fa36b",
    "video_grid": "#d0683a",
    "incidents": "#d23f57",
    "alarms": "#e0a526",
    "feed_status": "#4aa3a8",
    "briefing": "#6c8ebf",
    "status": "#7d8793",
}
PAGE = QColor("#f4f5f7")
INK = QColor("#1d232b")
MUTED = QColor("#5b6673")
BEZEL = QColor("#2a2f36")
ACTIVE = QColor("#0d1218")
MARGIN = 36
MIN_BEZEL_PX = 3.0  # real bezels are a few mm: draw them at least this wide so they are seen


def _tr(text: str) -> str:
    return QCoreApplication.translate("LayoutPreview", text)


def _font(px: float, bold: bool = False) -> QFont:
    font = QFont("DejaVu Sans")
    font.setPixelSize(max(9, round(px)))
    font.setBold(bold)
    return font


def _qrect(r: Rect) -> QRectF:
    return QRectF(r.x, r.y, r.w, r.h)


def _keys(spec: LayoutSpec, index: int, preset: str) -> str:
    keys = [f"Ctrl+{index + 1}"] if index < 9 else []
    if spec.presets[preset].key:
        keys.append(str(spec.presets[preset].key))
    return ", ".join(keys)


def render_layout_preview(spec: LayoutSpec, preset: str | None = None, width: int = 1600) -> QImage:
    """The layout under ``preset`` (default: the layout's default preset) as an RGB image ``width`` wide."""
    preset_name = preset or spec.default_preset_name
    panels = spec.panels_for(preset_name)
    frames = monitor_frames(spec)
    wall = Rect.bounding(f.outer for f in frames.values())
    scale = min((width - 2 * MARGIN) / wall.w, 900 / wall.h)
    header_h, legend_h = 118, 70
    height = math.ceil(header_h + wall.h * scale + legend_h + MARGIN)
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(PAGE)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    _header(p, spec, preset_name, wall, width)
    ox = (width - wall.w * scale) / 2
    oy = header_h

    def to_px(r: Rect) -> Rect:
        return Rect(ox + (r.x - wall.x) * scale, oy + (r.y - wall.y) * scale, r.w * scale, r.h * scale)

    active_px: dict[str, Rect] = {}
    for mid, frame in frames.items():
        outer = to_px(frame.outer)
        bx = max(MIN_BEZEL_PX, (frame.active.x - frame.outer.x) * scale)
        by = max(MIN_BEZEL_PX, (frame.active.y - frame.outer.y) * scale)
        active_px[mid] = outer.inset(bx, by)
        p.fillRect(_qrect(outer), BEZEL)
        p.fillRect(_qrect(active_px[mid]), ACTIVE)
    labels: list[tuple[Rect, str, str, str]] = []
    for rid, region in spec.regions.items():
        panel = panels.get(rid)
        if panel is None:
            continue
        colour = QColor(PANEL_COLOURS.get(panel, "#999999"))
        if region.monitors is not None:
            for mid in region.monitors:
                _fill(p, active_px[mid], colour)
            box = Rect.bounding(active_px[m] for m in region.monitors)
            p.setPen(QPen(QColor("#ffffff"), 2, Qt.PenStyle.DashLine))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(_qrect(box.inset(-2, -2)))
            note = _tr("spans {0} · bezel-compensated").format(", ".join(region.monitors))
            labels += [(active_px[m], panel, rid, note) for m in region.monitors]
        else:
            mid = str(region.monitor)
            cell = grid_cell_rect(active_px[mid], spec.monitors[mid].grid, region.cell, region.span)
            _fill(p, cell.inset(3, 3), colour)
            labels.append((cell.inset(3, 3), panel, rid, ""))
    for mid, rect in active_px.items():
        _monitor_caption(p, spec, mid, rect)
    for box, panel, rid, note in labels:  # last, so captions never hide which panel is where
        _label(p, box, panel, rid, note)
    _legend(p, sorted(set(panels.values()), key=list(PANEL_IDS).index), height - legend_h, width)
    p.end()
    return image


def _header(p: QPainter, spec: LayoutSpec, preset: str, wall: Rect, width: int) -> None:
    p.setPen(INK)
    p.setFont(_font(26, bold=True))
    title = _tr("{0} — preset: {1}").format(spec.title, spec.preset_title(preset))
    p.drawText(QRectF(MARGIN, 14, width - 2 * MARGIN, 36), Qt.AlignmentFlag.AlignLeft, title)
    p.setPen(MUTED)
    p.setFont(_font(15))
    bx, by = spec.monitor_bezel_mm(next(iter(spec.monitors)))
    count = len(spec.monitors)
    monitors = _tr("1 monitor") if count == 1 else _tr("{0} monitors").format(count)
    facts = _tr("{0} · {1} · wall {2:.2f} m × {3:.2f} m · bezel gap {4:g} mm · file {5}").format(
        spec.name, monitors, wall.w / 1000, wall.h / 1000, 2 * max(bx, by), spec.path.name
    )
    p.drawText(QRectF(MARGIN, 52, width - 2 * MARGIN, 22), Qt.AlignmentFlag.AlignLeft, facts)
    presets = "   ".join(
        f"{'▶ ' if name == preset else ''}{spec.preset_title(name)} [{_keys(spec, i, name)}]"
        for i, name in enumerate(spec.preset_names)
    )
    p.drawText(
        QRectF(MARGIN, 76, width - 2 * MARGIN, 22),
        Qt.AlignmentFlag.AlignLeft,
        _tr("Presets: {0}").format(presets),
    )


def _fill(p: QPainter, r: Rect, colour: QColor) -> None:
    fill = QColor(colour)
    fill.setAlpha(200)
    p.setPen(QPen(colour.lighter(140), 2))
    p.setBrush(QBrush(fill))
    p.drawRect(_qrect(r))


def _label(p: QPainter, r: Rect, panel: str, region: str, note: str) -> None:
    size = max(10.0, min(r.h / 3.5, r.w / 14, 30.0))
    title = QCoreApplication.translate("PanelIds", PANEL_IDS.get(panel, panel))
    lines = [(title, _font(size, bold=True)), (f"{panel} · {_tr('region')} {region}", _font(size * 0.62))]
    if note:
        lines.append((note, _font(size * 0.62)))
    total = sum(line[1].pixelSize() * 1.35 for line in lines)
    y = r.y + (r.h - total) / 2
    widest = 0
    for text, font in lines:
        p.setFont(font)
        widest = max(widest, p.fontMetrics().horizontalAdvance(text))
    back = Rect(r.center[0] - min(r.w - 8, widest + 24) / 2, y - 4, min(r.w - 8, widest + 24), total + 8)
    p.fillRect(_qrect(back), QColor(0, 0, 0, 90))
    p.setPen(QColor("#ffffff"))
    for text, font in lines:
        p.setFont(font)
        h = font.pixelSize() * 1.35
        p.drawText(
            QRectF(r.x + 4, y, r.w - 8, h), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, text
        )
        y += h


def _monitor_caption(p: QPainter, spec: LayoutSpec, mid: str, r: Rect) -> None:
    m = spec.monitors[mid]
    w_px, h_px = spec.monitor_resolution(mid)
    w_mm, h_mm = spec.monitor_size_mm(mid)
    inches = math.hypot(w_mm, h_mm) / 25.4
    rule = m.screen.describe() if m.screen else _tr("no screen rule")
    first = f"{mid}" + (f" · {m.label}" if m.label else "")
    second = f'{w_px}×{h_px} · {inches:.0f}" · {rule}'
    size = max(10.0, min(r.h / 16, r.w / 30, 16.0))
    bold, small = _font(size, bold=True), _font(size * 0.85)
    p.setFont(bold)
    first_w = p.fontMetrics().horizontalAdvance(first)
    p.setFont(small)
    width = min(r.w, max(first_w, p.fontMetrics().horizontalAdvance(second)) + 14)
    box = Rect(r.x, r.y, width, size * 2.9)
    p.fillRect(_qrect(box), QColor(0, 0, 0, 160))
    p.setPen(QColor("#ffffff"))
    p.setFont(bold)
    p.drawText(QRectF(box.x + 6, box.y + 2, box.w - 8, size * 1.4), Qt.AlignmentFlag.AlignLeft, first)
    p.setFont(small)
    p.drawText(
        QRectF(box.x + 6, box.y + size * 1.4, box.w - 8, size * 1.4), Qt.AlignmentFlag.AlignLeft, second
    )


def _legend(p: QPainter, panels: list[str], top: float, width: int) -> None:
    x = float(MARGIN)
    p.setFont(_font(14))
    for panel in panels:
        title = QCoreApplication.translate("PanelIds", PANEL_IDS.get(panel, panel))
        text = f"{title} ({panel})"
        p.fillRect(QRectF(x, top + 24, 18, 18), QColor(PANEL_COLOURS.get(panel, "#999999")))
        p.setPen(INK)
        advance = p.fontMetrics().horizontalAdvance(text)
        p.drawText(QRectF(x + 24, top + 22, advance + 4, 22), Qt.AlignmentFlag.AlignLeft, text)
        x += 24 + advance + 28
        if x > width - MARGIN - 200:
            break
