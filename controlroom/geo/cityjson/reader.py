"""Reading a CityJSON file: decode, CRS, vertices, geometry instances, objects; and ``info``."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from controlroom.core.city import CityObjects, LoadIssue
from controlroom.core.issues import InputError
from controlroom.geo.cityjson.decode import _decode, _Document, _Geometry
from controlroom.geo.cityjson.file import CityJsonFile, FloatArray
from controlroom.geo.cityjson.objects import _collect_objects, _lod_text, _vertices
from controlroom.geo.cityjson.reference import _file_reference, _source_crs


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


def read_cityjson(path: Path, *, crs: str | None = None, lod: str | None = None) -> CityJsonFile:
    """Parse and check a CityJSON file; ``crs`` is used only when the file declares none,
    ``lod`` picks that LoD per object (objects without it fall back to their highest)."""
    with _gc_paused():
        # the decoded document dies with _parse's frame, before the collector runs again
        return _parse(Path(path), crs, lod)


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
