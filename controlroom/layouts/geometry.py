"""Plain-rectangle geometry of a wall: monitor frames in millimetres, region cells, spans and bezels.

Everything here works on :class:`Rect` values (millimetres on the wall or pixels on the virtual
desktop), never on Qt types, so the maths is unit-tested without a display and shared by the
window manager, the ``layout preview`` drawing and the checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from controlroom.layouts.spec import LayoutSpec

EPS = 1e-6


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle; ``x, y`` is the top-left corner (y grows downwards, like screens)."""

    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def area(self) -> float:
        return self.w * self.h

    @property
    def center(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)

    def intersects(self, other: Rect) -> bool:
        """True when the interiors overlap (touching edges do not count)."""
        return (
            self.x < other.right - EPS
            and other.x < self.right - EPS
            and self.y < other.bottom - EPS
            and other.y < self.bottom - EPS
        )

    def contains(self, other: Rect) -> bool:
        return (
            other.x >= self.x - EPS
            and other.y >= self.y - EPS
            and other.right <= self.right + EPS
            and other.bottom <= self.bottom + EPS
        )

    def translated(self, dx: float, dy: float) -> Rect:
        return Rect(self.x + dx, self.y + dy, self.w, self.h)

    def relative_to(self, origin: Rect) -> Rect:
        return self.translated(-origin.x, -origin.y)

    def scaled(self, s: float) -> Rect:
        return Rect(self.x * s, self.y * s, self.w * s, self.h * s)

    def inset(self, dx: float, dy: float) -> Rect:
        return Rect(self.x + dx, self.y + dy, self.w - 2 * dx, self.h - 2 * dy)

    def px(self) -> tuple[int, int, int, int]:
        """Whole pixels, rounding edges (not sizes) so neighbouring rectangles stay seamless."""
        x0, y0, x1, y1 = round(self.x), round(self.y), round(self.right), round(self.bottom)
        return (x0, y0, x1 - x0, y1 - y0)

    @staticmethod
    def bounding(rects: Iterable[Rect]) -> Rect:
        items = list(rects)
        if not items:
            raise ValueError("bounding box of no rectangles")
        x0 = min(r.x for r in items)
        y0 = min(r.y for r in items)
        x1 = max(r.right for r in items)
        y1 = max(r.bottom for r in items)
        return Rect(x0, y0, x1 - x0, y1 - y0)


def grid_cell_rect(area: Rect, grid: tuple[int, int], cell: tuple[int, int], span: tuple[int, int]) -> Rect:
    """The part of ``area`` under ``cell`` (row, column) spanning ``span`` cells of a rows × columns grid."""
    rows, cols = grid
    r, c = cell
    rs, cs = span
    x0 = area.x + area.w * c / cols
    x1 = area.x + area.w * (c + cs) / cols
    y0 = area.y + area.h * r / rows
    y1 = area.y + area.h * (r + rs) / rows
    return Rect(x0, y0, x1 - x0, y1 - y0)


def tiles_rectangle(rects: Sequence[Rect]) -> bool:
    """True when ``rects`` cover their bounding box exactly: no overlaps, no holes."""
    if not rects:
        return False
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            if a.intersects(b):
                return False
    box = Rect.bounding(rects)
    return abs(sum(r.area for r in rects) - box.area) <= 1e-6 * box.area


@dataclass(frozen=True)
class MonitorFrame:
    """A monitor on the wall in millimetres: its outer frame and the active (lit) area inside the bezel."""

    outer: Rect
    active: Rect


