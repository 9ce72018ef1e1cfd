"""Geofence polygons for the alarm engine: zones drawn in the rules file and the site's boundary
layers (by level and code), in the site's local frame, tested with ``shapely.contains_xy``.

Besides membership, ``membership`` tells each point's clearance: its distance to the nearest edge
of any zone (an STRtree of every ring segment). A point that then moves less than its clearance
cannot have crossed an edge, so the alarm engine re-tests only the few points that moved further.

Also tells which district a point is in (the alarm list filters by district).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from controlroom.core.alarms.rules import RuleSet, zone_key
from controlroom.core.issues import InputError, Issue
from controlroom.geo.crs import LocalFrame

if TYPE_CHECKING:
    from controlroom.core.site import Site

F64 = npt.NDArray[np.float64]

#: Clearances are looked up no further than this (m): a point further from every edge gets this
#: clearance, which keeps the nearest-edge search short and only re-tests it after it moved as far.
MAX_CLEARANCE_M = 2000.0
#: Taken off every clearance so float rounding of the distance or of the move never skips a test.
_CLEARANCE_SLACK_M = 1e-6


@dataclass(frozen=True)
class _ZoneSet:
    """The zones of one key list, laid out for one vectorised test of many points × zones."""

    polygons: npt.NDArray[np.object_]  # (zones,) prepared (multi)polygons
    bounds: F64  # (zones, 4) xmin, ymin, xmax, ymax
    edges: Any  # shapely.STRtree of every ring segment of every zone


def _segments(polygons: npt.NDArray[np.object_]) -> npt.NDArray[np.object_]:
    """Each ring of each polygon cut into two-point lines (the nearest-edge search then visits
    only the segments near a point, not whole rings of a district with thousands of vertices)."""
    import shapely

    rings = shapely.get_rings(shapely.get_parts(polygons))
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[:-1] == ring[1:]
    return shapely.linestrings(np.stack([xy[:-1][same], xy[1:][same]], axis=1))


class ShapelyZones:
    """Zone key → one (multi)polygon in local metres, prepared for fast point tests."""

    def __init__(self, polygons: dict[str, Any], districts: list[tuple[str, Any]] | None = None) -> None:
        import shapely

        self.polygons = polygons
        #: (xmin, ymin, xmax, ymax) per key: most points fail this cheap test and skip GEOS.
        self.bounds = {k: tuple(float(b) for b in shapely.bounds(g)) for k, g in polygons.items()}
        for g in polygons.values():
            shapely.prepare(g)
        self.districts = districts or []
        for _, g in self.districts:
            shapely.prepare(g)
        self._sets: dict[tuple[str, ...], _ZoneSet] = {}

    def keys(self) -> list[str]:
        return sorted(self.polygons)

    def contains(self, key: str, x: F64, y: F64) -> npt.NDArray[np.bool_]:
        """Exact point-in-polygon, asked of GEOS only for the points inside the zone's bounds."""
        import shapely

        x0, y0, x1, y1 = self.bounds[key]
        near = np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
        out = np.zeros(np.shape(x), bool)
        if near.size:
            out[near] = shapely.contains_xy(self.polygons[key], x[near], y[near])
        return out

    def membership(self, keys: Sequence[str], x: F64, y: F64) -> tuple[npt.NDArray[np.bool_], F64]:
        """(zones × points) exact membership, as ``contains`` gives it, and each point's clearance:
        a lower bound of its distance to every edge of these zones (0 for a non-finite point)."""
        import shapely

        zs = self._zone_set(tuple(keys))
        inside = np.zeros((len(zs.polygons), np.size(x)), bool)
        b = zs.bounds[:, :, None]
        # how far each point is outside each zone's box (0 within it): a zone's edges lie in its
        # box, so this bounds the distance to them; only points within some box need the tree
        dx = np.maximum(np.maximum(b[:, 0] - x, x - b[:, 2]), 0.0)
        dy = np.maximum(np.maximum(b[:, 1] - y, y - b[:, 3]), 0.0)
        box_gap = np.hypot(dx, dy)
        near = box_gap == 0.0
        near_z, near_i = np.nonzero(near)
        if near_z.size:
            inside[near_z, near_i] = shapely.contains_xy(zs.polygons[near_z], x[near_i], y[near_i])
        finite = np.isfinite(x) & np.isfinite(y)
        clearance = np.where(finite, box_gap.min(axis=0, initial=MAX_CLEARANCE_M), 0.0)
        ask = np.flatnonzero(near.any(axis=0) & finite)
        if ask.size:
            (found, _), dist = zs.edges.query_nearest(
                shapely.points(x[ask], y[ask]),
                max_distance=MAX_CLEARANCE_M,
                return_distance=True,
                all_matches=False,
            )
            clearance[ask] = MAX_CLEARANCE_M
            clearance[ask[found]] = dist
        return inside, np.maximum(clearance - _CLEARANCE_SLACK_M, 0.0)

    def _zone_set(self, keys: tuple[str, ...]) -> _ZoneSet:
        import shapely

        if keys not in self._sets:
            polygons = np.array([self.polygons[k] for k in keys], dtype=object)
            bounds = np.array([self.bounds[k] for k in keys], np.float64).reshape(-1, 4)
            edges = shapely.STRtree(_segments(polygons) if len(keys) else np.empty(0, object))
            self._sets[keys] = _ZoneSet(polygons, bounds, edges)
        return self._sets[keys]

    def locate(self, x: float, y: float) -> str:
        """The district name at a local point, or '' outside every district."""
        import shapely

        for name, g in self.districts:
            if shapely.contains_xy(g, x, y):
                return name
        return ""


