"""CityJSON 1.0 / 1.1 / 2.0 → merged triangle layers with per-triangle object ids and surface classes.

Loading a city must beat cjio's plain JSON load, so the file is decoded with msgspec (with the
cyclic garbage collector paused: decoding allocates a million small acyclic lists) and every
boundary is flattened into three integer arrays in C-level iteration; triangulation then runs
in bulk (see ``polygon3d``). Bad files raise ``InputError`` naming the file and what was
expected; a bad object is skipped with a ``LoadIssue`` so one broken building never loses a city.
"""

from __future__ import annotations

import gc
import math
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt

from controlroom.core.city import (
    CITYOBJECT_LAYER,
    LAYER_KINDS,
    SEMANTIC_SURFACES,
    CityLayer,
    CityObjects,
    LoadIssue,
    Surface,
)
from controlroom.core.issues import InputError
from controlroom.core.site import normalise_crs
from controlroom.geo.crs import LocalFrame, to_wgs84
from controlroom.geo.polygon3d import TriangleBatch, triangulate_polygons

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SUPPORTED_VERSIONS = ("1.0", "1.1", "2.0")
# boundary nesting above the surface level, per geometry type
_SURFACE_DEPTH = {"MultiSurface": 0, "CompositeSurface": 0, "Solid": 1, "MultiSolid": 2, "CompositeSolid": 2}


class _SemanticCodes(dict[str, int]):
    """CityJSON surface type → Surface value; unknown (e.g. extension) types → UNKNOWN."""

    def __missing__(self, key: str) -> int:
        return int(Surface.UNKNOWN)


