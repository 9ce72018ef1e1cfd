"""A city standing on its terrain: real Huacheng buildings, roads and metro stations lifted onto a
DEM's drawn ground; a CityJSON model (absolute heights) left as it is; a broken DEM leaves the
city on flat ground with the reason among the load issues."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from controlroom.core.site import load_site
from controlroom.geo.city_loader import load_city
from controlroom.geo.crs import LocalFrame
from controlroom.geo.drape import DISPLAY_TRIANGLES, Ground
from controlroom.geo.terrain import Terrain, write_dem
from controlroom.geo.vector_layers import DRAPE_Z
from tests.geo.site_files import huacheng_site


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTROLROOM_CACHE_DIR", str(tmp_path / "cache"))


def _with_terrain(tmp_path: Path, shared: Path) -> tuple[Path, Terrain]:
    """The Huacheng site plus a DEM in its frame: ground rising 2 m per 100 m eastwards, with a hill."""
    flat = huacheng_site(tmp_path, shared)
    frame = LocalFrame.of_model(load_city(flat, include_vectors=False))
    xs = np.arange(-1500.0, 1500.0, 5.0)
    gx, gy = np.meshgrid(xs, xs)
    z = (10.0 + 0.02 * gx + 6.0 * np.exp(-(gx**2 + gy**2) / 200.0**2)).astype(np.float32)
    terrain = Terrain(z, float(xs[0]), float(xs[0]), 5.0)
    write_dem(tmp_path / "dem.tif", terrain, frame)
    path = tmp_path / "site.toml"
    path.write_text(path.read_text(encoding="utf-8") + '\n[terrain]\npath = "dem.tif"\n', encoding="utf-8")
    return path, terrain


def test_real_buildings_roads_and_stations_stand_on_the_drawn_ground(
    tmp_path: Path, shared_data: Path
) -> None:
    flat = load_city(huacheng_site(tmp_path, shared_data))
    path, terrain = _with_terrain(tmp_path, shared_data)
    model = load_city(load_site(path))
    ground = model.ground
    assert isinstance(ground, Ground) and flat.ground is None

    # the ground is drawn: one terrain mesh within the budget, its nodes at the DEM's heights
    t = model.layers["terrain"]
    assert 0 < t.n_triangles <= DISPLAY_TRIANGLES and "terrain" not in flat.layers
    assert np.allclose(t.points[:, 2], terrain.sample(t.points[:, 0], t.points[:, 1]), atol=1e-3)

    # each building keeps its shape and stands with its lowest corner on the ground under it
    b, fb = model.layers["buildings"], flat.layers["buildings"]
    np.testing.assert_array_equal(b.points[:, :2], fb.points[:, :2])
    lift = b.points[:, 2] - fb.points[:, 2]
    under = ground.height(b.points[:, 0], b.points[:, 1])
    for k in range(len(b.objects)):
        corners = np.unique(b.triangles[b.cell_object == k])
        assert np.ptp(lift[corners]) < 1e-6  # one building moves as one piece
        assert lift[corners][0] == pytest.approx(under[corners].min(), abs=1e-6)
    assert lift.max() - lift.min() > 5.0  # a slope across the town: not all at one height

    # roads and metro stations follow the ground vertex by vertex, at their own small offsets
    r = model.lines["roads"]
    assert np.allclose(r.points[:, 2], ground.height(r.points[:, 0], r.points[:, 1]) + DRAPE_Z["roads"])
    p, fp = model.points["poi"], flat.points["poi"]
    assert np.allclose(p.points[:, 2] - fp.points[:, 2], ground.height(p.points[:, 0], p.points[:, 1]))


def test_a_cityjson_model_keeps_its_own_heights_and_tin(shared_data: Path, tmp_path: Path) -> None:
    den_haag = shared_data / "cityjson" / "DenHaag_01.city.json"
    text = f"""
schema = 1
[site]
name = "den-haag"
title = "Den Haag"
crs = "EPSG:7415"

[[city_model]]
path = "{den_haag}"
"""
    (tmp_path / "flat.toml").write_text(text, encoding="utf-8")
    (tmp_path / "site.toml").write_text(text + f'\n[terrain]\npath = "{den_haag}"\n', encoding="utf-8")
    flat = load_city(load_site(tmp_path / "flat.toml"))
    model = load_city(load_site(tmp_path / "site.toml"))
    assert model.ground is not None
    np.testing.assert_array_equal(model.layers["buildings"].points, flat.layers["buildings"].points)
    assert model.layers["terrain"].n_triangles == flat.layers["terrain"].n_triangles > 0  # its own TIN


def test_an_unreadable_dem_leaves_the_city_flat_and_says_why(tmp_path: Path, shared_data: Path) -> None:
    path, _ = _with_terrain(tmp_path, shared_data)
    (tmp_path / "dem.tif").write_bytes(b"not a raster")
    model = load_city(load_site(path))
    assert model.ground is None and "terrain" not in model.layers
    assert any("dem.tif" in str(i) and "cannot read as a raster DEM" in str(i) for i in model.issues)
    assert model.layers["buildings"].points[:, 2].min() == pytest.approx(0.0)
