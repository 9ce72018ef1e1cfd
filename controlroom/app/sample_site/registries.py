"""Points of interest (declared in GCJ-02), the camera registry and the response units at their stations."""

from __future__ import annotations

from typing import Any

import numpy as np

from controlroom.app.sample_site.buildings import _which
from controlroom.app.sample_site.params import ORIGIN, SITE_CRS, STREETS
from controlroom.app.sample_site.plan import Plan
from controlroom.geo.crs import LocalFrame

_NUMERALS = "一二三四五六七八九十"
_SUFFIXES = ("", "东", "西", "南", "北", "中")


def _unique(place: str, word: str, seen: set[str]) -> str:
    """``place + word`` (龙潭派出所), else with a compass qualifier (龙潭东派出所), else numbered."""
    for q in _SUFFIXES:
        if (candidate := f"{place}{q}{word}") not in seen:
            seen.add(candidate)
            return candidate
    k = 2
    while f"{place}{word}{k}" in seen:
        k += 1
    seen.add(f"{place}{word}{k}")
    return f"{place}{word}{k}"


def _poi_name(category: str, street: str, k: int) -> tuple[str, str, str]:
    """(place, category word, English name) in the usual local patterns (第一人民医院, 派出所 ...)."""
    short = street.removesuffix("街道")
    num = _NUMERALS[(k - 1) % 10]
    pin = next((p for z, p in STREETS if z == street), short)
    return {
        "hospital": (short, f"第{num}人民医院", f"{pin} No.{k} People's Hospital"),
        "school": (
            short,
            f"第{num}{'小学' if k % 2 else '中学'}",
            f"{pin} No.{k} {'Primary' if k % 2 else 'Middle'} School",
        ),
        "police_station": (short, "派出所", f"{pin} Police Station"),
        "fire_station": (short, "消防救援站", f"{pin} Fire Station"),
    }[category]


def _pois(p: Plan, rng: np.random.Generator) -> list[tuple[Any, dict[str, Any]]]:
    """Hospitals, schools, police and fire stations at buildings; metro stations on arterials."""
    import shapely

    low = np.flatnonzero(np.array([n is None for n in p.building_props["name"]]))
    spots = shapely.point_on_surface(p.buildings[rng.choice(low, 140, replace=False)])
    cats = ["hospital"] * 25 + ["school"] * 70 + ["police_station"] * 28 + ["fire_station"] * 17
    streets = _which(spots, p.levels["street"], "name")
    out: list[tuple[Any, dict[str, Any]]] = []
    count: dict[tuple[str, str], int] = {}
    seen: set[str] = set()
    for pt, cat, street in zip(spots, cats, streets, strict=True):
        count[(cat, street)] = count.get((cat, street), 0) + 1
        place, word, en = _poi_name(cat, street, count[(cat, street)])
        out.append((pt, {"category": cat, "name": _unique(place, word, seen), "name_en": en}))
    stations: list[Any] = []
    for geom, props in p.roads:
        if props["highway"] in ("primary", "trunk") and props["bridge"] == "no":
            for d in np.arange(250.0, geom.length - 100, 620.0):
                a, b = geom.interpolate(d), geom.interpolate(d + 1)
                stations.append((shapely.Point(a.x - 30 * (b.y - a.y), a.y + 30 * (b.x - a.x)), props))
    station_streets = _which(np.array([s for s, _ in stations], dtype=object), p.levels["street"], "name")
    for (pt, props), street in zip(stations[:60], station_streets, strict=False):
        road = props["name"].removesuffix("大道").removesuffix("路")
        name = _unique(f"{road}{street.removesuffix('街道')}", "站", seen)
        out.append(
            (pt, {"category": "metro_station", "name": name, "name_en": f"{props['name_en']} Station"})
        )
    districts = _which(np.array([g for g, _ in out], dtype=object), p.levels["district"], "name")
    for i, ((_, props), dist) in enumerate(zip(out, districts, strict=True)):
        props.update({"id": f"P{i + 1:04d}", "district": dist})
    return out