def monitor_frames(spec: LayoutSpec) -> dict[str, MonitorFrame]:
    """Each positioned monitor's frame in wall millimetres (grid walls: columns/rows packed edge to edge)."""
    sizes: dict[str, tuple[float, float, float, float]] = {}
    for mid in spec.monitors:
        (w, h), (bx, by) = spec.monitor_size_mm(mid), spec.monitor_bezel_mm(mid)
        sizes[mid] = (w, h, bx, by)
    frames: dict[str, MonitorFrame] = {}
    if spec.is_grid:
        col_w: dict[int, float] = {}
        row_h: dict[int, float] = {}
        for mid, m in spec.monitors.items():
            if m.position is None:
                continue
            w, h, bx, by = sizes[mid]
            col_w[m.position[1]] = max(col_w.get(m.position[1], 0.0), w + 2 * bx)
            row_h[m.position[0]] = max(row_h.get(m.position[0], 0.0), h + 2 * by)
        default_w = max(col_w.values(), default=0.0)
        default_h = max(row_h.values(), default=0.0)
        for mid, m in spec.monitors.items():
            if m.position is None:
                continue
            r, c = m.position
            x = sum(col_w.get(i, default_w) for i in range(c))
            y = sum(row_h.get(i, default_h) for i in range(r))
            frames[mid] = _frame(x, y, *sizes[mid])
    else:
        for mid, m in spec.monitors.items():
            if m.position_mm is not None:
                frames[mid] = _frame(m.position_mm[0], m.position_mm[1], *sizes[mid])
    return frames


def _frame(x: float, y: float, w: float, h: float, bx: float, by: float) -> MonitorFrame:
    return MonitorFrame(outer=Rect(x, y, w + 2 * bx, h + 2 * by), active=Rect(x + bx, y + by, w, h))


@dataclass(frozen=True)
class BezelTile:
    """One monitor of a spanning window: where it sits in the window and which canvas part it shows."""

    monitor: str
    window_rect: Rect
    canvas_rect: Rect


@dataclass(frozen=True)
class BezelCompensation:
    """How a spanning window maps onto a larger virtual canvas that includes the hidden bezel strips.

    Content that draws into ``canvas_size`` and shows ``tile.canvas_rect`` in ``tile.window_rect``
    keeps straight lines straight across bezels: what lies behind a bezel is hidden, not squeezed.
    """

    canvas_size: tuple[float, float]
    tiles: tuple[BezelTile, ...]

    @property
    def gaps_px(self) -> tuple[list[float], list[float]]:
        """Distinct horizontal gaps (between columns) and vertical gaps (between rows), in canvas px."""
        xs: set[float] = set()
        ys: set[float] = set()
        for a in self.tiles:
            for b in self.tiles:
                if (
                    abs(a.window_rect.right - b.window_rect.x) < 1
                    and abs(a.window_rect.y - b.window_rect.y) < 1
                ):
                    xs.add(round(b.canvas_rect.x - a.canvas_rect.right, 3))
                if (
                    abs(a.window_rect.bottom - b.window_rect.y) < 1
                    and abs(a.window_rect.x - b.window_rect.x) < 1
                ):
                    ys.add(round(b.canvas_rect.y - a.canvas_rect.bottom, 3))
        return sorted(xs), sorted(ys)

    def window_to_canvas(self, x: float, y: float) -> tuple[float, float]:
        """A window pixel's position on the canvas (the tile it falls in decides the bezel offset)."""
        for t in self.tiles:
            r = t.window_rect
            if r.x <= x < r.right and r.y <= y < r.bottom:
                sx = t.canvas_rect.w / r.w
                sy = t.canvas_rect.h / r.h
                return (t.canvas_rect.x + (x - r.x) * sx, t.canvas_rect.y + (y - r.y) * sy)
        raise ValueError(f"({x}, {y}) lies outside every tile of the spanning window")


def bezel_compensation(
    monitors: Sequence[str], frames: dict[str, MonitorFrame], screen_rects: dict[str, Rect]
) -> BezelCompensation:
    """Bezel compensation for a window spanning ``monitors`` shown on ``screen_rects`` (desktop px).

    The canvas scale is the first monitor's pixels per millimetre, so a canvas pixel is a screen
    pixel on identical monitors and the bezel gap in pixels is ``gap_mm × px/mm``.
    """
    window = Rect.bounding(screen_rects[m] for m in monitors)
    first = monitors[0]
    scale = screen_rects[first].w / frames[first].active.w
    origin = Rect.bounding(frames[m].active for m in monitors)
    tiles = tuple(
        BezelTile(
            monitor=m,
            window_rect=screen_rects[m].relative_to(window),
            canvas_rect=frames[m].active.relative_to(origin).scaled(scale),
        )
        for m in monitors
    )
    return BezelCompensation(canvas_size=(origin.w * scale, origin.h * scale), tiles=tiles)
