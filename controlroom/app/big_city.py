"""A deterministic city-sized sample: up to millions of buildings in seconds, for ``bench bigcity``.

The district sample (``sample_site``) is hand-shaped and 23 k buildings; a city-wide file from a
planning bureau is 1–2 M. This one is generated in a few numpy passes instead: a square grid of
blocks between streets and arterials, a meandering river, one CBD of towers per district, and the
buildings nearest the centre kept until exactly ``n`` remain (so the city is round and ``n`` exact).
Coordinates are written in the site's metric CRS (no reprojection on read); the same ``n`` and seed
give the same file.

    python -m controlroom.app.big_city --out /tmp/bigcity --buildings 1000000
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from controlroom.geo.crs import LocalFrame

SEED = 20261206
ORIGIN = (113.32, 23.11)
SITE_CRS = "EPSG:32649"
LOT = 28.0  # lattice pitch of buildings inside a block (m)
PER_SIDE = 5  # buildings per block side
STREET = 20.0  # gap between blocks (m)
ARTERIAL_EVERY = 6  # every sixth street is a 40 m arterial
BLOCK = PER_SIDE * LOT + STREET
DISTRICT_BLOCKS = 24  # a district is 24 × 24 blocks (~3.8 km)
USES = np.array(["residential", "commercial", "industrial", "public"])
DISTRICT_NAMES = ["Zhubei", "Donghu", "Nanzhou", "Xiguan", "Baiyun", "Tianhe", "Liwan", "Huangpu"]

FloatArray = npt.NDArray[np.float64]


def _river(x: FloatArray, extent: float) -> tuple[FloatArray, FloatArray]:
    """River centre line y(x) and width (m): one wide meander across the city."""
    k = 2 * np.pi / max(extent, 1.0)
    return 0.12 * extent * np.sin(1.3 * k * x) + 0.05 * extent * np.sin(3.1 * k * x + 1.0), np.full_like(
        x, 260.0
    )


def _grid_side(n: int) -> int:
    """Blocks per side so that the disk inside the square holds ``n`` buildings with room to spare."""
    blocks_needed = n / (PER_SIDE * PER_SIDE) / 0.62  # π/4 of the square, less river and CBD thinning
    return max(4, int(np.ceil(np.sqrt(blocks_needed))))


def plan_buildings(n: int, seed: int = SEED) -> dict[str, Any]:
    """Footprint rings and attributes of ``n`` buildings, in local metres around (0, 0)."""
    rng = np.random.default_rng(seed)
    side = _grid_side(n)
    half = side * BLOCK / 2
    bi, bj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    li, lj = np.meshgrid(np.arange(PER_SIDE), np.arange(PER_SIDE), indexing="ij")
    # Block origins shift by the arterial extra width every ARTERIAL_EVERY blocks.
    bx = bi.ravel() * BLOCK + (bi.ravel() // ARTERIAL_EVERY) * STREET - half
    by = bj.ravel() * BLOCK + (bj.ravel() // ARTERIAL_EVERY) * STREET - half
    cx = (bx[:, None] + (li.ravel()[None, :] + 0.5) * LOT).ravel()
    cy = (by[:, None] + (lj.ravel()[None, :] + 0.5) * LOT).ravel()
    lot_i = np.tile(li.ravel(), len(bx))
    lot_j = np.tile(lj.ravel(), len(bx))
    block_i = np.repeat(bi.ravel(), PER_SIDE * PER_SIDE)
    block_j = np.repeat(bj.ravel(), PER_SIDE * PER_SIDE)

    extent = 2 * half
    yc, w = _river(cx, extent)
    keep = np.abs(cy - yc) > w / 2 + 30
    # District of each lot, and its CBD: blocks within 3 of the district's centre block.
    di, dj = block_i // DISTRICT_BLOCKS, block_j // DISTRICT_BLOCKS
    centre = DISTRICT_BLOCKS // 2
    cbd = (np.abs(block_i % DISTRICT_BLOCKS - centre) <= 2) & (
        np.abs(block_j % DISTRICT_BLOCKS - centre) <= 2
    )
    # Towers stand on every other lot of a CBD block (room for 30–40 m footprints).
    keep &= ~cbd | ((lot_i % 2 == 1) & (lot_j % 2 == 1))
    idx = np.flatnonzero(keep)
    r2 = cx[idx] ** 2 + cy[idx] ** 2
    if len(idx) < n:
        raise ValueError(f"grid of {side} blocks holds only {len(idx)} buildings, {n} asked")
    idx = idx[np.argsort(r2, kind="stable")[:n]]
    idx.sort()
    cx, cy, cbd = cx[idx] + rng.uniform(-1.5, 1.5, n), cy[idx] + rng.uniform(-1.5, 1.5, n), cbd[idx]
    district = (di[idx] * 97 + dj[idx] * 31) % len(DISTRICT_NAMES)

    kind = rng.random(n)
    wd = rng.uniform(10, 20, n)
    dp = rng.uniform(10, 20, n)
    x0, y0, x1, y1 = cx - wd / 2, cy - dp / 2, cx + wd / 2, cy + dp / 2
    xm, ym = x0 + 0.55 * wd, y0 + 0.55 * dp
    # Every ring has 8 slots: rectangles and L-shapes repeat their last corner (dropped on build).
    rect = np.stack([np.column_stack(c) for c in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))], axis=1)
    ring = np.concatenate([rect, np.repeat(rect[:, 3:4], 4, axis=1)], axis=1)
    ell = (kind > 0.7) & ~cbd
    ell_ring = np.stack(
        [np.column_stack(c) for c in ((x0, y0), (x1, y0), (x1, ym), (xm, ym), (xm, y1), (x0, y1))], axis=1
    )
    ring[ell, :6] = ell_ring[ell]
    ring[ell, 6:] = ell_ring[ell, 5:6]
    r = rng.uniform(14, 19, n)
    a = np.pi / 8 + np.arange(8) * np.pi / 4
    octagon = np.stack([cx[:, None] + r[:, None] * np.cos(a), cy[:, None] + r[:, None] * np.sin(a)], axis=2)
    ring[cbd] = octagon[cbd]
    n_corners = np.where(cbd, 8, np.where(ell, 6, 4))

    use = USES[rng.choice(4, n, p=[0.58, 0.18, 0.14, 0.10])]
    use[cbd] = "commercial"
    lo = np.select([use == "residential", use == "commercial", use == "industrial"], [12.0, 8.0, 6.0], 8.0)
    hi = np.select([use == "residential", use == "commercial", use == "industrial"], [40.0, 32.0, 16.0], 24.0)
    height = np.round(lo + (hi - lo) * rng.random(n), 1)
    height[cbd] = np.round(80 + 300 * rng.beta(1.1, 3.5, int(cbd.sum())), 1)
    return {
        "rings": ring,
        "n_corners": n_corners,
        "id": np.char.add("B", np.char.zfill(np.arange(1, n + 1).astype(str), 7)),
        "height": height,
        "floors": np.maximum(1, np.round(height / 3.2)).astype(np.int32),
        "use": use,
        "district": np.asarray(DISTRICT_NAMES)[district],
        "extent": extent,
        "side": side,
    }


def _polygons(rings: FloatArray, n_corners: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
    import shapely

    out = np.empty(len(rings), dtype=object)
    for k in np.unique(n_corners):
        sel = n_corners == k
        out[sel] = shapely.polygons(rings[sel, :k])
    return out


def _site_toml(n: int) -> str:
    lon, lat = ORIGIN
    return f"""# A generated city of {n:,} buildings, made by
