"""Instanced solids built with numpy: square columns and pins, many per mesh, one cell array.

Incident pins and sensor columns are a few hundred items, each a handful of triangles; building
them as one PolyData from a template keeps one actor per overlay and makes a size or colour
change a single array write.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

# a unit square column: 4 bottom corners (z=0), 4 top corners (z=1); sides and top
_COL_XY = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float64)
_COL_TRIS = np.array(
    [
        [0, 1, 5], [0, 5, 4], [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7],  # sides
        [4, 5, 6], [4, 6, 7],  # top
    ],
    np.int64,
)  # fmt: skip
# an octahedron (pin head) of unit radius
_OCTA = np.array([[1, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], np.float64)
_OCTA_TRIS = np.array(
    [[0, 1, 4], [1, 2, 4], [2, 3, 4], [3, 0, 4], [1, 0, 5], [2, 1, 5], [3, 2, 5], [0, 3, 5]], np.int64
)


def faces_for(n: int, tris: I64, verts_per_item: int) -> I64:
    """The VTK face array for n copies of a triangle template."""
    base = np.arange(n, dtype=np.int64)[:, None, None] * verts_per_item
    cells = (base + tris[None]).reshape(-1, 3)
    return np.column_stack([np.full(len(cells), 3, np.int64), cells]).ravel()


def columns(x: F64, y: F64, half_width: F64 | float, height: F64) -> F64:
    """(n*8, 3) vertices of square columns standing on the ground at (x, y)."""
    n = len(x)
    hw = np.broadcast_to(np.asarray(half_width, np.float64), (n,))
    px = x[:, None] + _COL_XY[None, :, 0] * hw[:, None]
    py = y[:, None] + _COL_XY[None, :, 1] * hw[:, None]
    bottom = np.stack([px, py, np.zeros((n, 4))], axis=-1)
    top = np.stack([px, py, np.repeat(height[:, None], 4, axis=1)], axis=-1)
    return np.concatenate([bottom, top], axis=1).reshape(-1, 3)


COLUMN_TRIS = _COL_TRIS
COLUMN_VERTS = 8


def pins(x: F64, y: F64, height: F64, stem_half_width: F64, head_radius: F64) -> F64:
    """(n*14, 3) vertices of pins: a thin column up to ``height`` and an octahedron on top."""
    n = len(x)
    stem = columns(x, y, stem_half_width, height).reshape(n, 8, 3)
    head = _OCTA[None] * head_radius[:, None, None]
    head = head + np.stack([x, y, height + head_radius], axis=-1)[:, None, :]
    return np.concatenate([stem, head], axis=1).reshape(-1, 3)


PIN_TRIS = np.concatenate([_COL_TRIS[:8], _OCTA_TRIS + 8])
PIN_VERTS = 14