def _local(geom: Any, crs: str, frame: LocalFrame) -> Any:
    import shapely

    return shapely.transform(geom, lambda xy: np.column_stack(frame.from_crs(xy[:, 0], xy[:, 1], crs)))


def build_zones(rules: RuleSet, site: Site, frame: LocalFrame) -> tuple[ShapelyZones, list[Issue]]:
    """Every zone the rules refer to, plus the site's districts; issues for missing layers/codes."""
    import shapely

    from controlroom.geo.vector_layers import read_features

    issues: list[Issue] = []
    polygons: dict[str, Any] = {}
    zones = rules.zones
    layers: dict[str, tuple[dict[str, Any], dict[str, str]]] = {}  # level → (code → geom, code → name)

    def layer(level: str) -> tuple[dict[str, Any], dict[str, str]] | None:
        if level in layers:
            return layers[level]
        sources = site.boundaries_at(level)  # type: ignore[arg-type]
        if not sources:
            return None
        by_code: dict[str, Any] = {}
        names: dict[str, str] = {}
        for src in sources:
            try:
                geoms, crs, records = read_features(src, what=f"{level} boundary polygons")
            except InputError as exc:
                issues.append(Issue(str(site.path), f"boundaries ({level})", str(exc), "a readable layer"))
                continue
            for g, rec in zip(geoms, records, strict=True):
                code = str(rec.get(src.code_attribute or "code", ""))
                if g is None or not code:
                    continue
                by_code[code] = _local(g, crs, frame)
                names[code] = str(rec.get(src.name_attribute or "name") or code)
        layers[level] = (by_code, names)
        return layers[level]

    for i, r in enumerate(rules.rule):
        if r.kind != "geofence":
            continue
        key = zone_key(r)
        if key in polygons:
            continue
        if r.zone is not None:
            z = zones[r.zone]
            ring = np.asarray(z.polygon, np.float64)
            polygons[key] = _local(shapely.Polygon(ring), z.crs, frame)
            continue
        found = layer(str(r.boundary_level))
        if found is None:
            issues.append(
                Issue(
                    str(rules.path),
                    f"rule[{i}].boundary_level",
                    repr(r.boundary_level),
                    f"a level the site has boundaries for ({sorted({b.level for b in site.boundaries})})",
                )
            )
            continue
        missing = [c for c in r.boundary_codes if c not in found[0]]
        if missing:
            issues.append(
                Issue(
                    str(rules.path),
                    f"rule[{i}].boundary_codes",
                    repr(missing),
                    f"codes of {r.boundary_level} polygons in the site (e.g. {sorted(found[0])[:5]})",
                )
            )
            continue
        polygons[key] = shapely.union_all([found[0][c] for c in r.boundary_codes])
    districts: list[tuple[str, Any]] = []
    if site.boundaries_at("district"):
        found = layer("district")
        if found is not None:
            districts = [(found[1][c], g) for c, g in found[0].items()]
    return ShapelyZones(polygons, districts), issues
