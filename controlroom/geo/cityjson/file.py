"""A parsed CityJSON file in its source CRS, and how it becomes merged triangle layers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt

from controlroom.core.city import LAYER_KINDS, CityLayer, CityObjects, LoadIssue, Surface
from controlroom.core.issues import InputError
from controlroom.geo.cityjson.reference import _horizontal_crs
from controlroom.geo.crs import LocalFrame, to_wgs84
from controlroom.geo.polygon3d import TriangleBatch, triangulate_polygons

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


_CLASSIFY = 255  # surface code: "no semantics, classify by face normal"
_ROOF_ABOVE = 0.5  # metres above an object's lowest point before an up-facing face counts as roof


@dataclass
class _Surfaces:
    """Every chosen surface of every object, flattened: the layout ``triangulate_polygons`` takes."""

    ring_index: IntArray  # vertex indices of all rings, concatenated
    ring_length: IntArray  # (R,)
    polygon_rings: IntArray  # (P,) rings per surface, outer first
    polygon_object: IntArray  # (P,) row in the object table
    polygon_code: npt.NDArray[np.uint8]  # (P,) Surface value, or _CLASSIFY


@dataclass
class CityJsonFile:
    """A parsed CityJSON file, still in its source CRS; ``to_layers`` meshes it."""

    path: Path
    version: str
    crs: str  # e.g. "EPSG:7415" (compound CRS kept as declared; see horizontal_crs)
    vertices: FloatArray = field(repr=False)  # (N, 3) source CRS, transform applied
    objects: CityObjects = field(repr=False)  # one row per object with surface geometry
    object_kind: list[str] = field(repr=False)  # layer kind per row
    type_counts: dict[str, int] = field(default_factory=dict)
    issues: list[LoadIssue] = field(default_factory=list)
    surfaces: _Surfaces | None = field(default=None, repr=False)
    object_zmin: FloatArray = field(default_factory=lambda: np.empty(0), repr=False)
    offset: FloatArray = field(default_factory=lambda: np.zeros(3), repr=False)

    def object_counts(self) -> dict[str, int]:
        """CityObject type → count, over every object in the file (with or without geometry)."""
        return dict(self.type_counts)

    @cached_property
    def horizontal_crs(self) -> str:
        """The 2D part of a compound CRS (EPSG:7415 → EPSG:28992): x/y convert through it alone,
        z stays in the source's metres."""
        return _horizontal_crs(self.crs, self.path)

    def bbox_source(self) -> tuple[float, float, float, float]:
        if not len(self.vertices):
            raise InputError(f"{self.path}: the file has no vertices, so it has no extent")
        lo = self.vertices[:, :2].min(axis=0)
        hi = self.vertices[:, :2].max(axis=0)
        return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))

    def bbox_wgs84(self) -> tuple[float, float, float, float]:
        """Lon/lat bounds of the source bbox, its edges densified so curved grid lines count."""
        x0, y0, x1, y1 = self.bbox_source()
        t = np.linspace(0.0, 1.0, 17)
        xs = np.concatenate([x0 + (x1 - x0) * t, np.full(17, x1), x1 - (x1 - x0) * t, np.full(17, x0)])
        ys = np.concatenate([np.full(17, y0), y0 + (y1 - y0) * t, np.full(17, y1), y1 - (y1 - y0) * t])
        lon, lat = to_wgs84(xs, ys, self.horizontal_crs)
        return (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))

    @cached_property
    def _batch(self) -> TriangleBatch:
        s = self.surfaces
        assert s is not None
        return triangulate_polygons(self.vertices - self.offset, s.ring_index, s.ring_length, s.polygon_rings)

    def to_layers(self, frame: LocalFrame | None) -> tuple[dict[str, CityLayer], list[LoadIssue]]:
        """One merged mesh per layer kind, in ``frame`` (None: source coordinates)."""
        issues = list(self.issues)
        s = self.surfaces
        if s is None or not len(s.polygon_rings):
            return {}, issues
        batch = self._batch
        source = str(self.path)
        if batch.degenerate.any():
            n = int(batch.degenerate.sum())
            issues.append(LoadIssue(source, None, f"{n} polygon(s) without area (degenerate)", "skipped"))
        tris = batch.triangles
        tri_object = s.polygon_object[batch.polygon]
        surface = self._classify(tris, batch, tri_object, s.polygon_code[batch.polygon])

        used = np.zeros(len(self.vertices), bool)
        used[tris] = True
        points = self._to_frame(self.vertices[used], frame)
        remap = np.cumsum(used) - 1
        tris = remap[tris]

        per_object = np.bincount(tri_object, minlength=len(self.objects))
        kinds = np.array([LAYER_KINDS.index(k) for k in self.object_kind], np.int64)
        for row in np.flatnonzero(per_object == 0).tolist():
            issues.append(LoadIssue(source, self.objects.ids[row], "no surface with an area", "skipped"))
        tri_kind = kinds[tri_object]
        layers: dict[str, CityLayer] = {}
        for k, kind in enumerate(LAYER_KINDS):
            rows = np.flatnonzero((kinds == k) & (per_object > 0))
            if not len(rows):
                continue
            sel = tri_kind == k
            row_to_local = np.full(len(self.objects), -1, np.int64)
            row_to_local[rows] = np.arange(len(rows))
            layer_tris = tris[sel]
            mark = np.zeros(len(points), bool)
            mark[layer_tris] = True
            local = np.cumsum(mark) - 1
            layers[kind] = CityLayer(
                kind,
                points[mark],
                local[layer_tris],
                row_to_local[tri_object[sel]].astype(np.int32),
                surface[sel],
                _take_rows(self.objects, rows.tolist()),
            )
        return layers, issues

    def _classify(
        self, tris: IntArray, batch: TriangleBatch, tri_object: IntArray, codes: npt.NDArray[np.uint8]
    ) -> npt.NDArray[np.uint8]:
        """Semantic class where the file gives one; otherwise from the face normal, so LoD1
        blocks and unlabelled LoD2 still show roofs apart from walls and grounds."""
        out = codes.copy()
        todo = np.flatnonzero(codes == _CLASSIFY)
        if not len(todo):
            return out
        nz = batch.normals[batch.polygon[todo], 2]
        centre_z = self.vertices[tris[todo], 2].mean(axis=1)
        high = centre_z > self.object_zmin[tri_object[todo]] + _ROOF_ABOVE
        cls = np.full(len(todo), Surface.WALL, np.uint8)
        cls[(nz > 0.9) & ~high] = Surface.GROUND  # flat and at the object's foot
        cls[nz < -0.9] = Surface.GROUND  # facing down
        cls[(nz > 0.3) & high] = Surface.ROOF  # flat or pitched (up to ~70°), above the foot
        out[todo] = cls
        return out

    def _to_frame(self, pts: FloatArray, frame: LocalFrame | None) -> FloatArray:
        if frame is None:
            return pts.copy()
        x, y = frame.from_crs(pts[:, 0], pts[:, 1], self.horizontal_crs)
        return np.column_stack([x, y, pts[:, 2] - frame.origin_z])


def _take_rows(table: CityObjects, rows: Sequence[int]) -> CityObjects:
    return CityObjects(
        ids=[table.ids[i] for i in rows],
        types=[table.types[i] for i in rows],
        names=[table.names[i] for i in rows],
        heights=[table.heights[i] for i in rows],
        lods=[table.lods[i] for i in rows],
        parents=[table.parents[i] for i in rows],
        attributes=[table.attributes[i] for i in rows],
    )
