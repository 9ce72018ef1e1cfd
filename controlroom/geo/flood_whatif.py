"""One site's flood what-if: everything prepared once, then any level answered in one pass.

``FloodScene`` holds the terrain, where the river is, the buildings' ground samples, the roads'
samples and the points that matter under water (underground POIs and metro entrances, cameras,
units). ``scene.at(level)`` floods from the river (or a breach point) and ``scene.impact(extent)``
says what went under; ``impact.summary()`` is what the CLI prints and the desk panel lists. The
administrative split (district/street/grid) comes from a labeller the caller supplies (the
dispatch ``AdminRouter``), computed once per scene for every building and road sample.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from controlroom.core.site import FloodConfig
from controlroom.geo.flood import (
    FloodExtent,
    flood_below,
    flood_from,
    point_seed,
    rain_ponding,
    river_bed_m,
    spill_levels,
)
from controlroom.geo.flood_impact import (
    FLOODED,
    STATE_NAMES,
    WET,
    BuildingSamples,
    RoadSamples,
    classify,
)
from controlroom.geo.terrain import Terrain

F64 = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
#: local x, y → {"district": names, "street": names, "grid": names} (one name per point, "" if none)
AdminLabeller = Callable[[F64, F64], Mapping[str, Sequence[str]]]
ADMIN_TOTAL_LEVELS = ("district", "street", "grid")


@dataclass(frozen=True)
class PointSet:
    """Named points that matter when they stand in water."""

    ids: list[str]
    names: list[str]
    x: F64
    y: F64

    @property
    def n(self) -> int:
        return len(self.ids)

    @classmethod
    def empty(cls) -> PointSet:
        return cls([], [], np.zeros(0), np.zeros(0))


@dataclass
class FloodScene:
    terrain: Terrain
    river: Mask  # terrain cells of the river/canals: where a rising river starts
    buildings: BuildingSamples
    roads: RoadSamples | None = None
    points: dict[str, PointSet] = field(default_factory=dict)  # "underground", "cameras", "units"
    config: FloodConfig = field(default_factory=FloodConfig)
    admin: AdminLabeller | None = None
    #: subtracted from the level where the water is drawn: 0 over a city standing on its terrain;
    #: the assumed ground height over a flat-ground approximation (the city stands on z = 0)
    draw_offset_m: float = 0.0
    #: the assumed ground height where the site has no terrain (flat-ground approximation), else None
    flat_ground_m: float | None = None
    _labels: dict[str, tuple[npt.NDArray[Any], npt.NDArray[Any]]] | None = field(default=None, repr=False)
    _cells: dict[str, npt.NDArray[np.int64]] = field(default_factory=dict, repr=False)
    _road_names: npt.NDArray[Any] = field(default_factory=lambda: np.zeros(0, str), repr=False)
    _codes: dict[str, Any] = field(default_factory=dict, repr=False)

    def seeds(self, breach: tuple[float, float] | None = None) -> Mask:
        return point_seed(self.terrain, *breach) if breach is not None else self.river

    def river_bed_m(self, breach: tuple[float, float] | None = None) -> float | None:
        return river_bed_m(self.terrain, self.seeds(breach))

    def at(self, level_m: float, breach: tuple[float, float] | None = None) -> FloodExtent:
        """The water at an absolute level, from the river or from a breach point. The river's own
        bed is water already, not flood: it carries the water but is left out of the extent (so
        its area is not "flooded" and a bridge over it is not a cut road)."""
        if breach is None and "spill" in self._codes:  # prepared: a level is one comparison
            ext = flood_below(self.terrain, level_m, self._codes["spill"], "river")
        elif breach is None:
            ext = flood_from(self.terrain, level_m, self.river, "river")
        else:
            ext = flood_from(self.terrain, level_m, self.seeds(breach), "breach")
        if ext.nothing_floods or not self.river.any():
            return ext
        flooded = ext.flooded & ~self.river
        depth = np.where(flooded, ext.depth, np.float32(0))
        return FloodExtent(ext.terrain, ext.level_m, flooded, depth, ext.how)

    def prepare_levels(self) -> None:
        """Make the river's spill levels (``spill_levels``: ~1 s for the sample site's 320,000
        cells) so that every later ``at`` is a comparison: for the slider, not a one-off answer."""
        if "spill" not in self._codes:
            self._codes["spill"] = spill_levels(self.terrain, self.river)

    def rain(self, rain_mm: float) -> FloodExtent:
        return rain_ponding(self.terrain, rain_mm, exclude=self.river)

    def impact(self, extent: FloodExtent) -> FloodImpact:
        """What the water reaches. Every sample's terrain cell is looked up once per scene
        (``_cells``), so a slider step is one gather of the depth grid per kind of thing."""
        depth = self._depth_at(extent, "buildings", self.buildings.sample_x, self.buildings.sample_y)
        depth = np.maximum.reduceat(depth, self.buildings.starts) if self.buildings.n else np.zeros(0)
        state = classify(depth, self.config)
        cut = (
            self._depth_at(extent, "roads", self.roads.x, self.roads.y) > self.config.road_cut_depth_m
            if self.roads is not None
            else np.zeros(0, bool)
        )
        wet_points = {}
        for k, p in self.points.items():
            d = self._depth_at(extent, f"points:{k}", p.x, p.y)
            wet_points[k] = (d > 0, d)
        return FloodImpact(self, extent, depth, state, cut, wet_points)

    def _depth_at(self, extent: FloodExtent, key: str, x: F64, y: F64) -> F64:
        """``extent.depth_at(x, y)`` for a fixed set of points, through their cached cells."""
        if extent.terrain is not self.terrain:
            return extent.depth_at(x, y)
        cells = self._cells.get(key)
        if cells is None or len(cells) != len(x):
            i, j, inside = self.terrain.index(x, y)
            cells = np.where(inside, i * self.terrain.shape[1] + j, -1)
            self._cells[key] = cells
        out = extent.depth.reshape(-1)[np.maximum(cells, 0)].astype(np.float64)
        out[cells < 0] = 0.0
        return out

    def label_codes(
        self, level: str
    ) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
        """The areas of ``level`` (sorted names, "" for outside every area) and each building's and
        road sample's index into them; None where the site has no such level. Made once."""
        key = f"label:{level}"
        if key not in self._codes:
            labels = self.labels().get(level)
            if labels is None:
                self._codes[key] = None
            else:
                b, r = labels
                names, code = np.unique(np.concatenate([b, r]).astype(str), return_inverse=True)
                code = code.astype(np.int64)
                self._codes[key] = (names, code[: len(b)], code[len(b) :])
        return self._codes[key]

    def road_name_codes(self) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64]]:
        """The roads' distinct names, and per road line the index of its name (−1: unnamed)."""
        if "road_names" not in self._cells:
            names = np.asarray(self.roads.names if self.roads is not None else [], dtype=str)
            keys, code = np.unique(names, return_inverse=True)
            code = code.astype(np.int64)
            if len(keys) and keys[0] == "":
                keys, code = keys[1:], code - 1
            self._cells["road_names"] = code
            self._road_names = keys
        return self._road_names, self._cells["road_names"]

    def labels(self) -> dict[str, tuple[npt.NDArray[Any], npt.NDArray[Any]]]:
        """Admin names per building and per road sample, by level (computed once)."""
        if self._labels is None:
            self._labels = {}
            if self.admin is not None:
                rx = self.roads.x if self.roads is not None else np.zeros(0)
                ry = self.roads.y if self.roads is not None else np.zeros(0)
                nb = self.buildings.n
                names = self.admin(
                    np.concatenate([self.buildings.x, rx]), np.concatenate([self.buildings.y, ry])
                )
                for level in ADMIN_TOTAL_LEVELS:
                    if level in names and any(names[level]):
                        arr = np.asarray(names[level], dtype=object)
                        self._labels[level] = (arr[:nb], arr[nb:])
        return self._labels