#   python -m controlroom.app.big_city --out DIR --buildings {n}
schema = 1

[site]
name = "big-city-{n}"
title = "Generated city, {n:,} buildings"
language = "en"
crs = "{SITE_CRS}"
origin = [{lon}, {lat}]
timezone = "Asia/Shanghai"

[city]
tiles = true
memory_mb = 600

[[city_model]]
path = "data/buildings.parquet"
format = "geoparquet"
crs = "{SITE_CRS}"
height_attribute = "height"
floors_attribute = "floors"
id_attribute = "id"
licence = "CC0-1.0 (generated)"

[[roads]]
path = "data/roads.geojson"
crs = "{SITE_CRS}"
licence = "CC0-1.0 (generated)"

[[water]]
path = "data/water.geojson"
crs = "{SITE_CRS}"
licence = "CC0-1.0 (generated)"
"""


def _lines_geojson(lines: list[tuple[list[list[float]], dict[str, Any]]], crs: str) -> str:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": f"urn:ogc:def:crs:{crs.replace(':', '::')}"}},
            "features": [
                {"type": "Feature", "properties": p, "geometry": {"type": g_type, "coordinates": c}}
                for (c, p), g_type in ((item, item[1].pop("_type", "LineString")) for item in lines)
            ],
        }
    )


def generate(folder: Path, n: int = 1_000_000, seed: int = SEED) -> Path:
    """Write ``site.toml`` and ``data/`` (buildings GeoParquet, road and river GeoJSON); returns site.toml."""
    import geopandas as gpd
    import shapely

    plan = plan_buildings(n, seed)
    frame = LocalFrame.at_wgs84(SITE_CRS, *ORIGIN)
    ox, oy = frame.origin[0], frame.origin[1]
    shifted = plan["rings"] + np.array([ox, oy])
    polys = _polygons(shifted, plan["n_corners"])
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    gdf = gpd.GeoDataFrame(
        {
            "id": plan["id"],
            "height": plan["height"],
            "floors": plan["floors"],
            "use": plan["use"],
            "district": plan["district"],
        },
        geometry=polys,
        crs=SITE_CRS,
    )
    gdf.to_parquet(data / "buildings.parquet", index=False, compression="zstd", write_covering_bbox=True)
    half = plan["extent"] / 2
    roads: list[tuple[list[list[float]], dict[str, Any]]] = []
    for k in range(0, plan["side"] + 1, ARTERIAL_EVERY):
        at = k * BLOCK + (k // ARTERIAL_EVERY) * STREET - half - STREET
        roads.append(([[ox - half, oy + at], [ox + half, oy + at]], {"highway": "primary", "name": f"E{k}"}))
        roads.append(([[ox + at, oy - half], [ox + at, oy + half]], {"highway": "primary", "name": f"N{k}"}))
    xs = np.linspace(-half, half, 200)
    yc, w = _river(xs, plan["extent"])
    river = shapely.Polygon(
        np.concatenate([np.column_stack([xs, yc - w / 2]), np.column_stack([xs[::-1], (yc + w / 2)[::-1]])])
        + np.array([ox, oy])
    )
    (data / "roads.geojson").write_text(_lines_geojson(roads, SITE_CRS), encoding="utf-8")
    water = [(shapely.geometry.mapping(river)["coordinates"], {"name": "River", "_type": "Polygon"})]
    (data / "water.geojson").write_text(_lines_geojson(water, SITE_CRS), encoding="utf-8")
    site = folder / "site.toml"
    site.write_text(_site_toml(n), encoding="utf-8")
    return site


def ensure_big_city(n: int = 1_000_000, folder: Path | None = None, *, tiles: bool = True) -> Path:
    """The generated city in the user's cache (made once; the same ``n`` gives the same files),
    and its tiles (built once into the tile cache)."""
    if folder is None:
        from controlroom.geo.mesh_cache import cache_dir

        folder = cache_dir().parent / f"big-city-{n}"
    site = folder / "site.toml"
    if not (site.is_file() and (folder / "data" / "buildings.parquet").is_file()):
        print(f"Generating a city of {n:,} buildings in {folder} …", flush=True)
        generate(folder, n)
    if tiles:  # here, before the window's threads start, the build forks one writer per core
        from controlroom.core.site import load_site
        from controlroom.geo.tiles.store import build_site_tiles

        t0 = time.perf_counter()
        result, out = build_site_tiles(load_site(site))
        if result is not None:
            print(
                f"Tiled it into {out} ({result.tiles:,} tiles, {time.perf_counter() - t0:.0f} s)", flush=True
            )
    return site


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate a deterministic city of N buildings (GeoParquet).")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--buildings", type=int, default=1_000_000)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    site = generate(args.out, args.buildings)
    print(f"{site} ({args.buildings:,} buildings, {time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
