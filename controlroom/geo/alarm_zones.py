"""Geofence polygons for the alarm engine: zones drawn in the rules file and the site's boundary
layers (by level and code), in the site's local frame, tested with ``shapely.contains_xy``.

Also tells which district a point is in (the alarm list filters by district).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from controlroom.core.alarm_rules import RuleSet, zone_key
from controlroom.core.issues import InputError, Issue
from controlroom.geo.crs import LocalFrame

if TYPE_CHECKING:
    from controlroom.core.site import Site

F64 = npt.NDArray[np.float64]


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
