"""Disk cache of built layers, so opening the same site again skips parsing and triangulation.

An entry is keyed by the sha256 of the source file's bytes plus everything that changes the
output (loader parameters, local frame, ``CACHE_VERSION``), so an edited file, a moved origin or
a new loader version can never serve a stale mesh. Arrays go to an uncompressed ``.npz`` (fast to
read back), the object tables and features to a msgpack sidecar written last: an entry without
its sidecar is incomplete. Anything unreadable is treated as a miss, deleted and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

from controlroom.core.city import CityLayer, CityObjects, LoadIssue
from controlroom.core.vector import LineLayer, PointLayer

_log = logging.getLogger(__name__)

# Bump whenever a loader's output changes for the same input (new attributes, new triangulation ...).
CACHE_VERSION = 1

_CITY_ARRAYS = ("points", "triangles", "cell_object", "cell_surface")
_LINE_ARRAYS = ("points", "offsets", "cell_feature")
_OBJECT_COLUMNS = ("ids", "types", "names", "heights", "lods", "parents", "attributes")


@dataclass
class LayerBundle:
    """Everything one source contributes to a city model (what a cache entry holds)."""

    layers: dict[str, CityLayer] = field(default_factory=dict)
    lines: dict[str, LineLayer] = field(default_factory=dict)
    points: dict[str, PointLayer] = field(default_factory=dict)
    issues: list[LoadIssue] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


def cache_dir() -> Path:
    """``$CONTROLROOM_CACHE_DIR``, else the platform's per-user cache folder."""
    from controlroom.core.user_dirs import cache_dir as user_cache

    return user_cache("meshes")


