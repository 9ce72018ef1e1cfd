"""A flood what-if out of the app: GeoJSON of the water and what it reaches, a top-down PNG map,
and the evacuation list as CSV (headers in Chinese and English, for the street offices).

The water extent is vectorised by GDAL's polygoniser (``rasterio.features.shapes``) in depth
bands, so a GIS opens the file with the same shapes the desk shows; everything is written in WGS 84
as GeoJSON requires.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from controlroom.geo.flood_impact import STATE_NAMES

if TYPE_CHECKING:
    from controlroom.geo.crs import LocalFrame
    from controlroom.geo.flood_whatif import FloodImpact

DEPTH_BANDS_M = (0.0, 0.3, 0.5, 1.0, 2.0)  # band k holds depths from DEPTH_BANDS_M[k] to the next


def _rounded(coords: Any) -> Any:
    if isinstance(coords, float):
        return round(coords, 7)
    return [_rounded(c) for c in coords]


def water_features(impact: FloodImpact, frame: LocalFrame) -> list[dict[str, Any]]:
    """The flooded area as polygons, one feature per depth band."""
    from affine import Affine
    from rasterio.features import shapes

    ext = impact.extent
    if ext.nothing_floods:
        return []
    t = ext.terrain
    band = np.zeros(t.shape, np.uint8)
    for k, lo in enumerate(DEPTH_BANDS_M):
        band[ext.flooded & (ext.depth >= lo)] = k + 1
    # rows go north in our grid: a transform with a positive y step keeps shapes in local metres
    transform = Affine(t.cell, 0.0, t.x0 - t.cell / 2, 0.0, t.cell, t.y0 - t.cell / 2)
    out = []
    for geom, value in shapes(band, mask=band > 0, transform=transform, connectivity=4):
        k = int(value) - 1
        rings = []
        for ring in geom["coordinates"]:
            xy = np.asarray(ring, np.float64)
            lon, lat = frame.to_wgs84(xy[:, 0], xy[:, 1])
            rings.append(np.column_stack([lon, lat]).tolist())
        hi = DEPTH_BANDS_M[k + 1] if k + 1 < len(DEPTH_BANDS_M) else None
        out.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": _rounded(rings)},
                "properties": {
                    "kind": "water",
                    "level_m": ext.level_m,
                    "depth_from_m": DEPTH_BANDS_M[k],
                    "depth_to_m": hi,
                },
            }
        )
    return out


def building_features(impact: FloodImpact, frame: LocalFrame) -> list[dict[str, Any]]:
    """Wet and flooded buildings as points (their footprint centre), deepest first."""
    b = impact.scene.buildings
    idx = impact.affected_buildings()
    lon, lat = frame.to_wgs84(b.x[idx], b.y[idx])
    names = impact.admin_names(idx)
    return [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(float(a), 7), round(float(c), 7)]},
            "properties": {
                "kind": "building",
                "id": b.ids[i],
                "name": b.names[i],
                "state": STATE_NAMES[int(impact.building_state[i])],
                "depth_m": round(float(impact.building_depth[i]), 2),
                "people": int(b.population[i]),
                **names[k],
            },
        }
        for k, (i, a, c) in enumerate(zip(idx.tolist(), lon.tolist(), lat.tolist(), strict=True))
    ]


def write_geojson(path: Path, impact: FloodImpact, frame: LocalFrame) -> int:
    """Water polygons and affected buildings in one FeatureCollection; returns the feature count."""
    features = water_features(impact, frame) + building_features(impact, frame)
    doc = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return len(features)


EVACUATION_COLUMNS = (
    ("district", "区 District"),
    ("street", "街道 Street"),
    ("grid", "网格 Grid"),
    ("id", "建筑编号 Building ID"),
    ("name", "名称 Name"),
    ("state", "状态 State"),
    ("depth_m", "水深(米) Depth (m)"),
    ("people", "人数 People"),
    ("lon", "经度 Longitude"),
    ("lat", "纬度 Latitude"),
)
STATE_WORDS = {"flooded": "淹没 flooded", "wet": "进水 wet"}


def evacuation_csv(impact: FloodImpact, frame: LocalFrame) -> str:
    """Wet and flooded buildings by district, street and grid (deepest first within a grid), with
    residents: the list the street offices work through. UTF-8 with BOM so Excel shows the Chinese."""
    rows = [
        f["properties"] | {"lon": f["geometry"]["coordinates"][0], "lat": f["geometry"]["coordinates"][1]}
        for f in building_features(impact, frame)
    ]
    rows.sort(
        key=lambda r: (r.get("district") or "", r.get("street") or "", r.get("grid") or "", -r["depth_m"])
    )
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([title for _, title in EVACUATION_COLUMNS])
    for r in rows:
        r["state"] = STATE_WORDS.get(r["state"], r["state"])
        w.writerow(["" if r.get(key) is None else r.get(key) for key, _ in EVACUATION_COLUMNS])
    return "\ufeff" + buf.getvalue()


def map_png(path: Path, impact: FloodImpact, max_px: int = 1600) -> tuple[int, int]:
    """A top-down map: hill-shaded ground, water in blues by depth, buildings by state (orange wet,
    red flooded, grey dry). Returns the image size."""
    from PIL import Image

    t = impact.scene.terrain
    ext = impact.extent
    step = max(1, int(np.ceil(max(t.shape) / max_px)))
    z = t.z[::step, ::step].astype(np.float64)
    valid = ~np.isnan(z)
    zf = np.where(valid, z, np.nanmean(z) if valid.any() else 0.0)
    gy, gx = np.gradient(zf, t.cell * step)
    shade = np.clip(0.75 + 0.35 * (-gx - gy) / np.sqrt(1 + gx * gx + gy * gy), 0.3, 1.0)
    lo, hi = np.percentile(zf[valid], [2, 98]) if valid.any() else (0.0, 1.0)
    h = np.clip((zf - lo) / max(hi - lo, 1e-6), 0, 1)
    rgb = np.stack([(150 + 70 * h) * shade, (165 + 50 * h) * shade, (140 + 40 * h) * shade], axis=-1)
    rgb[~valid] = (40, 40, 40)
    river = impact.scene.river[::step, ::step]
    rgb[river] = (70, 110, 160)
    d = ext.depth[::step, ::step]
    wet = ext.flooded[::step, ::step]
    k = np.clip(d / 2.0, 0, 1)[wet][:, None]
    rgb[wet] = (1 - k) * np.array([120, 190, 255]) + k * np.array([10, 40, 140])
    b = impact.scene.buildings
    i, j, inside = t.index(b.x, b.y)
    colours = np.array([[120, 120, 120], [255, 160, 40], [230, 30, 30]], np.float64)
    ii, jj = i[inside] // step, j[inside] // step
    rgb[ii, jj] = colours[impact.building_state[inside]]
    img = Image.fromarray(np.clip(rgb[::-1], 0, 255).astype(np.uint8), "RGB")  # north up
    grow = max(1, max_px // max(img.size))
    if grow > 1:  # a coarse grid: whole pixels per cell, so a building stays a visible square
        img = img.resize((img.size[0] * grow, img.size[1] * grow), Image.Resampling.NEAREST)
    img.save(path)
    return img.size
