"""3D Tiles 1.1 implicit tiling (QUADTREE / OCTREE with ``.subtree`` availability) → explicit tiles.

A subtree file holds bitstreams (one bit per tile, Morton order, level by level) saying which
tiles exist, which have content, and which child subtrees exist. Expanding them once gives the
same flat tile list an explicit tileset has, so selection and loading need no special case.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt


class SubtreeError(ValueError):
    """A subtree file that cannot be read (named in the message)."""


class _Bits:
    def __init__(self, spec: dict[str, Any] | None, views: list[bytes]) -> None:
        spec = spec or {"constant": 0}
        self.constant = int(spec["constant"]) if "constant" in spec else None
        self.data = views[int(spec["bitstream"])] if "bitstream" in spec else b""

    def __getitem__(self, i: int) -> bool:
        if self.constant is not None:
            return bool(self.constant)
        byte = i >> 3
        return byte < len(self.data) and bool((self.data[byte] >> (i & 7)) & 1)


def read_subtree(path: Path) -> tuple[_Bits, list[_Bits], _Bits]:
    """(tile availability, content availability per content, child subtree availability)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SubtreeError(f"{path}: {exc.strerror or exc}") from None
    if len(data) < 24 or data[:4] != b"subt":
        raise SubtreeError(f"{path}: not a subtree file (no 'subt' header)")
    _, _, json_len, bin_len = struct.unpack_from("<4sIQQ", data)
    if 24 + json_len + bin_len > len(data):
        raise SubtreeError(f"{path}: truncated ({len(data)} bytes, header says {24 + json_len + bin_len})")
    try:
        doc = json.loads(data[24 : 24 + json_len].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SubtreeError(f"{path}: subtree JSON unreadable ({exc})") from None
    body = data[24 + json_len : 24 + json_len + bin_len]
    buffers: list[bytes] = []
    for i, b in enumerate(doc.get("buffers", [])):
        if "uri" in b:
            try:
                buffers.append((path.parent / b["uri"]).read_bytes())
            except OSError as exc:
                raise SubtreeError(f"{path}: buffer {i} ({b['uri']}): {exc.strerror or exc}") from None
        else:
            buffers.append(body)
    views = []
    for v in doc.get("bufferViews", []):
        off = int(v.get("byteOffset", 0))
        views.append(buffers[int(v["buffer"])][off : off + int(v["byteLength"])])
    content = [_Bits(c, views) for c in doc.get("contentAvailability", [])]
    return (
        _Bits(doc.get("tileAvailability"), views),
        content,
        _Bits(doc.get("childSubtreeAvailability"), views),
    )


def _sub_box(box: npt.NDArray[np.float64], coords: tuple[int, ...], level: int) -> npt.NDArray[np.float64]:
    """The box of tile ``coords`` at ``level`` inside the root ``box`` (centre + 3 half-axes)."""
    c, ax = box[:3], box[3:].reshape(3, 3)
    n = 1 << level
    centre = c.copy()
    out_ax = ax.copy()
    for axis, k in enumerate(coords):
        frac = (k + 0.5) / n * 2 - 1  # −1 … 1 across the root
        centre = centre + ax[axis] * frac
        out_ax[axis] = ax[axis] / n
    return np.concatenate([centre, out_ax.ravel()])


def expand(
    tj: dict[str, Any],
    base: Path,
    add_tile: Callable[[int | None, int, dict[str, Any]], int | None],
    parent: int | None,
    level0: int,
    issues: list[str],
) -> int | None:
    """Add the implicit tree under ``tj`` through ``add_tile(parent, level, tile_json)``; returns the root."""
    spec = tj["implicitTiling"]
    scheme = str(spec.get("subdivisionScheme", "QUADTREE")).upper()
    dims = 2 if scheme == "QUADTREE" else 3
    sub_levels = int(spec["subtreeLevels"])
    available = int(spec["availableLevels"])
    sub_uri = str(spec["subtrees"]["uri"])
    volume = tj.get("boundingVolume", {})
    if "box" not in volume:
        issues.append(f"{base}: implicit tiling with a {sorted(volume)} volume is not drawn (box only)")
        return None
    box = np.asarray(volume["box"], np.float64)
    contents = list(tj.get("contents") or []) + (
        [tj["content"]] if isinstance(tj.get("content"), dict) else []
    )
    templates = [str(c.get("uri", "")) for c in contents]
    err0 = float(tj.get("geometricError", 0.0))
    refine = str(tj.get("refine", "REPLACE"))

    def fill(template: str, level: int, coords: tuple[int, ...]) -> str:
        names = ("x", "y", "z")
        out = template.replace("{level}", str(level))
        for axis, k in enumerate(coords):
            out = out.replace("{" + names[axis] + "}", str(k))
        return out

    def subtree(level: int, coords: tuple[int, ...], parent_index: int | None) -> int | None:
        path = base / fill(sub_uri, level, coords)
        try:
            tiles, content, children = read_subtree(path)
        except SubtreeError as exc:
            issues.append(f"{exc}; that part of the tileset is skipped")
            return None
        made: dict[tuple[int, tuple[int, ...]], int] = {}
        root_index: int | None = None
        for rel in range(min(sub_levels, available - level)):
            offset = ((1 << (dims * rel)) - 1) // ((1 << dims) - 1)
            for m in range(1 << (dims * rel)):
                if not tiles[offset + m]:
                    continue
                local = tuple(_demorton(m, rel, dims))
                glob = tuple((c << rel) + k for c, k in zip(coords, local, strict=True))
                lvl = level + rel
                parent_idx = parent_index if rel == 0 else made.get((rel - 1, tuple(k >> 1 for k in local)))
                if rel > 0 and parent_idx is None:
                    continue
                tile_json: dict[str, Any] = {
                    "boundingVolume": {"box": list(_sub_box(box, glob, lvl))},
                    "geometricError": err0 / (1 << lvl),
                    "refine": refine,
                    "contents": [
                        {"uri": fill(t, lvl, glob)}
                        for t, bits in zip(templates, content, strict=False)
                        if bits[offset + m]
                    ],
                }
                idx = add_tile(parent_idx, level0 + lvl, tile_json)
                if idx is None:
                    continue
                made[(rel, local)] = idx
                if rel == 0:
                    root_index = idx
        # Child subtrees hang under the last level of this one.
        last = sub_levels - 1
        if level + sub_levels < available:
            for m in range(1 << (dims * sub_levels)):
                if children[m]:
                    local = tuple(_demorton(m, sub_levels, dims))
                    parent_local = tuple(k >> 1 for k in local)
                    holder = made.get((last, parent_local))
                    if holder is not None:
                        glob = tuple((c << sub_levels) + k for c, k in zip(coords, local, strict=True))
                        subtree(level + sub_levels, glob, holder)
        return root_index

    return subtree(0, (0,) * dims, parent)


def _demorton(m: int, level: int, dims: int) -> list[int]:
    out = [0] * dims
    for bit in range(level):
        for axis in range(dims):
            out[axis] |= ((m >> (bit * dims + axis)) & 1) << bit
    return out
