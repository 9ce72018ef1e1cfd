"""Where an incident is, administratively: city → district → street → grid, and who handles it.

Each of the site's boundary layers is read once, brought to WGS 84 (GCJ-02 and BD-09 layers are
converted first: a point joined against GCJ-02 polygons as if they were WGS 84 lands in the
wrong district hundreds of metres from a boundary), and indexed. A point given in any declared
frame is converted to WGS 84 too, then joined against every level (geopandas spatial index,
``intersects`` so a point on a shared edge still gets a district).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from controlroom.core.dispatch_model import lonlat_problem
from controlroom.core.site import ADMIN_LEVELS, BoundarySource, DispatchConfig

if TYPE_CHECKING:
    import geopandas as gpd


def point_problem(x: float, y: float, crs: str = "EPSG:4326") -> str | None:
    """Why (x, y) in ``crs`` cannot be a place (latitude 113: lon/lat swapped); None if it can.

    Geographic frames (WGS 84, GCJ-02, BD-09 …) are range-checked; a projected frame only needs
    finite numbers. Raises ``ValueError`` for a CRS pyproj does not know."""
    from controlroom.geo.crs import is_geographic

    try:
        geographic = is_geographic(crs)
    except Exception as exc:  # pyproj.exceptions.CRSError
        raise ValueError(f"unknown CRS {crs!r} ({exc}); expected EPSG:<code>, gcj02 or bd09") from None
    if geographic:
        return lonlat_problem(x, y)
    if not (math.isfinite(x) and math.isfinite(y)):
        return f"({x}, {y}) are not finite numbers"
    return None


@dataclass(frozen=True)
class AdminChain:
    city: str = ""
    district: str = ""
    street: str = ""
    grid: str = ""
    codes: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "city": self.city or None,
            "district": self.district or None,
            "street": self.street or None,
            "grid": self.grid or None,
            "codes": dict(self.codes),
        }


@dataclass
class _Level:
    frame: gpd.GeoDataFrame
    names: list[str]
    codes: list[str]


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_level(sources: Sequence[BoundarySource]) -> _Level | None:
    import geopandas as gpd
    import pandas as pd

    from controlroom.geo.crs import WGS84
    from controlroom.geo.vector_layers import read_features

    frames, names, codes = [], [], []
    for src in sources:
        geoms, crs, records = read_features(src, what=f"{src.level} boundary polygons")
        gdf = gpd.GeoDataFrame(geometry=gpd.GeoSeries(geoms), crs=crs)
        if crs != WGS84:
            gdf = gdf.to_crs(WGS84)
        keep = gdf.geometry.notna() & ~gdf.geometry.is_empty
        gdf = gdf[keep]
        picked = [r for r, k in zip(records, keep.to_numpy(), strict=True) if k]
        names += [_text(r.get(src.name_attribute or "name")) for r in picked]
        codes += [_text(r.get(src.code_attribute)) if src.code_attribute else "" for r in picked]
        frames.append(gdf)
    if not frames:
        return None
    frame = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=WGS84)
    frame.sindex  # noqa: B018 - build the index now, not on the first incident
    return _Level(frame, names, codes)


class AdminRouter:
    """Admin chain and department for points; build once per site (reads the boundary files)."""

    def __init__(self, boundaries: Sequence[BoundarySource], dispatch: DispatchConfig | None = None) -> None:
        self.dispatch = dispatch or DispatchConfig()
        self.levels: dict[str, _Level] = {}
        for level in ADMIN_LEVELS:
            lv = _read_level([b for b in boundaries if b.level == level])
            if lv is not None:
                self.levels[level] = lv

    def route_many(self, x: npt.ArrayLike, y: npt.ArrayLike, crs: str = "EPSG:4326") -> list[AdminChain]:
        """Vectorised: one chain per point (empty names where a level has no polygon there)."""
        import geopandas as gpd

        from controlroom.geo.crs import to_wgs84

        lon, lat = to_wgs84(
            np.atleast_1d(np.asarray(x, np.float64)), np.atleast_1d(np.asarray(y, np.float64)), crs
        )
        n = len(lon)
        found: dict[str, list[tuple[str, str]]] = {}
        points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326")
        for level, lv in self.levels.items():
            point_idx, poly_idx = lv.frame.sindex.query(points, predicate="intersects")
            pick = np.full(n, -1, np.int64)
            # the first polygon wins where layers overlap (sindex order is stable: lowest index first)
            order = np.lexsort((poly_idx, point_idx))
            point_idx, poly_idx = point_idx[order], poly_idx[order]
            first = np.ones(len(point_idx), bool)
            first[1:] = point_idx[1:] != point_idx[:-1]
            pick[point_idx[first]] = poly_idx[first]
            found[level] = [(lv.names[i], lv.codes[i]) if i >= 0 else ("", "") for i in pick.tolist()]
        out = []
        for i in range(n):
            names = {lvl: found[lvl][i][0] for lvl in found}
            codes = {lvl: found[lvl][i][1] for lvl in found if found[lvl][i][1]}
            out.append(AdminChain(**names, codes=codes))
        return out

    def route(self, x: float, y: float, crs: str = "EPSG:4326") -> AdminChain:
        return self.route_many([x], [y], crs)[0]

    def department(self, incident_type: str) -> str:
        d = self.dispatch.department_for(incident_type)
        return d.name if d else self.dispatch.default_department

    def unit_kinds(self, incident_type: str) -> list[str]:
        """Unit kinds suited to an incident type (empty: any dispatchable unit)."""
        d = self.dispatch.department_for(incident_type)
        return list(d.unit_kinds) if d else []