_SEMANTIC_CODE = _SemanticCodes({name: int(surface) for name, surface in SEMANTIC_SURFACES.items()})
_CLASSIFY = 255  # surface code: "no semantics, classify by face normal"
_ROOF_ABOVE = 0.5  # metres above an object's lowest point before an up-facing face counts as roof
_EPSG_RE = re.compile(r"EPSG(?:/[^/]*/|:[^:]*:|:)(\d+)\s*$", re.IGNORECASE)
_CRS_FIX = (
    'add "metadata": {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/<code>"} to the file, '
    'or set crs = "EPSG:<code>" in its [[city_model]] entry of site.toml'
)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Decoding creates ~10⁶ acyclic containers that live only until the arrays are built: with
    the cyclic GC running it would scan them again and again (that doubles the load time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _MalformedGeometryError(ValueError):
    """One object's geometry does not follow the CityJSON layout."""


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


# ------------------------------------------------------------------ reading


def read_cityjson(path: Path, *, crs: str | None = None, lod: str | None = None) -> CityJsonFile:
    """Parse and check a CityJSON file; ``crs`` is used only when the file declares none,
    ``lod`` picks that LoD per object (objects without it fall back to their highest)."""
    with _gc_paused():
        # the decoded document dies with _parse's frame, before the collector runs again
        return _parse(Path(path), crs, lod)


class _Geometry(msgspec.Struct, gc=False):
    """The geometry fields the loader reads; msgspec skips the rest (textures ...) unbuilt."""

    type: str
    boundaries: Any = None
    lod: Any = None
    semantics: Any = None
    template: Any = None  # GeometryInstance
    transformationMatrix: Any = None  # noqa: N815 (CityJSON's key)


class _CityObject(msgspec.Struct, gc=False):
    type: str
    geometry: list[_Geometry] | None = None
    attributes: dict[str, Any] | None = None
    parents: list[str] | None = None


class _Document(msgspec.Struct, gc=False):
    type: Any = None
    version: Any = None
    CityObjects: dict[str, _CityObject] | None = None
    vertices: list[tuple[float, float, float]] | None = None
    metadata: Any = None
    transform: Any = None
    geometry_templates: Any = msgspec.field(default=None, name="geometry-templates")


_DOCUMENT = msgspec.json.Decoder(_Document)


def _parse(path: Path, crs: str | None, lod: str | None) -> CityJsonFile:
    doc, issues = _decode(path)
    source_crs = _source_crs(doc.metadata, crs, path)
    if doc.CityObjects is None:
        raise InputError(f'{path}: missing "CityObjects": expected an object of id → CityObject')
    vertices, offset = _vertices(doc, path)
    vertices = _expand_instances(doc, vertices, path, issues)
    type_counts = dict(Counter(o.type for o in doc.CityObjects.values()))
    wanted = None if lod is None else _lod_text(lod)
    result = CityJsonFile(
        path, doc.version, source_crs, vertices, CityObjects(), [], type_counts, issues, offset=offset
    )
    if len(vertices):
        _check_area(result, declared_in_file=_file_reference(doc.metadata) is not None)
    _collect_objects(result, doc.CityObjects, wanted)
    return result


def _expand_instances(
    doc: _Document, vertices: FloatArray, path: Path, issues: list[LoadIssue]
) -> FloatArray:
    """Every ``GeometryInstance`` (trees, street furniture) → a plain geometry: the template's
    vertices moved by the instance's 4×4 matrix (row by row) onto its reference point."""
    instances = [
        (oid, obj, i)
        for oid, obj in (doc.CityObjects or {}).items()
        for i, g in enumerate(obj.geometry or [])
        if g.type == "GeometryInstance"
    ]
    if not instances:
        return vertices
    gt = doc.geometry_templates if isinstance(doc.geometry_templates, dict) else {}
    templates = gt.get("templates") or []
    try:
        tverts = np.array(gt.get("vertices-templates") or [], np.float64).reshape(-1, 3)
    except ValueError:
        tverts = np.zeros((0, 3))
    extra: list[FloatArray] = []
    base = len(vertices)
    for oid, obj, i in instances:
        g = obj.geometry[i]  # type: ignore[index]
        try:
            template = msgspec.convert(templates[int(g.template)], _Geometry)
            ref = vertices[int(g.boundaries[0])]
            matrix = g.transformationMatrix if g.transformationMatrix is not None else np.eye(4)
            m = np.asarray(matrix, np.float64).reshape(4, 4)
            used = sorted({int(v) for v in _leaves(template.boundaries)})
            if used and (used[0] < 0 or used[-1] >= len(tverts)):
                raise IndexError(f"template vertex {used[-1]} out of range ({len(tverts)} template vertices)")
        except (IndexError, TypeError, ValueError, KeyError, msgspec.ValidationError) as exc:
            issues.append(LoadIssue(str(path), oid, f"GeometryInstance unusable ({exc})", "skipped"))
            obj.geometry[i] = None  # type: ignore[index,call-overload]
            continue
        local = {v: k for k, v in enumerate(used)}
        pts = np.column_stack([tverts[used], np.ones(len(used))]) @ m.T
        extra.append(ref + pts[:, :3])
        template.boundaries = _remap(template.boundaries, local, base)
        base += len(used)
        obj.geometry[i] = template  # type: ignore[index]
    for _oid, obj, _i in instances:  # the unusable ones are gone (named above), not "without surfaces"
        obj.geometry = [g for g in obj.geometry or [] if g is not None]
    return np.concatenate([vertices, *extra]) if extra else vertices


def _leaves(value: Any) -> Iterator[int]:
    if isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    elif isinstance(value, int):
        yield value


def _remap(value: Any, local: dict[int, int], base: int) -> Any:
    if isinstance(value, list):
        return [_remap(v, local, base) for v in value]
    return base + local[value] if isinstance(value, int) else value


def _file_reference(metadata: Any) -> Any:
    return metadata.get("referenceSystem") if isinstance(metadata, dict) else None


def _check_area(f: CityJsonFile, *, declared_in_file: bool) -> None:
    """The vertices must lie where the CRS is used: EPSG:7415 on Guangzhou metres is refused."""
    from controlroom.geo.crs_area import FIX_CITYJSON, FIX_SITE, check_crs_area

    if declared_in_file:
        check_crs_area(f.path, f.bbox_source(), f.crs, "metadata.referenceSystem", FIX_CITYJSON)
    else:
        check_crs_area(f.path, f.bbox_source(), f.crs, "crs", FIX_SITE)


def cityjson_info(path: Path, *, crs: str | None = None) -> dict[str, Any]:
    """What ``controlroom info`` prints for a CityJSON file."""
    f = read_cityjson(path, crs=crs)
    layers, issues = f.to_layers(None)
    return {
        "format": "cityjson",
        "version": f.version,
        "crs": f.crs,
        "objects": f.object_counts(),
        "triangles": sum(layer.n_triangles for layer in layers.values()),
        "bbox_wgs84": list(f.bbox_wgs84()) if len(f.vertices) else None,
        "lods": sorted({lod for lod in f.objects.lods if lod}),
        "layers": {kind: layer.n_triangles for kind, layer in layers.items()},
        "issues": [str(i) for i in issues],
    }


class _Feature(msgspec.Struct, gc=False):
    type: Any = None
    id: Any = None
    CityObjects: dict[str, _CityObject] | None = None
    vertices: list[tuple[float, float, float]] | None = None


_FEATURE = msgspec.json.Decoder(_Feature)


def _shift(boundaries: Any, offset: int) -> Any:
    """Vertex indices of a feature → indices into the merged vertex list."""
    if isinstance(boundaries, list):
        return [_shift(b, offset) for b in boundaries]
    return boundaries + offset if isinstance(boundaries, int) else boundaries


def _decode_sequence(path: Path) -> tuple[_Document, list[LoadIssue]]:
    """A CityJSON Sequence (``.city.jsonl``): a CityJSON header line, then one CityJSONFeature per
    line, each with its own vertices. Read line by line (the text is never held whole); a bad
    line costs only its feature, named by line number."""
    issues: list[LoadIssue] = []
    objects: dict[str, _CityObject] = {}
    vertices: list[tuple[float, float, float]] = []
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    with fh:
        first = fh.readline()
        try:
            header = _DOCUMENT.decode(first)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise InputError(f"{path}: line 1 is not a CityJSON header object ({exc})") from None
        _check_header(header.type, header.version, path)
        for number, line in enumerate(fh, start=2):
            if not line.strip():
                continue
            try:
                feature = _FEATURE.decode(line)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                problem = f"not a CityJSONFeature ({exc})"
                issues.append(LoadIssue(str(path), f"line {number}", problem, "skipped"))
                continue
            if feature.type != "CityJSONFeature":
                problem = f'"type" is {feature.type!r}, not CityJSONFeature'
                issues.append(LoadIssue(str(path), f"line {number}", problem, "skipped"))
                continue
            base = len(vertices)
            vertices += feature.vertices or []
            for oid, obj in (feature.CityObjects or {}).items():
                for g in obj.geometry or []:
                    g.boundaries = _shift(g.boundaries, base)
                objects[oid] = obj
    doc = _Document(
        header.type,
        _check_version(header.version, path),
        objects,
        vertices,
        header.metadata,
        header.transform,
        header.geometry_templates,
    )
    return doc, issues


def _decode(path: Path) -> tuple[_Document, list[LoadIssue]]:
    """Typed decode (fast); if some part does not fit the CityJSON shape, decode generically
    and convert object by object, so a bad object costs only itself."""
    if path.name.lower().endswith(".jsonl"):
        return _decode_sequence(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    try:
        doc = _DOCUMENT.decode(raw)
    except msgspec.ValidationError:
        return _decode_leniently(path, msgspec.json.decode(raw))
    except msgspec.DecodeError as exc:
        message = str(exc)
        found = re.search(r"\(byte (\d+)\)", message)
        at = int(found.group(1)) if found else len(raw)
        line = raw.count(b"\n", 0, at) + 1
        column = at - (raw.rfind(b"\n", 0, at) + 1) + 1
        what = "the JSON ends early (truncated file?)" if "truncated" in message else message
        raise InputError(f"{path}: not valid JSON at line {line}, column {column}: {what}") from None
    _check_header(doc.type, doc.version, path)
    doc.version = _check_version(doc.version, path)
    return doc, []


def _check_header(kind: Any, version: Any, path: Path) -> None:
    if kind != "CityJSON":
        raise InputError(f'{path}: not a CityJSON file: "type" is {kind!r}; expected "CityJSON"')
    _check_version(version, path)


def _decode_leniently(path: Path, tree: Any) -> tuple[_Document, list[LoadIssue]]:
    if not isinstance(tree, dict):
        raise InputError(
            f"{path}: not a CityJSON file: the top level is a JSON {type(tree).__name__}; "
            'expected an object with "type": "CityJSON"'
        )
    _check_header(tree.get("type"), tree.get("version"), path)
    cityobjects = tree.get("CityObjects")
    if not isinstance(cityobjects, dict):
        raise InputError(f'{path}: "CityObjects" must be an object of id → CityObject')
    issues: list[LoadIssue] = []
    objects: dict[str, _CityObject] = {}
    for oid, obj in cityobjects.items():
        try:
            objects[oid] = msgspec.convert(obj, _CityObject)
        except msgspec.ValidationError as exc:
            issues.append(LoadIssue(str(path), oid, f"not a valid CityObject: {exc}", "skipped"))
    vertices = tree.get("vertices")
    if vertices is not None:
        try:
            vertices = msgspec.convert(vertices, list[tuple[float, float, float]])
        except msgspec.ValidationError as exc:
            raise InputError(f'{path}: "vertices" must be a list of [x, y, z] numbers ({exc})') from None
    doc = _Document(
        tree["type"],
        _check_version(tree.get("version"), path),
        objects,
        vertices,
        tree.get("metadata"),
        tree.get("transform"),
        tree.get("geometry-templates"),
    )
    return doc, issues


def _check_version(value: Any, path: Path) -> str:
    text = str(value) if isinstance(value, str | int | float) else ""
    for version in SUPPORTED_VERSIONS:
        if text == version or text.startswith(version + "."):
            return version
    raise InputError(
        f'{path}: unsupported CityJSON "version" {value!r}; expected one of {", ".join(SUPPORTED_VERSIONS)} '
        "(upgrade older files with `cjio <file> upgrade save <out>`)"
    )


def epsg_from_reference(value: str) -> str | None:
    """ "EPSG:<code>" from the URL, URN or plain forms CityJSON files use, else None."""
    match = _EPSG_RE.search(value.strip())
    return f"EPSG:{int(match.group(1))}" if match else None


def _source_crs(metadata: Any, declared: str | None, path: Path) -> str:
    reference = _file_reference(metadata)
    if reference is not None:
        code = epsg_from_reference(reference) if isinstance(reference, str) else None
        if code is None:
            raise InputError(
                f"{path}: metadata.referenceSystem is {reference!r}; expected an EPSG reference such as "
                '"https://www.opengis.net/def/crs/EPSG/0/7415" or "urn:ogc:def:crs:EPSG::7415"'
            )
        return code
    if declared:
        return normalise_crs(declared)
    raise InputError(
        f"{path}: no coordinate reference system: the file has no metadata.referenceSystem "
        f"and none was declared; {_CRS_FIX}"
    )


def _horizontal_crs(crs: str, path: Path) -> str:
    if not crs.startswith("EPSG:"):
        return crs
    try:
        return _horizontal_epsg(crs)
    except ValueError:
        raise InputError(f"{path}: unknown coordinate reference system {crs}; {_CRS_FIX}") from None


@lru_cache(maxsize=32)
def _horizontal_epsg(crs: str) -> str:
    """Looking a CRS up in PROJ's database costs ~10 ms: once per code is enough."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        parsed = CRS.from_user_input(crs)
    except CRSError as exc:
        raise ValueError(crs) from exc
    if parsed.is_compound:
        code = parsed.sub_crs_list[0].to_epsg()
        if code is not None:
            return f"EPSG:{code}"
    return crs


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
