"""Synthetic ground and streets for the flood tests (geo, render, app)."""

from __future__ import annotations

import numpy as np

from controlroom.core.vector import LineLayer
from controlroom.geo.terrain import Terrain

CELL = 5.0


def valley() -> tuple[Terrain, np.ndarray]:
    """200 × 200 cells of 5 m: a river along the bottom rows (bed −2 m), ground rising north at
    1 m per 100 m, and a closed pocket (floor 1 m) behind a ridge at 6 m, north-east."""
    ny = nx = 200
    y = np.arange(ny)[:, None] * CELL
    x = np.arange(nx)[None, :] * CELL
    z = np.broadcast_to(3.0 + y / 100.0, (ny, nx)).copy()
    river = np.zeros((ny, nx), bool)
    river[:10] = True
    z[river] = -2.0
    r = np.hypot(x - 700.0, y - 700.0)
    pocket = r < 60
    z[(r >= 60) & (r < 80)] = 14.0  # the ridge round the pocket
    z[pocket] = 1.0
    return Terrain(z.astype(np.float32), 0.0, 0.0, CELL, "synthetic"), river


def grid_roads() -> LineLayer:
    """A street grid: east-west streets at y = 100, 300, 500; north-south at x = 100 ... 900."""
    lines = [np.array([[0.0, y, 0], [1000.0, y, 0]]) for y in (100.0, 300.0, 500.0)]
    lines += [np.array([[x, 50.0, 0], [x, 600.0, 0]]) for x in (100.0, 500.0, 900.0)]
    offsets = np.cumsum([0] + [len(ln) for ln in lines])
    return LineLayer(
        "roads",
        np.concatenate(lines),
        offsets.astype(np.int64),
        np.arange(len(lines), dtype=np.int32),
        [{"name": f"Road {i}"} for i in range(len(lines))],
    )
