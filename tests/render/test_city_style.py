"""City style: height shading with lit roofs, roof outlines, back-face culling only when safe."""

from __future__ import annotations

import numpy as np

from controlroom.core.city import Surface
from controlroom.render.city_style import (
    HEIGHT_BANDS,
    N_SURFACES,
    height_bands,
    outward_wound,
    roof_outline,
    shaded_table,
)

from .city_factory import box_layer


def test_taller_buildings_get_brighter_bands_and_roofs_are_lit() -> None:
    bands = height_bands([6.0, 20.0, 60.0, 450.0, None])
    assert list(bands[:4]) == sorted(bands[:4]) and bands[0] == 0 and bands[3] == HEIGHT_BANDS - 1
    assert bands[4] == 0, "unknown height: the darkest band"
    table = shaded_table(np.array([[40.0, 80.0, 120.0]]))
    roof, wall = table[int(Surface.ROOF)], table[int(Surface.WALL)]
    assert len(table) == N_SURFACES and roof[:3].sum() > wall[:3].sum() + 60


def test_roof_outline_is_the_roof_rim_only() -> None:
    layer = box_layer(3)
    outline = roof_outline(layer)
    assert outline.n_cells == 3 * 4, "four rim edges per box roof, not its diagonal"
    assert roof_outline(layer, max_edges=5).n_cells == 0, "none past the edge budget"


def test_back_faces_are_culled_only_for_consistently_outward_meshes() -> None:
    layer = box_layer(4)
    assert outward_wound(layer)
    wall = int(np.flatnonzero(np.asarray(layer.cell_surface) == int(Surface.WALL))[0])
    layer.triangles[wall] = layer.triangles[wall][::-1]  # one wall wound the other way
    assert not outward_wound(layer), "a mixed-winding mesh stays two-sided: no wall may vanish"
