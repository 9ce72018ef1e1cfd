"""Single-sided tile content only where every solid faces outward (culling must never make holes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from controlroom.core.city import CityModel
from controlroom.geo.tiles.glb import outward_solids


@pytest.fixture(scope="module")
def huacheng(shared_data: Path) -> CityModel:
    from controlroom.geo.city_loader import load_city_file

    return load_city_file(shared_data / "guangzhou" / "huacheng-osm-buildings.geojson", use_cache=False)


def _vertex_feature(points: np.ndarray, tris: np.ndarray, cell_object: np.ndarray) -> np.ndarray:
    vf = np.zeros(len(points), np.int64)
    vf[tris.ravel()] = np.repeat(cell_object, 3)
    return vf


def test_real_extruded_footprints_are_outward_and_one_flipped_building_is_caught(huacheng: CityModel) -> None:
    layer = huacheng.layers["buildings"]
    vf = _vertex_feature(layer.points, layer.triangles, layer.cell_object)
    assert outward_solids(layer.points, layer.triangles, vf)
    flipped = layer.triangles.copy()
    one = layer.cell_object == layer.cell_object[len(flipped) // 2]
    flipped[one] = flipped[one][:, [0, 2, 1]]
    assert not outward_solids(layer.points, flipped, vf)  # inward: negative volume
    half = one & (np.cumsum(one) % 2 == 0)
    mixed = layer.triangles.copy()
    mixed[half] = mixed[half][:, [0, 2, 1]]
    assert not outward_solids(layer.points, mixed, vf)  # neighbours wound against each other


def test_flat_things_stay_double_sided() -> None:
    square = np.array([[0, 0, 0], [10, 0, 0], [10, 10, 0], [0, 10, 0]], np.float64)
    assert not outward_solids(square, np.array([[0, 1, 2], [0, 2, 3]]), np.zeros(4, np.int64))
