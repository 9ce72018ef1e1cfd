"""Terrain as a site source: DEMs with their CRS (rasterio), CityJSON TINRelief, named errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from controlroom.core.issues import InputError, SiteError
from controlroom.core.site import TerrainSource, parse_site
from controlroom.geo.crs import LocalFrame
from controlroom.geo.terrain import load_terrain, rasterise_triangles, read_dem


def _write(path: Path, z: np.ndarray, crs: str | None, driver: str = "GTiff") -> Path:
    with rasterio.open(
        path,
        "w",
        driver=driver,
        height=z.shape[0],
        width=z.shape[1],
        count=1,
        dtype="float32",
        crs=crs,
        transform=from_origin(500_000.0, 2_556_000.0, 5.0, 5.0),
    ) as dst:
        dst.write(z.astype(np.float32), 1)
    return path


def test_a_tin_is_rasterised_exactly_inside_and_nan_outside() -> None:
    # a plane z = 1 + 0.02 x + 0.03 y over a triangle pair, plus a lone triangle off to the side
    pts = np.array(
        [[0, 0, 0], [100, 0, 0], [100, 60, 0], [0, 60, 0], [200, 0, 0], [210, 0, 0], [200, 10, 0]], float
    )
    pts[:, 2] = 1 + 0.02 * pts[:, 0] + 0.03 * pts[:, 1]
    tris = np.array([[0, 1, 2], [0, 2, 3], [4, 5, 6]])
    t = rasterise_triangles(pts, tris, 2.0)
    xs, ys = np.meshgrid(*t.cell_centres())
    plane = 1 + 0.02 * xs + 0.03 * ys
    covered = ~np.isnan(t.z)
    assert np.allclose(t.z[covered], plane[covered], atol=1e-4)
    assert covered[(xs <= 100) & (ys <= 60)].all()
    assert not covered[(xs > 110) & (xs < 190)].any()  # the gap between the two pieces
    assert t.sample([50.0, 150.0], [30.0, 30.0])[0] == pytest.approx(1 + 1 + 0.9, abs=1e-4)
    assert np.isnan(t.sample([150.0], [30.0])[0])


def test_the_real_dem_is_read_with_its_crs_and_warped_to_the_site_frame(shared_data: Path) -> None:
    path = shared_data / "terrain" / "pysheds-dem.tif"
    frame = LocalFrame.at_wgs84("EPSG:32614", -97.33, 32.67)  # Fort Worth, UTM 14N
    t = read_dem(path, frame)
    assert 85 < t.cell < 95  # 3″ ≈ 78 m east-west × 92 m north-south at this latitude → the larger
    with rasterio.open(path) as src:
        raw = src.read(1)
        # the DEM's own value at a pixel centre, and ours at the same place after warping
        row, col = 180, 200
        lon, lat = src.xy(row, col)
    x, y = frame.from_wgs84([lon], [lat])
    assert abs(t.sample(x, y)[0] - raw[row, col]) < 6.0  # bilinear over ~90 m cells of a valley
    assert np.nanmin(t.z) > 140 and np.nanmax(t.z) < 300
    assert np.isnan(t.sample([1e6], [0.0])[0])


def test_a_dem_without_crs_is_refused_by_name_unless_the_site_gives_one(tmp_path: Path) -> None:
    z = np.add.outer(np.arange(20.0), np.arange(30.0))
    tif = _write(tmp_path / "nocrs.tif", z, None)
    frame = LocalFrame.at_wgs84("EPSG:32649", 113.32, 23.11)
    with pytest.raises(InputError) as err:
        read_dem(tif, frame)
    assert str(err.value) == (
        f"{tif}: the DEM declares no CRS (found: no georeferencing in the file); expected a GeoTIFF/ASCII "
        'grid with its CRS (or a .prj beside it), or `crs = "EPSG:…"` under [terrain] in the site file'
    )
    t = read_dem(tif, frame, crs="EPSG:32649")
    assert t.cell == 5.0 and t.shape == (20, 30)
    assert t.z[-1, 0] == 0.0 and t.z[0, 0] == 19.0  # north-up file, row 0 of ours is the south


def test_an_ascii_grid_reads_through_the_same_path(tmp_path: Path) -> None:
    z = np.full((8, 9), 4.5)
    asc = _write(tmp_path / "ground.asc", z, None, driver="AAIGrid")
    frame = LocalFrame.at_wgs84("EPSG:32649", 113.32, 23.11)
    with pytest.raises(InputError, match="declares no CRS"):
        load_terrain(TerrainSource(path=asc), frame)
    t = load_terrain(TerrainSource(path=asc, crs="EPSG:32649"), frame)
    assert t.shape == (8, 9) and np.all(t.z == 4.5)


def test_denhaag_tinrelief_is_a_terrain_source(shared_data: Path) -> None:
    path = shared_data / "cityjson" / "DenHaag_01.city.json"
    frame = LocalFrame("EPSG:28992", 78_600.0, 457_900.0)
    t = load_terrain(TerrainSource(path=path, cell_m=2.0), frame)
    assert t.cell == 2.0
    assert np.nanmin(t.z) > 2.4 and np.nanmax(t.z) < 16.0
    # every cell inside the relief gets a height: the covered area is the TIN's own area
    from controlroom.geo.cityjson import read_cityjson

    tin = read_cityjson(path).to_layers(frame)[0]["terrain"]
    a, b, c = (tin.points[tin.triangles[:, k], :2] for k in range(3))
    area = 0.5 * np.abs((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1]))
    assert np.sum(~np.isnan(t.z)) * 4.0 == pytest.approx(area.sum(), rel=0.01)


def test_terrain_in_the_site_file(tmp_path: Path) -> None:
    base = (
        'schema = 1\n[site]\nname = "t"\ntitle = "T"\ncrs = "EPSG:32649"\n'
        '[[city_model]]\npath = "b.geojson"\ncrs = "EPSG:4326"\n'
    )
    site = parse_site(base + '[terrain]\npath = "dem.asc"\ncrs = "EPSG:32649"\n', tmp_path / "site.toml")
    assert site.terrain is not None and site.terrain.resolved_format == "ascii"
    assert site.terrain.path == (tmp_path / "dem.asc").resolve()
    assert site.flood.road_cut_depth_m == 0.3
    with pytest.raises(SiteError) as err:
        parse_site(base + "[flood]\nwet_depth_m = 0.6\nflooded_depth_m = 0.5\n", tmp_path / "site.toml")
    assert err.value.issues[0].key == "flood"
    assert "must be greater than flood.wet_depth_m" in err.value.issues[0].expected