@dataclass(frozen=True)
class FloodImpact:
    scene: FloodScene
    extent: FloodExtent
    building_depth: F64
    building_state: npt.NDArray[np.int8]
    road_cut: Mask  # per road sample
    wet_points: dict[str, tuple[Mask, F64]]

    def count(self, state: int) -> int:
        return int(np.count_nonzero(self.building_state == state))

    @property
    def roads_cut_km(self) -> float:
        roads = self.scene.roads
        return float(roads.length_m[self.road_cut].sum() / 1000.0) if roads is not None else 0.0

    def people(self) -> float:
        affected = self.building_state >= WET
        return float(self.scene.buildings.population[affected].sum())

    def affected_buildings(self) -> npt.NDArray[np.int64]:
        """Indices of wet and flooded buildings, deepest first."""
        idx = np.flatnonzero(self.building_state >= WET)
        return idx[np.argsort(-self.building_depth[idx], kind="stable")]

    def admin_names(self, buildings: npt.NDArray[np.int64]) -> list[dict[str, str]]:
        """District, street and grid of each given building ("" where the site has no such level)."""
        labels = self.scene.labels()
        cols = {lv: (labels[lv][0][buildings] if lv in labels else None) for lv in ADMIN_TOTAL_LEVELS}
        return [
            {lv: (str(col[k]) if col is not None else "") for lv, col in cols.items()}
            for k in range(len(buildings))
        ]

    def count_in_water(self, kind: str) -> int:
        return int(np.count_nonzero(self.wet_points[kind][0])) if kind in self.wet_points else 0

    def points_in_water(self, kind: str) -> list[dict[str, Any]]:
        if kind not in self.wet_points:
            return []
        wet, depth = self.wet_points[kind]
        p = self.scene.points[kind]
        return [
            {"id": p.ids[i], "name": p.names[i], "depth_m": round(float(depth[i]), 2)}
            for i in np.flatnonzero(wet).tolist()
        ]

    def cut_road_names(self) -> list[str]:
        roads = self.scene.roads
        if roads is None or not self.road_cut.any():
            return []
        names = {roads.names[i] for i in np.unique(roads.line[self.road_cut]).tolist()}
        return sorted(n for n in names if n)

    def cut_roads(self) -> list[tuple[str, float, float, float]]:
        """Each cut road by name: (name, km cut, x, y of the cut sample nearest the middle of its
        cut samples), most km first; unnamed roads are left out (nobody can read them out)."""
        roads = self.scene.roads
        if roads is None or not self.road_cut.any():
            return []
        keys, code = self.scene.road_name_codes()
        group = code[roads.line[self.road_cut]]
        named = group >= 0
        if not named.any():
            return []
        group = group[named]
        km = np.bincount(group, weights=roads.length_m[self.road_cut][named], minlength=len(keys)) / 1000.0
        count = np.bincount(group, minlength=len(keys))
        sx, sy = roads.x[self.road_cut][named], roads.y[self.road_cut][named]
        with np.errstate(invalid="ignore", divide="ignore"):
            mx = np.bincount(group, weights=sx, minlength=len(keys)) / count
            my = np.bincount(group, weights=sy, minlength=len(keys)) / count
        # the cut sample nearest the middle: a point on the road even where it bends
        by_group = np.lexsort(((sx - mx[group]) ** 2 + (sy - my[group]) ** 2, group))
        present = np.flatnonzero(count)
        first = by_group[np.searchsorted(group[by_group], present)]
        km, x, y = km[present], sx[first], sy[first]
        keys = keys[present]
        order = np.argsort(-km, kind="stable")
        return [(str(keys[i]), float(km[i]), float(x[i]), float(y[i])) for i in order.tolist()]

    def totals_by(self, level: str) -> dict[str, dict[str, float]]:
        """Buildings flooded/wet, people and road km cut per admin area of ``level`` (affected only):
        sums over the areas' integer codes (``FloodScene.label_codes``), no strings per step."""
        codes = self.scene.label_codes(level)
        if codes is None:
            return {}
        names, b_code, r_code = codes
        k = len(names)
        state = self.building_state
        affected = state >= WET
        bc = b_code[affected]
        flooded = np.bincount(bc, weights=state[affected] == FLOODED, minlength=k)
        wet = np.bincount(bc, weights=state[affected] == WET, minlength=k)
        people = np.bincount(bc, weights=self.scene.buildings.population[affected], minlength=k)
        present = np.bincount(bc, minlength=k) > 0
        km: npt.NDArray[Any] = np.zeros(k)
        if self.scene.roads is not None and self.road_cut.any():
            rc = r_code[self.road_cut]
            km = np.bincount(rc, weights=self.scene.roads.length_m[self.road_cut] / 1000, minlength=k)
            present |= np.bincount(rc, minlength=k) > 0
        return {
            (str(names[i]) or "(outside)"): {
                "flooded": int(flooded[i]),
                "wet": int(wet[i]),
                "people": round(float(people[i])),
                "roads_cut_km": round(float(km[i]), 3),
            }
            for i in np.flatnonzero(present).tolist()
        }

    def summary(self) -> dict[str, Any]:
        """The CLI's JSON (and the panel's totals)."""
        ext = self.extent
        buildings = {name: self.count(code) for code, name in enumerate(STATE_NAMES)}
        out: dict[str, Any] = {
            "level_m": round(ext.level_m, 3),
            "how": ext.how,
            "ground": "terrain" if self.scene.flat_ground_m is None else "flat",
            "area_km2": round(ext.area_km2, 4),
            "max_depth_m": round(ext.max_depth_m, 2),
            "buildings": {k: buildings[k] for k in ("flooded", "wet", "dry")},
            "people": round(self.people()),
            "roads_cut_km": round(self.roads_cut_km, 3),
            "roads_cut": self.cut_road_names(),
            "cameras": self.count_in_water("cameras"),
            "units": self.count_in_water("units"),
            "underground": self.points_in_water("underground"),
        }
        if self.scene.flat_ground_m is not None:
            out["flat_ground_m"] = self.scene.flat_ground_m
        for level in ADMIN_TOTAL_LEVELS:
            out[f"by_{level}"] = self.totals_by(level)
        return out
