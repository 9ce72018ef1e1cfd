"""Decoding CityJSON and CityJSON Sequence text with msgspec; a bad object costs only itself."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec

from controlroom.core.city import LoadIssue
from controlroom.core.issues import InputError

SUPPORTED_VERSIONS = ("1.0", "1.1", "2.0")


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
