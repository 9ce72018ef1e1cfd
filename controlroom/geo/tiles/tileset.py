"""Read a 3D Tiles tileset.json into a flat list of tiles (ours, or one from a CIM platform).

A tile keeps what selection needs (bounding box in the tileset's root frame, geometric error,
refinement, content URIs, children) and the 4×4 transform to that frame. External tilesets
(content that is another tileset.json) are followed; a tile with a bounding volume that cannot be
read gets a named issue and is skipped with its subtree, the rest of the tree still loads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from controlroom.core.issues import InputError

Matrix = npt.NDArray[np.float64]


@dataclass
class Tile:
    index: int
    parent: int | None
    level: int
    geometric_error: float
    refine: str  # "ADD" | "REPLACE"
    transform: Matrix  # tile frame → tileset frame (ECEF for field data), 4×4
    box_min: npt.NDArray[np.float64]  # (3,) axis-aligned bounds in the tileset frame
    box_max: npt.NDArray[np.float64]
    contents: list[Path] = field(default_factory=list)
    children: list[int] = field(default_factory=list)
    triangles: int | None = None  # from the tile's extras when the writer said (ours does)


@dataclass
class Tileset:
    path: Path
    version: str
    geometric_error: float
    tiles: list[Tile]
    extras: dict[str, Any]
    issues: list[str] = field(default_factory=list)

    @property
    def root(self) -> Tile:
        return self.tiles[0]

    @property
    def levels(self) -> int:
        return max((t.level for t in self.tiles), default=-1) + 1


def _matrix(values: Any, where: str) -> Matrix:
    if values is None:
        return np.eye(4)
    arr = np.asarray(values, np.float64)
    if arr.shape != (16,):
        raise ValueError(f"{where}.transform: expected 16 numbers, found {arr.shape}")
    return arr.reshape(4, 4).T


def _corners(volume: dict[str, Any], where: str) -> npt.NDArray[np.float64]:
    """Eight corners (or enough points) of a bounding volume, in the tile's frame."""
    if not isinstance(volume, dict):
        raise ValueError(f"{where}.boundingVolume: expected an object with box, region or sphere")
    if "box" in volume:
        b = np.asarray(volume["box"], np.float64)
        if b.shape != (12,) or not np.isfinite(b).all():
            raise ValueError(
                f"{where}.boundingVolume.box: expected 12 finite numbers, found {volume['box']!r}"
            )
        c, ax = b[:3], b[3:].reshape(3, 3)
        signs = np.array([[i, j, k] for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)], np.float64)
        return c + signs @ ax
    if "region" in volume:
        r = np.asarray(volume["region"], np.float64)
        if r.shape != (6,) or not np.isfinite(r).all() or r[0] > r[2] or r[1] > r[3] or r[4] > r[5]:
            raise ValueError(
                f"{where}.boundingVolume.region: expected [west, south, east, north, minH, maxH] "
                f"(radians, west ≤ east, south ≤ north), found {volume['region']!r}"
            )
        from pyproj import Transformer

        to_ecef = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)
        lon = np.degrees(np.array([r[0], r[2], (r[0] + r[2]) / 2]))
        lat = np.degrees(np.array([r[1], r[3], (r[1] + r[3]) / 2]))
        g = np.array([(a, b, h) for a in lon for b in lat for h in (r[4], r[5])])
        x, y, z = to_ecef.transform(g[:, 0], g[:, 1], g[:, 2])
        return np.column_stack([x, y, z])
    if "sphere" in volume:
        s = np.asarray(volume["sphere"], np.float64)
        if s.shape != (4,) or not np.isfinite(s).all() or s[3] < 0:
            raise ValueError(
                f"{where}.boundingVolume.sphere: expected [x, y, z, radius ≥ 0], found {volume['sphere']!r}"
            )
        return np.array([s[:3] - s[3], s[:3] + s[3]])
    raise ValueError(f"{where}.boundingVolume: none of box, region, sphere (found {sorted(volume)})")


