"""CityObjects → one flattened table of surfaces: the LoD chosen, semantics read, heights found."""

from __future__ import annotations

import math
from collections import Counter
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np

from controlroom.core.city import CITYOBJECT_LAYER, SEMANTIC_SURFACES, LoadIssue, Surface
from controlroom.core.issues import InputError
from controlroom.geo.cityjson.decode import _CityObject, _Document, _Geometry
from controlroom.geo.cityjson.file import _CLASSIFY, CityJsonFile, FloatArray, IntArray, _Surfaces

# boundary nesting above the surface level, per geometry type
_SURFACE_DEPTH = {"MultiSurface": 0, "CompositeSurface": 0, "Solid": 1, "MultiSolid": 2, "CompositeSolid": 2}


class _SemanticCodes(dict[str, int]):
    """CityJSON surface type → Surface value; unknown (e.g. extension) types → UNKNOWN."""

    def __missing__(self, key: str) -> int:
        return int(Surface.UNKNOWN)


_SEMANTIC_CODE = _SemanticCodes({name: int(surface) for name, surface in SEMANTIC_SURFACES.items()})


class _MalformedGeometryError(ValueError):
    """One object's geometry does not follow the CityJSON layout."""


def _vertices(doc: _Document, path: Path) -> tuple[FloatArray, FloatArray]:
    """(N, 3) float64 source coordinates (transform applied) and an offset near them."""
    if doc.vertices is None:
        raise InputError(f'{path}: missing "vertices": expected a list of [x, y, z] coordinates')
    verts = np.array(doc.vertices, np.float64).reshape(-1, 3)
    transform = doc.transform
    if transform is None:
        offset = verts.min(axis=0) if len(verts) else np.zeros(3)
        return verts, offset
    try:
        scale = np.asarray(transform["scale"], np.float64).reshape(3)
        translate = np.asarray(transform["translate"], np.float64).reshape(3)
    except (KeyError, TypeError, ValueError):
        raise InputError(
            f'{path}: "transform" must be {{"scale": [sx, sy, sz], "translate": [tx, ty, tz]}}'
        ) from None
    return verts * scale + translate, translate


def _lod_text(value: Any) -> str:
    """CityJSON 1.0 writes LoD as a number, later versions as a string: compare as text."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        return str(value)
    return str(value).strip() if value is not None else ""


def _lod_rank(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split("."))
    except ValueError:
        return (-1.0,)


def _choose_geometry(geoms: list[_Geometry], wanted: str | None) -> tuple[_Geometry, bool]:
    """The wanted LoD if present, else the highest; the flag says the wanted one was missing."""
    if wanted is None and len(geoms) == 1:
        return geoms[0], False
    if wanted is not None:
        for g in geoms:
            if _lod_text(g.lod) == wanted:
                return g, False
    best = max(geoms, key=lambda g: _lod_rank(_lod_text(g.lod)))
    return best, wanted is not None


def _count_surfaces(boundaries: list[Any], depth: int) -> int:
    if depth == 0:
        return len(boundaries)
    return sum(_count_surfaces(b, depth - 1) for b in boundaries)


def _flat_values(values: Any, boundaries: list[Any], depth: int) -> list[Any]:
    """Semantic value per surface in boundary order; a null shell/solid means all-null."""
    if depth == 0:
        return list(values)
    if depth == 1 and None not in values and list(map(len, values)) == list(map(len, boundaries)):
        return list(chain.from_iterable(values))  # the common Solid case, without recursion
    out: list[Any] = []
    for value, sub in zip(values, boundaries, strict=True):
        if value is None:
            out.extend([None] * _count_surfaces(sub, depth - 1))
        else:
            out.extend(_flat_values(value, sub, depth - 1))
    return out


def _surfaces_of(geometry: _Geometry, default_code: int) -> tuple[list[Any], list[int], bool]:
    """(surfaces, code per surface, semantics were repaired) for one geometry."""
    depth = _SURFACE_DEPTH[geometry.type]
    boundaries = geometry.boundaries
    if not isinstance(boundaries, list):
        raise _MalformedGeometryError('"boundaries" is not a list')
    try:
        if depth == 0:
            surfaces = boundaries
        elif depth == 1:
            surfaces = list(chain.from_iterable(boundaries))
        else:
            surfaces = list(chain.from_iterable(chain.from_iterable(boundaries)))
    except TypeError:
        raise _MalformedGeometryError(f'"boundaries" is not nested as a {geometry.type}') from None
    semantics = geometry.semantics
    if not semantics:
        return surfaces, [default_code] * len(surfaces), False
    try:
        table = list(map(_SEMANTIC_CODE.__getitem__, map(itemgetter("type"), semantics["surfaces"])))
        values = _flat_values(semantics["values"], boundaries, depth)
        if len(values) != len(surfaces):
            raise ValueError
        if None in values:
            codes = [default_code if v is None else table[v] for v in values]
        else:
            codes = list(map(table.__getitem__, values))
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return surfaces, [default_code] * len(surfaces), True
    return surfaces, codes, False


def _flatten(surfaces: list[Any]) -> tuple[IntArray, IntArray, IntArray]:
    """(polygon_rings, ring_length, ring_index) in C-level loops; raises on a malformed layout."""
    polygon_rings = np.fromiter(map(len, surfaces), np.int64, count=len(surfaces))
    rings = list(chain.from_iterable(surfaces))
    ring_length = np.fromiter(map(len, rings), np.int64, count=len(rings))
    ring_index = np.fromiter(chain.from_iterable(rings), np.int64, count=int(ring_length.sum()))
    return polygon_rings, ring_length, ring_index


def _attribute_height(attrs: dict[str, Any]) -> float | None:
    """measuredHeight, or 3D BAG's roof-max minus ground level, when the file states one."""

    def number(key: str) -> float | None:
        value = attrs.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        return None

    measured = number("measuredHeight")
    if measured is not None:
        return measured
    for prefix in ("", "b3_"):
        top, ground = number(prefix + "h_dak_max"), number(prefix + "h_maaiveld")
        if top is not None and ground is not None:
            return top - ground
    return None


