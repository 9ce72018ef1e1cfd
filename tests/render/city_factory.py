"""Synthetic cities for render and panel tests: a grid of extruded boxes built with numpy.

Each building is a closed box (12 triangles: 4 walls, a roof and a floor) with varying footprint
and height, attributes ``use`` (categorical) and ``floors`` (numeric), so every colour mode,
the picker and the info panel can be exercised without the loaders. 100,000 boxes = 1.2 M
triangles, the size the pick-latency target is stated for.
"""

from __future__ import annotations

import numpy as np

from controlroom.core.city import CityLayer, CityModel, CityObjects, Surface
from controlroom.core.vector import LineLayer, PointLayer

USES = ("residential", "commercial", "office", "industrial", "public")
SPACING = 40.0  # metres between building centres

# box corner order: 0-3 bottom (sw, se, ne, nw), 4-7 top
_BOX_TRIANGLES = np.array(
    [
        [0, 1, 5], [0, 5, 4],  # south wall
        [1, 2, 6], [1, 6, 5],  # east wall
        [2, 3, 7], [2, 7, 6],  # north wall
        [3, 0, 4], [3, 4, 7],  # west wall
        [4, 5, 6], [4, 6, 7],  # roof
        [0, 2, 1], [0, 3, 2],  # floor
    ],
    np.int64,
)  # fmt: skip
_BOX_SURFACES = np.array([Surface.WALL] * 8 + [Surface.ROOF] * 2 + [Surface.GROUND] * 2, np.uint8)


def grid_side(n: int) -> int:
    return int(np.ceil(np.sqrt(n)))


def building_centres(n: int) -> np.ndarray:
    """(n, 2) centres on a square grid starting at the origin, row by row."""
    side = grid_side(n)
    i = np.arange(n)
    return np.column_stack([(i % side) * SPACING, (i // side) * SPACING]).astype(np.float64)


def box_layer(n: int, seed: int = 7, kind: str = "buildings") -> CityLayer:
    """n box buildings as one CityLayer; heights 6-120 m, a few towers, attributes use/floors."""
    rng = np.random.default_rng(seed)
    centres = building_centres(n)
    half = rng.uniform(6.0, 14.0, size=(n, 2))
    heights = np.round(rng.gamma(2.0, 9.0, size=n) + 6.0, 1)
    towers = rng.random(n) < 0.03
    heights[towers] = np.round(rng.uniform(80.0, 160.0, size=int(towers.sum())), 1)

    x0, x1 = centres[:, 0] - half[:, 0], centres[:, 0] + half[:, 0]
    y0, y1 = centres[:, 1] - half[:, 1], centres[:, 1] + half[:, 1]
    zeros = np.zeros(n)
    corners = np.stack(
        [
            np.column_stack([x0, y0, zeros]), np.column_stack([x1, y0, zeros]),
            np.column_stack([x1, y1, zeros]), np.column_stack([x0, y1, zeros]),
            np.column_stack([x0, y0, heights]), np.column_stack([x1, y0, heights]),
            np.column_stack([x1, y1, heights]), np.column_stack([x0, y1, heights]),
        ],
        axis=1,
    )  # fmt: skip
    points = corners.reshape(-1, 3)
    triangles = (_BOX_TRIANGLES[None, :, :] + (np.arange(n) * 8)[:, None, None]).reshape(-1, 3)
    cell_object = np.repeat(np.arange(n, dtype=np.int32), len(_BOX_TRIANGLES))
    cell_surface = np.tile(_BOX_SURFACES, n)

    uses = rng.choice(len(USES), size=n)
    objects = CityObjects()
    for i in range(n):
        objects.append(
            f"BLD-{i:06d}",
            "Building",
            name=f"Building {i}",
            height=float(heights[i]),
            lod="1.2",
            attributes={"use": USES[uses[i]], "floors": max(1, round(heights[i] / 3.2))},
        )
    return CityLayer(kind, points, triangles, cell_object, cell_surface, objects)


def roof_centre(layer: CityLayer, index: int) -> np.ndarray:
    """The centre of building ``index``'s roof (its top face), in local metres."""
    pts = layer.points[index * 8 + 4 : index * 8 + 8]
    return pts.mean(axis=0)


def _polylines(kind: str, lines: list[np.ndarray], features: list[dict[str, object]]) -> LineLayer:
    offsets = np.concatenate([[0], np.cumsum([len(line) for line in lines])]).astype(np.int64)
    return LineLayer(
        kind,
        np.concatenate(lines).astype(np.float64),
        offsets,
        np.arange(len(lines), dtype=np.int32),
        features,
    )


def synthetic_city(n: int = 64, seed: int = 7, extras: bool = True) -> CityModel:
    """A CityModel of n boxes plus (with extras) a river, streets, two boundary levels and POIs."""
    buildings = box_layer(n, seed)
    model = CityModel("EPSG:32650", (500000.0, 3400000.0, 0.0), layers={"buildings": buildings})
    if not extras:
        return model
    side = grid_side(n)
    extent = side * SPACING
    # a river south of the blocks: one quad strip as a water CityLayer
    y0, y1 = -70.0, -35.0
    water_pts = np.array(
        [[-60.0, y0, 0.2], [extent + 60.0, y0, 0.2], [extent + 60.0, y1, 0.2], [-60.0, y1, 0.2]]
    )
    water_objects = CityObjects()
    water_objects.append("WTR-1", "WaterBody", name="Pearl River")
    model.layers["water"] = CityLayer(
        "water",
        water_pts,
        np.array([[0, 1, 2], [0, 2, 3]], np.int64),
        np.zeros(2, np.int32),
        np.full(2, Surface.OTHER, np.uint8),
        water_objects,
    )
    # streets between the block rows and columns
    streets = [
        np.array([[-SPACING / 2, (k - 0.5) * SPACING, 0], [extent, (k - 0.5) * SPACING, 0]])
        for k in range(side + 1)
    ]
    streets += [
        np.array([[(k - 0.5) * SPACING, -SPACING / 2, 0], [(k - 0.5) * SPACING, extent, 0]])
        for k in range(side + 1)
    ]
    model.lines["roads"] = _polylines("roads", streets, [{"name": f"Road {k}"} for k in range(len(streets))])
    lo, hi = -SPACING, extent
    ring = np.array([[lo, lo, 0], [hi, lo, 0], [hi, hi, 0], [lo, hi, 0], [lo, lo, 0]], np.float64)
    mid = (lo + hi) / 2
    model.lines["boundary:district"] = _polylines(
        "boundary:district", [ring], [{"name": "Central District", "code": "440104"}]
    )
    model.lines["boundary:street"] = _polylines(
        "boundary:street",
        [np.array([[mid, lo, 0], [mid, hi, 0]]), np.array([[lo, mid, 0], [hi, mid, 0]])],
        [{"name": "North St"}, {"name": "East St"}],
    )
    model.points["poi"] = PointLayer(
        "poi",
        np.array([[mid, mid, 2.0], [lo + 10, lo + 10, 2.0]]),
        [{"name": "City Hall", "importance": 10}, {"name": "Station", "importance": 5}],
    )
    return model