def _cameras(p: Plan, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Cameras along every road (both kerbs, facing along the road), ~2,400 in all."""
    import shapely

    total = sum(g.length for g, _ in p.roads)
    spacing = total / 2400
    rows: list[tuple[float, float, float, str, str, str]] = []
    for geom, props in p.roads:
        d = np.arange(spacing / 2, geom.length, spacing)
        if not len(d):
            continue
        a = shapely.get_coordinates(shapely.line_interpolate_point(geom, d))
        b = shapely.get_coordinates(shapely.line_interpolate_point(geom, np.minimum(d + 1, geom.length)))
        t = (b - a) / np.maximum(np.linalg.norm(b - a, axis=1), 1e-9)[:, None]
        side = np.where(np.arange(len(d)) % 2 == 0, 1.0, -1.0)
        xy = a + 9 * side[:, None] * np.column_stack([-t[:, 1], t[:, 0]])
        heading = np.degrees(np.arctan2(t[:, 0] * side, t[:, 1] * side)) % 360
        tags = ";".join(["road", props["highway"]] + (["bridge"] if props["bridge"] == "yes" else []))
        rows += [
            (x, y, h, props["name"], tags, props["name_en"])
            for (x, y), h in zip(xy.tolist(), heading.tolist(), strict=True)
        ]
    pts = shapely.points([(r[0], r[1]) for r in rows])
    districts = _which(pts, p.levels["district"], "name")
    grids = _which(pts, p.levels["grid"], "code")
    frame = LocalFrame.at_wgs84(SITE_CRS, *ORIGIN)
    lon, lat = frame.to_wgs84(np.array([r[0] for r in rows]), np.array([r[1] for r in rows]))
    out = []
    for i, (row, dist, grid) in enumerate(zip(rows, districts, grids, strict=True)):
        cid = f"CAM{i + 1:05d}"
        out.append(
            {
                "id": cid,
                "name": f"{row[3]} {i + 1}号",
                "name_en": f"{row[5]} No. {i + 1}",  # the site names it per language ([cameras])
                "lon": round(float(lon[i]), 7),
                "lat": round(float(lat[i]), 7),
                "main_url": f"http://127.0.0.1:8090/cam/{cid}/main.mp4",
                "sub_url": f"http://127.0.0.1:8090/cam/{cid}/sub.mp4",
                "ptz": bool(rng.random() < 0.15),
                "heading_deg": round(row[2], 1),
                "fov_deg": int(rng.integers(50, 91)),
                "district": dist,
                "grid": grid,
                "tags": row[4],
            }
        )
    return out


_UNIT_TYPES = {
    "police": ("巡逻车", 120, "police_station"),
    "city_management": ("城管车", 60, None),
    "fire": ("消防车", 50, "fire_station"),
    "ambulance": ("救护车", 50, "hospital"),
    "sanitation": ("环卫车", 40, None),
}


def _units(p: Plan, pois: list[tuple[Any, dict[str, Any]]], rng: np.random.Generator) -> list[dict[str, Any]]:
    """Response units based at the matching stations (or spread over the district)."""
    import shapely

    frame = LocalFrame.at_wgs84(SITE_CRS, *ORIGIN)
    out: list[dict[str, Any]] = []
    for utype, (zh, n, base) in _UNIT_TYPES.items():
        homes = [g for g, props in pois if props["category"] == base] if base else []
        if not homes:
            homes = list(
                shapely.point_on_surface(p.buildings[rng.choice(len(p.buildings), 30, replace=False)])
            )
        for k in range(n):
            home = homes[k % len(homes)]
            lon, lat = frame.to_wgs84(np.array([home.x]), np.array([home.y]))
            out.append(
                {
                    "id": f"U{len(out) + 1:04d}",
                    "name": f"{zh}{k + 1:03d}",
                    "type": utype,
                    "lon": round(float(lon[0]), 7),
                    "lat": round(float(lat[0]), 7),
                    "district": _which(np.array([home], dtype=object), p.levels["district"], "name")[0],
                }
            )
    return out