_DIGESTS: dict[tuple[str, int, int], str] = {}


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, remembered per (path, size, mtime) for this process."""
    st = path.stat()
    memo = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if memo in _DIGESTS:
        return _DIGESTS[memo]
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    _DIGESTS[memo] = h.hexdigest()
    return _DIGESTS[memo]


def cache_key(kind: str, path: Path, params: dict[str, Any]) -> str:
    """Key of one built source: loader kind, file content, parameters, cache version."""
    blob = json.dumps(
        {"v": CACHE_VERSION, "kind": kind, "sha256": file_digest(path), "params": params},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _paths(key: str, directory: Path | None) -> tuple[Path, Path]:
    d = directory or cache_dir()
    return d / f"{key}.npz", d / f"{key}.msgpack"


def _objects_to_dict(objects: CityObjects) -> dict[str, Any]:
    return {c: getattr(objects, c) for c in _OBJECT_COLUMNS}


def _objects_from_dict(data: dict[str, Any]) -> CityObjects:
    cols = {c: list(data[c]) for c in _OBJECT_COLUMNS}
    if len({len(v) for v in cols.values()}) != 1:
        raise ValueError("object table columns differ in length")
    return CityObjects(**cols)


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def store_bundle(key: str, bundle: LayerBundle, directory: Path | None = None) -> None:
    """Write one entry; failures (read-only disk, full disk) only cost the next load its speed-up."""
    arrays: dict[str, np.ndarray] = {}
    side: dict[str, Any] = {
        "key": key,
        "version": CACHE_VERSION,
        "meta": bundle.meta,
        "layers": {},
        "lines": {},
        "points": {},
    }
    for i, (name, layer) in enumerate(bundle.layers.items()):
        for a in _CITY_ARRAYS:
            arrays[f"c{i}_{a}"] = getattr(layer, a)
        side["layers"][name] = {"slot": i, "kind": layer.kind, "objects": _objects_to_dict(layer.objects)}
    for i, (name, line) in enumerate(bundle.lines.items()):
        for a in _LINE_ARRAYS:
            arrays[f"l{i}_{a}"] = getattr(line, a)
        side["lines"][name] = {"slot": i, "kind": line.kind, "features": line.features}
    for i, (name, pts) in enumerate(bundle.points.items()):
        arrays[f"p{i}_points"] = pts.points
        side["points"][name] = {"slot": i, "kind": pts.kind, "features": pts.features}
    side["issues"] = [[x.source, x.object_id, x.problem, x.action] for x in bundle.issues]
    npz_path, side_path = _paths(key, directory)
    try:
        buf = io.BytesIO()
        np.savez(buf, allow_pickle=False, **arrays)
        _atomic_write(npz_path, buf.getvalue())
        _atomic_write(side_path, msgspec.msgpack.encode(side))
    except (OSError, TypeError, msgspec.EncodeError) as exc:
        _log.warning("mesh cache: could not store %s (%s); the next load rebuilds it", key[:12], exc)
        for p in (npz_path, side_path):
            p.unlink(missing_ok=True)


def load_bundle(key: str, directory: Path | None = None) -> LayerBundle | None:
    """The cached entry, or None when missing or damaged (a damaged entry is removed)."""
    npz_path, side_path = _paths(key, directory)
    if not (npz_path.is_file() and side_path.is_file()):
        return None
    with contextlib.suppress(OSError):  # the age pruning goes by: last used, not last written
        os.utime(side_path)
    try:
        side = msgspec.msgpack.decode(side_path.read_bytes())
        if side.get("key") != key or side.get("version") != CACHE_VERSION:
            raise ValueError("entry written for another key or cache version")
        with np.load(npz_path, allow_pickle=False) as z:
            arrays = {name: z[name] for name in z.files}
        bundle = LayerBundle(meta=dict(side["meta"]))
        for name, info in side["layers"].items():
            c = [arrays[f"c{info['slot']}_{a}"] for a in _CITY_ARRAYS]
            bundle.layers[name] = CityLayer(
                info["kind"], c[0], c[1], c[2], c[3], _objects_from_dict(info["objects"])
            )
        for name, info in side["lines"].items():
            ln = [arrays[f"l{info['slot']}_{a}"] for a in _LINE_ARRAYS]
            bundle.lines[name] = LineLayer(info["kind"], ln[0], ln[1], ln[2], list(info["features"]))
        for name, info in side["points"].items():
            bundle.points[name] = PointLayer(
                info["kind"], arrays[f"p{info['slot']}_points"], list(info["features"])
            )
        bundle.issues = [LoadIssue(*row) for row in side["issues"]]
        return bundle
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile, msgspec.DecodeError):
        for p in (npz_path, side_path):
            p.unlink(missing_ok=True)
        return None


def cached_json(key: str, directory: Path | None = None) -> Any | None:
    """A small cached JSON value (e.g. a source's bbox), or None."""
    path = (directory or cache_dir()) / f"{key}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def store_json(key: str, value: Any, directory: Path | None = None) -> None:
    with contextlib.suppress(OSError):
        _atomic_write((directory or cache_dir()) / f"{key}.json", json.dumps(value).encode())


MAX_CACHE_BYTES = 4 << 30
MAX_CACHE_AGE_S = 60 * 86400


def _entry_size(path: Path) -> int:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size


def prune_cache(
    root: Path | None = None,
    *,
    max_bytes: int = MAX_CACHE_BYTES,
    max_age_s: float = MAX_CACHE_AGE_S,
    keep: tuple[str, ...] = (),
) -> list[str]:
    """Delete cache entries unused for ``max_age_s``, then the least recently used until the cache
    (meshes and tile folders under ``root``) is at most ``max_bytes``; returns the removed keys.

    An entry is everything sharing one key (``KEY.npz`` + ``KEY.msgpack`` + ``KEY.json``, or a
    tile folder ``tiles/KEY``); entries named in ``keep`` (in use now) are never removed.
    """
    base = root or cache_dir().parent
    entries: dict[Path, list[Path]] = {}
    for f in (base / "meshes").glob("*") if (base / "meshes").is_dir() else []:
        if f.is_file():
            entries.setdefault(f.with_name(f.name.split(".")[0]), []).append(f)
    for d in (base / "tiles").glob("*") if (base / "tiles").is_dir() else []:
        entries.setdefault(d, []).append(d)
    rows = []
    for key, parts in entries.items():
        try:
            used = max(p.stat().st_mtime for p in parts)
            size = sum(_entry_size(p) for p in parts)
        except OSError:
            continue
        rows.append((used, size, key, parts))
    rows.sort(key=lambda r: r[0])
    total = sum(r[1] for r in rows)
    now = time.time()
    removed: list[str] = []
    for used, size, key, parts in rows:
        if key.name.split(".")[0] in keep:
            continue
        if now - used <= max_age_s and total <= max_bytes:
            continue
        for p in parts:
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
        total -= size
        removed.append(key.name)
    return removed