def _collect_objects(result: CityJsonFile, cityobjects: dict[str, _CityObject], wanted: str | None) -> None:
    """Choose one geometry per object, flatten every surface, check indices, fill the table."""
    source = str(result.path)
    issues = result.issues
    surfaces: list[Any] = []
    codes: list[int] = []
    counts: list[int] = []  # surfaces per row
    rows: list[tuple[str, _CityObject, str]] = []  # (id, object, lod)
    defaulted = 0
    unsurfaced: Counter[str] = Counter()
    for oid, obj in cityobjects.items():
        geoms = obj.geometry
        if not geoms:
            continue
        surfaced = [g for g in geoms if g.type in _SURFACE_DEPTH]
        if not surfaced:
            unsurfaced.update(g.type for g in geoms)
            continue
        geometry, missing = _choose_geometry(surfaced, wanted)
        default = int(Surface.TERRAIN) if obj.type == "TINRelief" else _CLASSIFY
        try:
            object_surfaces, object_codes, repaired = _surfaces_of(geometry, default)
        except _MalformedGeometryError as exc:
            issues.append(LoadIssue(source, oid, str(exc), "skipped"))
            continue
        if repaired:
            issues.append(
                LoadIssue(
                    source,
                    oid,
                    "semantics do not match the boundaries; surfaces classified by face normal",
                    "repaired",
                )
            )
        defaulted += missing
        rows.append((oid, obj, _lod_text(geometry.lod)))
        surfaces.extend(object_surfaces)
        codes.extend(object_codes)
        counts.append(len(object_surfaces))
    if defaulted:
        issues.append(
            LoadIssue(
                source,
                None,
                f"LoD {wanted} missing in {defaulted} object(s); used each one's highest LoD",
                "defaulted",
            )
        )
    if unsurfaced:
        kinds = ", ".join(f"{n} {t}" for t, n in sorted(unsurfaced.items()))
        issues.append(LoadIssue(source, None, f"geometry without surfaces not drawn ({kinds})", "skipped"))

    try:
        polygon_rings, ring_length, ring_index = _flatten(surfaces)
    except (TypeError, ValueError):
        rows, surfaces, codes, counts = _drop_malformed(source, issues, rows, surfaces, codes, counts)
        polygon_rings, ring_length, ring_index = _flatten(surfaces)
    row_of_polygon = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
    code_of_polygon = np.array(codes, np.uint8)
    row_of_position = np.repeat(np.repeat(row_of_polygon, polygon_rings), ring_length)

    n_vertices = len(result.vertices)
    bad = (ring_index < 0) | (ring_index >= n_vertices)
    if bad.any():
        bad_rows = np.unique(row_of_position[bad])
        for row in bad_rows.tolist():
            index = int(ring_index[bad & (row_of_position == row)][0])
            issues.append(
                LoadIssue(
                    source,
                    rows[row][0],
                    f"vertex index {index} out of range (the file has {n_vertices} vertices)",
                    "skipped",
                )
            )
        keep_row = np.ones(len(rows), bool)
        keep_row[bad_rows] = False
        keep_polygon = keep_row[row_of_polygon]
        keep_ring = np.repeat(keep_polygon, polygon_rings)
        ring_index = ring_index[keep_row[row_of_position]]
        ring_length, polygon_rings = ring_length[keep_ring], polygon_rings[keep_polygon]
        code_of_polygon = code_of_polygon[keep_polygon]
        renumber = np.cumsum(keep_row) - 1
        row_of_polygon = renumber[row_of_polygon[keep_polygon]]
        row_of_position = renumber[row_of_position[keep_row[row_of_position]]]
        rows = [r for r, keep in zip(rows, keep_row.tolist(), strict=True) if keep]

    zmin, zmax = _row_z_range(result.vertices[ring_index, 2], row_of_position, len(rows))
    spans = (zmax - zmin).tolist()
    for (oid, obj, lod), span in zip(rows, spans, strict=True):
        own = obj.attributes or {}
        parent = obj.parents[0] if obj.parents else None
        parent_obj = cityobjects.get(parent) if parent is not None else None
        parent_attrs = parent_obj.attributes if parent_obj is not None else None
        attrs = {**parent_attrs, **own} if parent_attrs else dict(own)
        name = attrs.get("name", attrs.get("naam"))
        height = _attribute_height(attrs)
        if height is None and math.isfinite(span):
            height = span
        obj_type = obj.type
        result.objects.append(
            oid,
            obj_type,
            name=None if name is None else str(name),
            height=height,
            lod=lod or None,
            parent=parent,
            attributes=attrs,
        )
        result.object_kind.append(CITYOBJECT_LAYER.get(obj_type, "other"))
    result.surfaces = _Surfaces(ring_index, ring_length, polygon_rings, row_of_polygon, code_of_polygon)
    result.object_zmin = zmin


