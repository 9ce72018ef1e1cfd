"""The simulator's road network: polylines in metres, and vehicles driving along them, vectorised.

All vertices of all roads are concatenated into one array with a running distance, so placing
10,000 vehicles is one ``searchsorted`` and a few array operations per tick. Vehicles turn onto a
road that shares the junction when they reach the end of theirs (a U-turn at dead ends); buses
prefer main roads, so they keep to the arterials like real routes do.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from controlroom.core.issues import InputError
from controlroom.geo.crs import LocalFrame, to_wgs84

if TYPE_CHECKING:
    from controlroom.core.site import VectorSource

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
MAIN_ROADS = {
    "motorway",
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "motorway_link",
    "trunk_link",
    "primary_link",
    "secondary_link",
}
_SNAP_M = 2.0


def read_points(source: VectorSource) -> tuple[list[dict[str, str]], F64, F64]:
    """Rows (attributes as text) and WGS 84 lon/lat of a point registry (CSV with lon/lat, or GIS)."""
    path = Path(source.path)
    if not path.is_file():
        raise InputError(f"{path}: no such file (a point registry: cameras or units)")
    if source.resolved_format == "csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        if rows and not {"lon", "lat"} <= rows[0].keys() and not {"x", "y"} <= rows[0].keys():
            raise InputError(f"{path}: expected 'lon'/'lat' (or 'x'/'y') columns, found {list(rows[0])}")
        xk, yk = ("lon", "lat") if rows and "lon" in rows[0] else ("x", "y")
        try:
            x = np.array([float(r[xk]) for r in rows], np.float64)
            y = np.array([float(r[yk]) for r in rows], np.float64)
        except ValueError as exc:
            raise InputError(f"{path}: a {xk}/{yk} value is not a number ({exc})") from None
    else:
        import geopandas as gpd

        gdf = gpd.read_file(path)
        gdf = gdf[gdf.geometry.notna()]
        pts = gdf.geometry.representative_point()
        x, y = pts.x.to_numpy(np.float64), pts.y.to_numpy(np.float64)
        rows = [
            {k: str(v) for k, v in rec.items()} for rec in gdf.drop(columns="geometry").to_dict("records")
        ]
    lon, lat = to_wgs84(x, y, source.crs)
    return rows, lon, lat


@dataclass
class RoadNetwork:
    """Every road as a polyline in a local metric frame, flattened for vectorised lookups."""

    frame: LocalFrame
    xy: F64  # (V, 2) vertices of all polylines, concatenated
    start: I64  # (P + 1,) vertex offset of each polyline
    gcum: F64  # (V,) running distance over all polylines (continuous across them)
    offset: F64  # (P,) gcum at each polyline's first vertex
    length: F64  # (P,)
    main: npt.NDArray[np.bool_]  # (P,) arterial roads (bus routes)
    links: list[list[tuple[int, int]]]  # per (2 * poly + end): the (poly, end) pairs meeting there

    @classmethod
    def from_sources(cls, sources: Sequence[VectorSource], frame: LocalFrame | None = None) -> RoadNetwork:
        """Read road files (any format geopandas reads) into one network."""
        import geopandas as gpd

        lines: list[F64] = []
        main: list[bool] = []
        lonlat: list[F64] = []
        for src in sources:
            path = Path(src.path)
            if not path.is_file():
                raise InputError(f"{path}: no such road file")
            gdf = gpd.read_file(path).explode(index_parts=False)
            gdf = gdf[gdf.geom_type == "LineString"]
            highway = gdf["highway"].astype(str).tolist() if "highway" in gdf else ["road"] * len(gdf)
            for geom, hw in zip(gdf.geometry, highway, strict=True):
                c = np.asarray(geom.coords, np.float64)[:, :2]
                lon, lat = to_wgs84(c[:, 0], c[:, 1], src.crs)
                lonlat.append(np.column_stack((lon, lat)))
                main.append(hw in MAIN_ROADS)
        if not lonlat:
            names = ", ".join(str(s.path) for s in sources) or "no [[roads]] in the site file"
            raise InputError(f"no LineString roads found ({names}); the simulator needs roads to drive on")
        if frame is None:
            allpts = np.concatenate(lonlat)
            centre = allpts.min(axis=0) / 2 + allpts.max(axis=0) / 2
            utm = 32600 + int((centre[0] + 180) // 6) + 1 + (100 if centre[1] < 0 else 0)
            frame = LocalFrame.at_wgs84(f"EPSG:{utm}", float(centre[0]), float(centre[1]))
        for ll in lonlat:
            x, y = frame.from_wgs84(ll[:, 0], ll[:, 1])
            lines.append(np.column_stack((x, y)))
        return cls.from_lines(lines, main, frame)

    @classmethod
    def from_lines(cls, lines: list[F64], main: list[bool], frame: LocalFrame) -> RoadNetwork:
        keep = [i for i, ln in enumerate(lines) if len(ln) >= 2 and _length(ln) > 1.0]
        lines = [lines[i] for i in keep]
        main_arr = np.array([main[i] for i in keep], bool)
        counts = np.array([len(ln) for ln in lines], np.int64)
        start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        xy = np.concatenate(lines)
        seg = np.linalg.norm(np.diff(xy, axis=0), axis=1)
        seg[start[1:-1] - 1] = 0.0  # no distance between one polyline's end and the next's start
        gcum = np.concatenate([[0.0], np.cumsum(seg)])
        offset = gcum[start[:-1]]
        length = gcum[start[1:] - 1] - offset
        ends: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for p in range(len(lines)):
            for end, v in ((0, start[p]), (1, start[p + 1] - 1)):
                key = (round(float(xy[v, 0]) / _SNAP_M), round(float(xy[v, 1]) / _SNAP_M))
                ends.setdefault(key, []).append((p, end))
        links: list[list[tuple[int, int]]] = [[] for _ in range(2 * len(lines))]
        for members in ends.values():
            for p, end in members:
                links[2 * p + end] = [m for m in members if m != (p, end)]
        return cls(frame, xy, start, gcum, offset, length, main_arr, links)

    @property
    def polylines(self) -> int:
        return len(self.length)

    def locate(self, poly: I64, dist: F64, direction: F64) -> tuple[F64, F64, F64]:
        """Local x, y and compass heading (degrees, clockwise from north) of vehicles on the roads."""
        g = self.offset[poly] + np.clip(dist, 0.0, self.length[poly])
        i = np.searchsorted(self.gcum, g, side="right") - 1
        i = np.clip(i, self.start[poly], self.start[poly + 1] - 2)
        a, b = self.xy[i], self.xy[i + 1]
        seg = self.gcum[i + 1] - self.gcum[i]
        t = np.clip((g - self.gcum[i]) / np.maximum(seg, 1e-9), 0.0, 1.0)
        p = a + (b - a) * t[:, None]
        d = (b - a) * direction[:, None]
        heading = np.degrees(np.arctan2(d[:, 0], d[:, 1])) % 360.0
        return p[:, 0], p[:, 1], heading

    def random_positions(self, rng: np.random.Generator, n: int, main_only: bool = False) -> tuple[I64, F64]:
        """Random (polyline, distance) pairs, weighted by road length."""
        weights = self.length * (self.main if main_only and self.main.any() else 1.0)
        poly = rng.choice(self.polylines, size=n, p=weights / weights.sum()).astype(np.int64)
        return poly, rng.uniform(0.0, 1.0, n) * self.length[poly]

    def advance(
        self,
        rng: np.random.Generator,
        poly: I64,
        dist: F64,
        direction: F64,
        step_m: F64,
        prefer_main: npt.NDArray[np.bool_],
    ) -> None:
        """Move vehicles ``step_m`` along their roads in place, turning at junctions."""
        dist += direction * step_m
        over = np.flatnonzero((dist < 0.0) | (dist > self.length[poly]))
        for v in over:
            for _ in range(8):  # a very short road may be crossed within one step
                p = int(poly[v])
                end = 1 if dist[v] > self.length[p] else 0
                left = dist[v] - self.length[p] if end else -dist[v]
                options = self.links[2 * p + end]
                if prefer_main[v]:
                    options = [o for o in options if self.main[o[0]]] or options
                if options:
                    np_, nend = options[int(rng.integers(len(options)))]
                else:
                    np_, nend = p, end  # dead end: turn round
                poly[v] = np_
                if nend == 0:
                    dist[v], direction[v] = left, 1.0
                else:
                    dist[v], direction[v] = self.length[np_] - left, -1.0
                if 0.0 <= dist[v] <= self.length[np_]:
                    break
            dist[v] = min(max(dist[v], 0.0), self.length[int(poly[v])])


def _length(line: F64) -> float:
    return float(np.linalg.norm(np.diff(line, axis=0), axis=1).sum())