def read_tileset(path: str | Path) -> Tileset:
    """The tile tree of ``path``; raises ``InputError`` only when the file itself is unusable."""
    p = Path(path)
    if p.is_dir():
        p = p / "tileset.json"
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{p}: no such file; expected a 3D Tiles tileset.json") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{p}: not valid JSON ({exc}); expected a 3D Tiles tileset.json") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("root"), dict):
        raise InputError(f"{p}: no 'root' tile; expected a 3D Tiles tileset.json")
    version = str((doc.get("asset") or {}).get("version", "?"))
    ts = Tileset(p, version, float(doc.get("geometricError", 0.0)), [], dict(doc.get("extras") or {}))
    _add(ts, doc["root"], p.parent, None, 0, np.eye(4), "root", "REPLACE", depth_files=0)
    if not ts.tiles:
        raise InputError(f"{p}: the root tile is unusable ({'; '.join(ts.issues)})")
    return ts


def _add_implicit(
    ts: Tileset,
    tj: dict[str, Any],
    base: Path,
    parent: int | None,
    level: int,
    parent_m: Matrix,
    where: str,
    inherited_refine: str,
) -> int | None:
    from controlroom.geo.tiles.implicit import expand

    try:
        m = parent_m @ _matrix(tj.get("transform"), where)
        spec = tj["implicitTiling"]
        int(spec["subtreeLevels"]), int(spec["availableLevels"]), str(spec["subtrees"]["uri"])
    except (ValueError, TypeError, KeyError) as exc:
        ts.issues.append(f"{ts.path}: {where}.implicitTiling unusable ({exc}); tile skipped")
        return None
    tj = {**tj, "refine": tj.get("refine", inherited_refine)}

    def add_tile(parent_index: int | None, tile_level: int, tile_json: dict[str, Any]) -> int | None:
        idx = _add(ts, tile_json, base, parent_index, tile_level, m, where, tj["refine"], depth_files=8)
        if idx is not None and parent_index is not None and parent_index != parent:
            ts.tiles[parent_index].children.append(idx)
        return idx

    return expand(tj, base, add_tile, parent, level, ts.issues)


def _add(
    ts: Tileset,
    tj: dict[str, Any],
    base: Path,
    parent: int | None,
    level: int,
    parent_m: Matrix,
    where: str,
    inherited_refine: str,
    depth_files: int,
) -> int | None:
    if isinstance(tj.get("implicitTiling"), dict):
        return _add_implicit(ts, tj, base, parent, level, parent_m, where, inherited_refine)
    try:
        m = parent_m @ _matrix(tj.get("transform"), where)
        volume: Any = tj.get("boundingVolume")
        corners = _corners(volume, where)
        # A region is in geographic coordinates: no tile transform applies to it.
        world = (
            corners
            if "region" in volume
            else (np.column_stack([corners, np.ones(len(corners))]) @ m.T)[:, :3]
        )
        err = float(tj.get("geometricError", 0.0))
    except (ValueError, TypeError) as exc:
        ts.issues.append(f"{ts.path}: {exc}; tile skipped with its children")
        return None
    refine = str(tj.get("refine", inherited_refine)).upper()
    tile = Tile(len(ts.tiles), parent, level, err, refine, m, world.min(0), world.max(0))
    extras = tj.get("extras")
    if isinstance(extras, dict) and isinstance(extras.get("triangles"), int):
        tile.triangles = extras["triangles"]
    ts.tiles.append(tile)
    items = list(tj.get("contents") or []) + ([tj["content"]] if isinstance(tj.get("content"), dict) else [])
    for item in items:
        uri = item.get("uri") or item.get("url")
        if not uri:
            continue
        target = base / uri
        if uri.endswith(".json") and depth_files < 8:
            try:
                ext = json.loads(target.read_text(encoding="utf-8"))
                child = _add(
                    ts,
                    ext["root"],
                    target.parent,
                    tile.index,
                    level + 1,
                    m,
                    f"{uri}:root",
                    refine,
                    depth_files + 1,
                )
                if child is not None:
                    tile.children.append(child)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                ts.issues.append(f"{target}: external tileset unreadable ({exc}); skipped")
        else:
            tile.contents.append(target)
    for i, child_json in enumerate(tj.get("children") or []):
        child = _add(
            ts, child_json, base, tile.index, level + 1, m, f"{where}.children[{i}]", refine, depth_files
        )
        if child is not None:
            tile.children.append(child)
    return tile.index
