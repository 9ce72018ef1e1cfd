"""The what-if on real data: Den Haag's TINRelief and its 844 LoD2 buildings (heights in NAP).

The engine's count of flooded and wet buildings is checked against an independent computation in
the test: the TIN evaluated by matplotlib's triangle interpolator (not our rasteriser), the
connected water found by a plain ``ndimage.label``, and each footprint as a shapely polygon (the
union of its GroundSurface triangles) sampled at every cell centre inside it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from scipy import ndimage

from controlroom.core.city import Surface
from controlroom.core.site import FloodConfig
from controlroom.geo.cityjson import read_cityjson
from controlroom.geo.crs import LocalFrame
from controlroom.geo.flood_impact import FLOODED, WET, BuildingSamples
from controlroom.geo.flood_whatif import FloodScene
from controlroom.geo.terrain import terrain_from_tin

FRAME = LocalFrame("EPSG:28992", 78_600.0, 457_900.0)
LEVEL = 5.0  # m NAP
BREACH = (125.0, 175.0)  # local metres: the lowest ground of the tile's largest low-lying area


@pytest.fixture(scope="module")
def denhaag(shared_data: Path):  # type: ignore[no-untyped-def]
    layers, _ = read_cityjson(shared_data / "cityjson" / "DenHaag_01.city.json").to_layers(FRAME)
    return layers


def _independent_states(layers, terrain_grid, cfg: FloodConfig) -> dict[str, int]:  # type: ignore[no-untyped-def]
    import matplotlib.tri as mtri

    tin = layers["terrain"]
    tri = mtri.Triangulation(tin.points[:, 0], tin.points[:, 1], tin.triangles)
    xs, ys = terrain_grid.cell_centres()
    gx, gy = np.meshgrid(xs, ys)
    z = np.ma.filled(mtri.LinearTriInterpolator(tri, tin.points[:, 2])(gx, gy).astype(np.float64), np.nan)
    below = np.nan_to_num(z, nan=np.inf) < LEVEL
    labels, _ = ndimage.label(below)
    bi = round((BREACH[1] - ys[0]) / (ys[1] - ys[0]))
    bj = round((BREACH[0] - xs[0]) / (xs[1] - xs[0]))
    water = labels == labels[bi, bj]
    depth = np.where(water, LEVEL - z, 0.0)

    b = layers["buildings"]
    objs = b.objects
    key = [p or i for i, p in zip(objs.ids, objs.parents, strict=True)]
    ground = b.cell_surface == Surface.GROUND
    tris = b.points[b.triangles[ground]][:, :, :2]
    polys = shapely.polygons(tris)
    owner = np.array([key[o] for o in b.cell_object[ground]])
    states = {}
    for name in np.unique(owner):
        foot = shapely.union_all(polys[owner == name]).buffer(0)
        x0, y0, x1, y1 = foot.bounds
        sel = (gx >= x0 - 1) & (gx <= x1 + 1) & (gy >= y0 - 1) & (gy <= y1 + 1)
        inside = shapely.contains_xy(foot, gx[sel], gy[sel])
        ring = shapely.get_coordinates(foot.boundary)
        ci = np.clip(np.rint((ring[:, 1] - ys[0]) / (ys[1] - ys[0])).astype(int), 0, len(ys) - 1)
        cj = np.clip(np.rint((ring[:, 0] - xs[0]) / (xs[1] - xs[0])).astype(int), 0, len(xs) - 1)
        d = max(float(np.max(depth[sel][inside], initial=0.0)), float(np.max(depth[ci, cj], initial=0.0)))
        states[name] = 2 if d >= cfg.flooded_depth_m else 1 if d >= cfg.wet_depth_m else 0
    return states


def test_flooded_buildings_match_an_independent_count(denhaag) -> None:  # type: ignore[no-untyped-def]
    cfg = FloodConfig()
    terrain = terrain_from_tin(denhaag["terrain"], 1.0)
    buildings = BuildingSamples.from_layer(denhaag["buildings"])
    assert buildings.n == 844  # BuildingParts folded into their Buildings
    scene = FloodScene(terrain, np.zeros(terrain.shape, bool), buildings, config=cfg)
    impact = scene.impact(scene.at(LEVEL, BREACH))
    ours = dict(zip(buildings.ids, impact.building_state.tolist(), strict=True))
    theirs = _independent_states(denhaag, terrain, cfg)
    n_flooded = impact.count(FLOODED)
    n_wet = impact.count(WET)
    ref_flooded = sum(1 for s in theirs.values() if s == 2)
    ref_affected = sum(1 for s in theirs.values() if s >= 1)
    assert 200 < n_flooded < 400  # a real scenario: a few hundred of the 844 under water
    # corners + centre (ours) against every cell inside the footprint (theirs): within 3 %
    assert n_flooded == pytest.approx(ref_flooded, rel=0.03)
    assert n_flooded + n_wet == pytest.approx(ref_affected, rel=0.03)
    disagree = [k for k in theirs if k in ours and (ours[k] >= 1) != (theirs[k] >= 1)]
    assert len(disagree) <= 0.03 * len(theirs)
    summary = impact.summary()
    assert summary["buildings"]["dry"] == 844 - n_flooded - n_wet
    assert summary["area_km2"] == pytest.approx(impact.extent.n_cells * 1e-6, abs=1e-4)


def test_the_same_level_from_elsewhere_reaches_less(denhaag) -> None:  # type: ignore[no-untyped-def]
    """Connectivity matters on real ground: the tile's lowest point is a closed pit that holds
    water at 5 m without reaching a single building, though 40 % of the tile lies below 5 m."""
    terrain = terrain_from_tin(denhaag["terrain"], 1.0)
    scene = FloodScene(
        terrain, np.zeros(terrain.shape, bool), BuildingSamples.from_layer(denhaag["buildings"])
    )
    i, j = np.unravel_index(np.nanargmin(terrain.z), terrain.shape)
    pit = (terrain.x0 + j * terrain.cell, terrain.y0 + i * terrain.cell)
    ext = scene.at(LEVEL, pit)
    assert 0 < ext.area_km2 < 0.03
    assert scene.impact(ext).summary()["buildings"]["dry"] == 844


def test_spill_levels_give_the_same_water_as_a_fill_at_every_level(denhaag) -> None:  # type: ignore[no-untyped-def]
    """The slider's precomputed spill levels against a fresh connected fill, on the real TIN (with
    its holes without data) seeded at the breach, from below the lowest ground to above the highest."""
    from controlroom.geo.flood import flood_below, flood_from, point_seed, spill_levels

    terrain = terrain_from_tin(denhaag["terrain"], 1.0)
    seeds = point_seed(terrain, *BREACH)
    spill = spill_levels(terrain, seeds)
    lo, hi = float(np.nanmin(terrain.z)), float(np.nanmax(terrain.z))
    ground = terrain.z[~np.isnan(terrain.z)]
    exact = [float(ground[k]) for k in range(0, len(ground), len(ground) // 5)]  # a level = some ground
    sizes = []
    for level in [lo - 1, lo + 0.01, *np.linspace(lo, hi, 14)[1:-1].tolist(), *exact, LEVEL, hi + 1]:
        fill = flood_from(terrain, level, seeds)
        fast = flood_below(terrain, level, spill)
        assert np.array_equal(fill.flooded, fast.flooded), level
        assert np.array_equal(fill.depth, fast.depth), level
        sizes.append(fast.n_cells)
    assert sizes[0] == 0 and len(set(sizes)) > 8  # from nothing through many different extents
    assert np.isinf(spill[np.isnan(terrain.z)]).all()  # no data: water never stands there