def _drop_malformed(
    source: str,
    issues: list[LoadIssue],
    rows: list[tuple[str, _CityObject, str]],
    surfaces: list[Any],
    codes: list[int],
    counts: list[int],
) -> tuple[list[tuple[str, _CityObject, str]], list[Any], list[int], list[int]]:
    """Slow path, only when the bulk flatten failed: find the objects whose rings are not lists
    of vertex indices, skip them, keep the rest."""
    kept: tuple[list[Any], list[Any], list[int], list[int]] = ([], [], [], [])
    start = 0
    for row, count in zip(rows, counts, strict=True):
        own = surfaces[start : start + count]
        try:
            _flatten(own)
        except (TypeError, ValueError):
            issues.append(
                LoadIssue(
                    source,
                    row[0],
                    "boundaries must be lists of rings of vertex indices (integers)",
                    "skipped",
                )
            )
        else:
            kept[0].append(row)
            kept[1].extend(own)
            kept[2].extend(codes[start : start + count])
            kept[3].append(count)
        start += count
    return kept


def _row_z_range(z: FloatArray, row_of_position: IntArray, n_rows: int) -> tuple[FloatArray, FloatArray]:
    """Lowest and highest z per row (positions are grouped by row); NaN for a row without any."""
    zmin = np.full(n_rows, np.nan)
    zmax = np.full(n_rows, np.nan)
    per_row = np.bincount(row_of_position, minlength=n_rows)
    starts = np.searchsorted(row_of_position, np.arange(n_rows))
    present = per_row > 0
    if present.any():
        zmin[present] = np.minimum.reduceat(z, starts[present])
        zmax[present] = np.maximum.reduceat(z, starts[present])
    return zmin, zmax
