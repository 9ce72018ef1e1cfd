"""The selected incident, ringed, and the way its assigned units take to reach it.

When an operator selects an incident, a wide ring breathes around it on the ground, a smaller
ring marks each unit the gateway assigned to it, and a bright thick line runs from each unit to
the incident: by road where the site has roads (``geo.road_route``), straight otherwise. All of
it is one mesh and one actor on the top layer (a route in a street canyon stays visible). The
line's start follows the unit on every refresh; the road path itself is recomputed at most once
per ``reroute_s`` and only once the unit has moved more than ``reroute_m`` since the last route,
so a fleet of moving units never turns the map's clock into a routing loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from controlroom.geo.road_route import Route, route_between
from controlroom.render import hover_words as hover
from controlroom.render.hover_words import PLAIN, HoverWords
from controlroom.render.overlays.base import F64, MeshOverlay, camera_distance, rgb255
from controlroom.render.overlays.solids import faces_for

if TYPE_CHECKING:
    from controlroom.geo.road_route import RoadRouter

ROUTE_RGB = rgb255("#22e5ff")  # cyan: no severity or status colour uses it
INCIDENT_RING_RGB = rgb255("#ffffff")
ROUTE_Z = 3.0  # metres above the ground plane (roads are draped at ~0.3 m)
RING_Z = 2.5
LINE_WIDTH_PX = 7.0
SEGMENTS = 48
RING_VERTS = 2 * SEGMENTS
_ANGLES = np.linspace(0.0, 2.0 * math.pi, SEGMENTS, endpoint=False)


def _ring_tris() -> np.ndarray:
    i = np.arange(SEGMENTS)
    j = (i + 1) % SEGMENTS
    inner, outer, inner_n, outer_n = 2 * i, 2 * i + 1, 2 * j, 2 * j + 1
    return np.concatenate(
        [np.stack([inner, outer, outer_n], 1), np.stack([inner, outer_n, inner_n], 1)]
    ).astype(np.int64)


RING_TRIS = _ring_tris()


def rings(x: F64, y: F64, inner: F64, outer: F64, z: float) -> F64:
    """Flat annuli, ``RING_VERTS`` points each (inner, outer alternating around the circle)."""
    n = len(x)
    pts = np.empty((n, SEGMENTS, 2, 3))
    cos, sin = np.cos(_ANGLES), np.sin(_ANGLES)
    for k, r in ((0, inner), (1, outer)):
        pts[:, :, k, 0] = x[:, None] + r[:, None] * cos[None]
        pts[:, :, k, 1] = y[:, None] + r[:, None] * sin[None]
        pts[:, :, k, 2] = z
    return pts.reshape(-1, 3)


@dataclass(frozen=True)
class RouteTarget:
    """What to draw now: the selected incident and where its assigned units are."""

    incident_id: str
    incident_xy: tuple[float, float]
    units: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # unit id → local x, y


@dataclass
class _Routed:
    route: Route
    from_xy: tuple[float, float]
    to_xy: tuple[float, float]
    at: float


class DispatchRouteOverlay(MeshOverlay):
    """``source`` says what is selected and assigned; ``router`` gives the site's road graph
    (None: straight lines); ``clock`` drives the ring's breathing."""

    key: str = "dispatch_route"
    on_top: ClassVar[bool] = True
    pick_radius_px: ClassVar[float] = 18.0

    def __init__(
        self,
        source: Callable[[], RouteTarget | None],
        router: Callable[[], RoadRouter | None],
        title: str = "Dispatch route",
        *,
        reroute_m: float = 20.0,
        reroute_s: float = 1.0,
    ) -> None:
        super().__init__(title)
        self.source = source
        self.router = router
        self.reroute_m = reroute_m
        self.reroute_s = reroute_s
        self.target: RouteTarget | None = None
        self.routes: dict[str, Route] = {}  # unit id → the route drawn (tests and hover read it)
        self.routings = 0  # road routes computed so far (the re-route limit is visible)
        self._routed: dict[str, _Routed] = {}
        self._shape: tuple[int, ...] = ()

    def _style(self, prop: object) -> None:
        prop.LightingOff()  # type: ignore[attr-defined]
        prop.SetLineWidth(LINE_WIDTH_PX)  # type: ignore[attr-defined]

    # ---------------------------------------------------------------- MapOverlay
    def refresh(self, now: float) -> bool:
        target = self.source() if self.is_visible() else None
        if target is None:
            return self._clear()
        self.target = target
        units = {uid: xy for uid, xy in target.units.items() if all(map(math.isfinite, xy))}
        for uid in set(self._routed) - set(units):
            del self._routed[uid]
        self.routes = {uid: self._route_for(uid, xy, target.incident_xy, now) for uid, xy in units.items()}
        self._draw(target, units, now)
        return True

    def describe(self, item_id: str, words: HoverWords = PLAIN) -> str:
        target, route = self.target, self.routes.get(item_id)
        if target is None:
            return item_id
        if route is None:
            return words.say(hover.ROUTE_UNITS, len(self.routes), id=item_id)
        phrase = hover.ROUTE_BY_ROAD if route.by_road else hover.ROUTE_STRAIGHT
        return words.say(phrase, unit=item_id, incident=target.incident_id, km=route.length_m / 1000)

    # ---------------------------------------------------------------- routing
    def _route_for(self, uid: str, xy: tuple[float, float], goal: tuple[float, float], now: float) -> Route:
        done = self._routed.get(uid)
        if done is not None and done.to_xy == goal:
            moved = math.hypot(xy[0] - done.from_xy[0], xy[1] - done.from_xy[1])
            if moved <= self.reroute_m or now - done.at < self.reroute_s:
                return _follow(done.route, xy)
        route = route_between(self.router(), xy, goal)
        self.routings += 1
        self._routed[uid] = _Routed(route, xy, goal, now)
        return route

    # ---------------------------------------------------------------- drawing
    def _draw(self, target: RouteTarget, units: Mapping[str, tuple[float, float]], now: float) -> None:
        scale = camera_distance(self.plotter) if self.plotter is not None else 3000.0
        breathe = 0.5 + 0.5 * math.sin(2.0 * math.pi * 0.8 * now)
        ix, iy = target.incident_xy
        ids = list(units)
        x = np.array([ix] + [units[u][0] for u in ids], np.float64)
        y = np.array([iy] + [units[u][1] for u in ids], np.float64)
        outer = np.array([scale * 0.035 * (1.0 + 0.25 * breathe)] + [scale * 0.014] * len(ids))
        inner = outer * np.array([0.8] + [0.55] * len(ids))
        ring_pts = rings(x, y, inner, outer, RING_Z)
        ring_rgb = np.array([INCIDENT_RING_RGB] + [ROUTE_RGB] * len(ids), np.float64)
        ring_rgb[0] *= 0.85 + 0.15 * breathe
        ring_rgba = np.repeat(np.column_stack([ring_rgb, np.full(len(x), 255.0)]), RING_VERTS, axis=0)
        paths = [self.routes[u].points for u in ids]
        path_pts = np.concatenate(paths) if paths else np.zeros((0, 2))
        path_xyz = np.column_stack([path_pts, np.full(len(path_pts), ROUTE_Z)])
        path_rgba = np.tile(np.array([*ROUTE_RGB, 255.0]), (len(path_pts), 1))
        points = np.vstack([ring_pts, path_xyz])
        rgba = np.vstack([ring_rgba, path_rgba]).astype(np.uint8)
        shape = (len(x), *(len(p) for p in paths))
        faces = lines = None
        if shape != self._shape:
            faces = faces_for(len(x), RING_TRIS, RING_VERTS)
            lines = _polyline_cells([len(p) for p in paths], len(ring_pts))
            self._shape = shape
        self.item_ids = ids
        self.anchors = np.column_stack([x[1:], y[1:], np.full(len(ids), RING_Z)])
        self._set_geometry(points, rgba, faces=faces, lines=lines)

    def _clear(self) -> bool:
        had = bool(self._shape)
        self.target = None
        self.routes = {}
        self._routed.clear()
        self.item_ids = []
        self.anchors = np.zeros((0, 3))
        if had:
            self._shape = ()
            self._set_geometry(np.zeros((0, 3)), np.zeros((0, 4), np.uint8))
        return had


def _follow(route: Route, xy: tuple[float, float]) -> Route:
    """The last route with its start moved to where the unit is now (between re-routes)."""
    pts = route.points.copy()
    pts[0] = xy
    length = float(np.linalg.norm(np.diff(pts, axis=0), axis=1).sum())
    return Route(pts, length, route.road_m, route.by_road)


def _polyline_cells(counts: list[int], first: int) -> np.ndarray:
    """VTK's flat line-cell array for consecutive polylines starting at point ``first``."""
    out: list[int] = []
    start = first
    for n in counts:
        out += [n, *range(start, start + n)]
        start += n
    return np.array(out, np.int64)
