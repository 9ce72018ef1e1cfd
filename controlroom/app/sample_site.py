"""The bundled demo site: a Pearl-River-delta district generated from a fixed seed.

Shipping real city data is a licensing problem, so the demo builds its own: a meandering river
with canals, arterials with bridges and a street grid, ~23,000 buildings in the blocks between
them (a CBD of towers by the river), four nested admin levels, POIs declared in GCJ-02 (so the
China-frame path is exercised on every demo start), and camera / unit registries. The same seed
gives byte-identical files, so tests and screenshots are reproducible.

    python -m controlroom.app.sample_site --out FOLDER

The demo's copy lives in the user's cache (``default_folder()``): it is made again from the seed
whenever it is missing, and an installed package has no writable folder of its own. The site file
it writes and the alarm rules it copies ship in ``controlroom/data/sample-site/``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from controlroom.geo.crs import LocalFrame, from_wgs84

SEED = 20261123
GENERATOR_VERSION = "2"  # bump when the generated data changes (2: terrain.tif, population)
ORIGIN = (113.32, 23.11)
SITE_CRS = "EPSG:32649"
HALF_W, HALF_H = 3000.0, 2500.0
DATA_FILES = (
    "buildings.parquet",
    "boundary_city.geojson",
    "boundary_district.geojson",
    "boundary_street.geojson",
    "boundary_grid.geojson",
    "roads.geojson",
    "water.geojson",
    "poi.geojson",
    "cameras.csv",
    "units.csv",
    "terrain.tif",
)

Geoms = npt.NDArray[np.object_]

DISTRICTS = [("珠北区", "Zhubei"), ("东湖区", "Donghu"), ("南洲区", "Nanzhou")]
STREETS = [
    ("金沙街道", "Jinsha"),
    ("海月街道", "Haiyue"),
    ("花城街道", "Huacheng"),
    ("云台街道", "Yuntai"),
    ("榕荫街道", "Rongyin"),
    ("珠光街道", "Zhuguang"),
    ("东圃街道", "Dongpu"),
    ("新洲街道", "Xinzhou"),
    ("南岸街道", "Nan'an"),
    ("沙洲街道", "Shazhou"),
    ("龙潭街道", "Longtan"),
    ("石岗街道", "Shigang"),
]
NS_ARTERIALS = [
    ("珠江大道", "Zhujiang Avenue"),
    ("海月路", "Haiyue Road"),
    ("金沙大道", "Jinsha Avenue"),
    ("云台路", "Yuntai Road"),
]
TOWER_PREFIX = ["珠江", "花城", "金沙", "海月", "云台", "南粤", "羊城", "榕城", "新洲", "琶洲"]
TOWER_PINYIN = [
    "Zhujiang",
    "Huacheng",
    "Jinsha",
    "Haiyue",
    "Yuntai",
    "Nanyue",
    "Yangcheng",
    "Rongcheng",
    "Xinzhou",
    "Pazhou",
]
TOWER_SUFFIX = [
    ("国际金融中心", "IFC"),
    ("环球大厦", "Global Tower"),
    ("商务中心", "Business Centre"),
    ("国际大厦", "International Tower"),
]


@dataclass
class Plan:
    """The district in local metres (site CRS minus the origin) before it is written out."""

    water: list[tuple[Any, dict[str, Any]]]
    water_area: Any  # river, canals and buffered creeks: where the ground is a bed
    roads: list[tuple[Any, dict[str, Any]]]
    levels: dict[str, list[tuple[Any, dict[str, Any]]]]
    buildings: Geoms
    building_props: dict[str, list[Any]]


def _river(x: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Centre line y and width of the river at x."""
    y = -200 + 260 * np.sin(2 * np.pi * (x + 3000) / 6500) + 90 * np.sin(2 * np.pi * x / 1900)
    return y, 380 + 90 * np.sin(2 * np.pi * x / 4100 + 1)


def _band(x: npt.NDArray[np.float64], lo: npt.NDArray[np.float64], hi: npt.NDArray[np.float64]) -> Any:
    import shapely

    return shapely.Polygon(np.concatenate([np.column_stack([x, lo]), np.column_stack([x[::-1], hi[::-1]])]))


def _water(area: Any) -> list[tuple[Any, dict[str, Any]]]:
    import shapely

    x = np.linspace(-HALF_W - 200, HALF_W + 200, 250)
    yc, w = _river(x)
    river = _band(x, yc - w / 2, yc + w / 2).intersection(area)
    out = [(river, {"id": "W1", "name": "珠江", "name_en": "Pearl River", "kind": "river"})]
    for i, (cx, direction, name, name_en) in enumerate(
        [(-1700.0, 1, "北濠涌", "Beihao Canal"), (1900.0, -1, "南濠涌", "Nanhao Canal")]
    ):
        y0 = float(_river(np.array([cx]))[0][0])
        line = shapely.LineString(
            [
                (cx, y0),
                (cx + 120, y0 + direction * 900),
                (cx - 60, y0 + direction * 1800),
                (cx + 80, direction * HALF_H * 1.1),
            ]
        )
        canal = line.buffer(18, cap_style="flat").difference(river).intersection(area)
        out.append((canal, {"id": f"W{i + 2}", "name": name, "name_en": name_en, "kind": "canal"}))
    for i, x0 in enumerate((-2600.0, 300.0)):
        t = np.linspace(0, 1, 30)
        creek = shapely.LineString(
            np.column_stack(
                [x0 + 900 * t + 60 * np.sin(9 * t), -HALF_H + 50 + 1100 * t + 40 * np.sin(13 * t)]
            )
        )
        out.append(
            (
                creek,
                {
                    "id": f"W{i + 4}",
                    "name": f"{'东西'[i]}涌",
                    "name_en": f"{['Dong', 'Xi'][i]} Creek",
                    "kind": "stream",
                },
            )
        )
    return out


def _roads(area: Any, water: Any, rng: np.random.Generator) -> list[tuple[Any, dict[str, Any]]]:
    import shapely

    roads: list[tuple[Any, dict[str, Any]]] = []
    near_water = water.buffer(25)

    def add(line: Any, props: dict[str, Any], bridges: bool) -> None:
        line = line.intersection(area)
        if bridges:
            for part in shapely.get_parts(line.intersection(near_water)):
                if part.length > 10:
                    roads.append((part, props | {"bridge": "yes", "layer": 1, **_bridge_name(props)}))
            line = line.difference(near_water)
        else:
            line = line.difference(water.buffer(12))
        for part in shapely.get_parts(line):
            if part.geom_type == "LineString" and part.length > 60:
                roads.append((part, props | {"bridge": "no", "layer": 0}))

    x = np.linspace(-HALF_W, HALF_W, 200)
    yc, w = _river(x)
    for side, name, name_en in ((1, "沿江中路", "Yanjiang Middle Road"), (-1, "滨江路", "Binjiang Road")):
        add(
            shapely.LineString(np.column_stack([x, yc + side * (w / 2 + 45)])),
            {"name": name, "name_en": name_en, "highway": "secondary", "lanes": 4},
            True,
        )
    ns_x = (-2200.0, -600.0, 900.0, 2400.0)
    for xi, (name, name_en) in zip(ns_x, NS_ARTERIALS, strict=True):
        add(
            shapely.LineString([(xi, -HALF_H), (xi, HALF_H)]),
            {"name": name, "name_en": name_en, "highway": "primary", "lanes": 6},
            True,
        )
    ew_y = (1600.0, -1700.0)
    for yi, name, name_en in zip(
        ew_y, ("江北大道", "南洲大道"), ("Jiangbei Avenue", "Nanzhou Avenue"), strict=True
    ):
        add(
            shapely.LineString([(-HALF_W, yi), (HALF_W, yi)]),
            {"name": name, "name_en": name_en, "highway": "trunk", "lanes": 8},
            True,
        )
    for k, xi in enumerate(np.arange(-2880.0, HALF_W, 240.0) + rng.uniform(-30, 30, 25)):
        if min(abs(xi - a) for a in ns_x) > 90:
            add(
                shapely.LineString([(xi, -HALF_H), (xi, HALF_H)]),
                {
                    "name": f"纵{k + 1}路",
                    "name_en": f"Zong {k + 1} Road",
                    "highway": "residential",
                    "lanes": 2,
                },
                False,
            )
    for k, yi in enumerate(np.arange(-2380.0, HALF_H, 220.0) + rng.uniform(-25, 25, 23)):
        if min(abs(yi - a) for a in ew_y) > 90:
            add(
                shapely.LineString([(-HALF_W, yi), (HALF_W, yi)]),
                {
                    "name": f"横{k + 1}路",
                    "name_en": f"Heng {k + 1} Road",
                    "highway": "tertiary" if k % 3 == 0 else "residential",
                    "lanes": 4 if k % 3 == 0 else 2,
                },
                False,
            )
    return roads


def _bridge_name(props: dict[str, Any]) -> dict[str, str]:
    """Arterials cross on a named "大桥" (Haiyue Bridge); smaller roads on a "路桥"."""
    if props["highway"] in ("primary", "trunk"):
        short = props["name"].removesuffix("大道").removesuffix("路")
        return {"name": f"{short}大桥", "name_en": props["name_en"].rsplit(" ", 1)[0] + " Bridge"}
    return {"name": f"{props['name']}桥", "name_en": f"{props['name_en']} Bridge"}


def _split(poly: Any, xs: list[float], ys: list[float]) -> list[Any]:
    """Pieces of ``poly`` in the cells of a rectilinear grid (cut lines at xs, ys)."""
    import shapely

    x0, y0, x1, y1 = poly.bounds
    bx, by = [x0 - 1, *xs, x1 + 1], [y0 - 1, *ys, y1 + 1]
    cells = [
        shapely.box(bx[i], by[j], bx[i + 1], by[j + 1])
        for i in range(len(bx) - 1)
        for j in range(len(by) - 1)
    ]
    return [p for p in (poly.intersection(c) for c in cells) if p.area > 1.0]


def _merge_small(pieces: list[Any], min_area: float) -> list[Any]:
    """Fold slivers into the neighbour they share the longest border with (keeps the tiling)."""
    import shapely

    pieces = list(pieces)
    while True:
        small = [i for i, p in enumerate(pieces) if p.area < min_area]
        if not small or len(pieces) == 1:
            return pieces
        i = min(small, key=lambda k: pieces[k].area)
        shared = [
            (pieces[i].boundary.intersection(p.boundary).length, j) for j, p in enumerate(pieces) if j != i
        ]
        length, j = max(shared)
        if length <= 0:
            return pieces
        pieces[j] = shapely.union(pieces[j], pieces[i])
        del pieces[i]


def _admin(area: Any) -> dict[str, list[tuple[Any, dict[str, Any]]]]:
    import shapely
    from shapely.ops import split

    x = np.linspace(-HALF_W - 100, HALF_W + 100, 250)
    cut = shapely.LineString(np.column_stack([x, _river(x)[0]]))
    halves = sorted(shapely.get_parts(split(area, cut)), key=lambda p: p.centroid.y)
    south, north = halves[0], halves[-1]
    districts = [
        north.intersection(shapely.box(-HALF_W, -HALF_H, 300, HALF_H)),
        north.intersection(shapely.box(300, -HALF_H, HALF_W, HALF_H)),
        south,
    ]
    city_props = {
        "code": "449900",
        "name": "珠江示范区",
        "name_pinyin": "Zhujiang Shifanqu",
        "name_en": "Pearl River Demo District",
        "level": "city",
        "parent_code": None,
    }
    levels: dict[str, list[tuple[Any, dict[str, Any]]]] = {
        "city": [(area, city_props)],
        "district": [],
        "street": [],
        "grid": [],
    }
    street_no = 0
    for d, (dpoly, (dname, dpin)) in enumerate(zip(districts, DISTRICTS, strict=True)):
        dcode = f"4499{d + 1:02d}"
        levels["district"].append(
            (
                dpoly,
                {
                    "code": dcode,
                    "name": dname,
                    "name_pinyin": dpin,
                    "level": "district",
                    "parent_code": "449900",
                },
            )
        )
        bx0, by0, bx1, by1 = dpoly.bounds
        if d < 2:
            parts = _split(dpoly, [(bx0 + bx1) / 2], [(by0 + by1) / 2])
        else:
            parts = _split(dpoly, [float(v) for v in np.linspace(bx0, bx1, 5)[1:-1]], [])
        parts = _merge_small(parts, 0.05 * dpoly.area)
        for s, spoly in enumerate(parts):
            sname, spin = STREETS[street_no % len(STREETS)]
            street_no += 1
            scode = f"{dcode}{s + 1:03d}"
            levels["street"].append(
                (
                    spoly,
                    {
                        "code": scode,
                        "name": sname,
                        "name_pinyin": spin,
                        "level": "street",
                        "parent_code": dcode,
                    },
                )
            )
            cells = _split(
                spoly,
                list(np.arange(-HALF_W + 400, HALF_W, 400.0)),
                list(np.arange(-HALF_H + 380, HALF_H, 380.0)),
            )
            pieces = [p for c in cells for p in shapely.get_parts(c) if p.area > 1.0]
            for g, gpoly in enumerate(_merge_small(pieces, 0.35 * 400 * 380)):
                levels["grid"].append(
                    (
                        gpoly,
                        {
                            "code": f"{scode}{g + 1:03d}",
                            "name": f"{sname}第{g + 1}网格",
                            "name_pinyin": f"{spin} Wangge {g + 1}",
                            "level": "grid",
                            "parent_code": scode,
                        },
                    )
                )
    return levels


_ROAD_HALF_WIDTH = {"trunk": 24.0, "primary": 20.0, "secondary": 16.0, "tertiary": 11.0, "residential": 9.0}
_USES = ("residential", "commercial", "industrial", "public")


def _lattice(spacing: float, rng: np.random.Generator) -> npt.NDArray[np.float64]:
    gx, gy = np.meshgrid(
        np.arange(-HALF_W + spacing / 2, HALF_W, spacing), np.arange(-HALF_H + spacing / 2, HALF_H, spacing)
    )
    xy = np.column_stack([gx.ravel(), gy.ravel()])
    return xy + rng.uniform(-2, 2, xy.shape)


def _low_rise(xy: npt.NDArray[np.float64], rng: np.random.Generator) -> Geoms:
    """Rectangles, L-shapes and courtyard blocks (with a hole) centred on the lattice points."""
    import shapely

    n = len(xy)
    w, d = rng.uniform(10, 20, n), rng.uniform(10, 20, n)
    x0, y0, x1, y1 = xy[:, 0] - w / 2, xy[:, 1] - d / 2, xy[:, 0] + w / 2, xy[:, 1] + d / 2
    kind = rng.random(n)
    out = np.asarray(shapely.box(x0, y0, x1, y1), dtype=object)
    ell = (kind >= 0.75) & (kind < 0.96)
    xm, ym = x0 + 0.55 * w, y0 + 0.55 * d
    ring = np.stack(
        [np.column_stack(c) for c in ((x0, y0), (x1, y0), (x1, ym), (xm, ym), (xm, y1), (x0, y1))], axis=1
    )
    out[ell] = shapely.polygons(ring[ell])
    yard = kind >= 0.96
    half = 11.0  # 22 m courtyard blocks keep a gap to any neighbour on the 27 m lattice
    outer = shapely.box(xy[yard, 0] - half, xy[yard, 1] - half, xy[yard, 0] + half, xy[yard, 1] + half)
    out[yard] = shapely.difference(
        outer, shapely.box(xy[yard, 0] - 4, xy[yard, 1] - 4, xy[yard, 0] + 4, xy[yard, 1] + 4)
    )
    return out


def _towers(xy: npt.NDArray[np.float64], rng: np.random.Generator) -> Geoms:
    """Square, chamfered and round tower footprints (28–44 m across)."""
    import shapely

    n = len(xy)
    r = rng.uniform(14, 22, n)
    kind = rng.integers(0, 3, n)
    sides = np.where(kind == 0, 4, np.where(kind == 1, 8, 24))
    out = np.empty(n, dtype=object)
    for i in range(n):
        a = np.pi / sides[i] + np.arange(sides[i]) * 2 * np.pi / sides[i]
        out[i] = shapely.Polygon(np.column_stack([xy[i, 0] + r[i] * np.cos(a), xy[i, 1] + r[i] * np.sin(a)]))
    return out


def _which(points: Geoms, polys: list[tuple[Any, dict[str, Any]]], key: str) -> list[Any]:
    """For each point, ``props[key]`` of the polygon holding it (nearest one on a border)."""
    import shapely

    tree = shapely.STRtree([p for p, _ in polys])
    hit = np.full(len(points), -1)
    pi, gi = tree.query(points, predicate="intersects")
    hit[pi] = gi
    miss = hit < 0
    if miss.any():
        hit[miss] = tree.nearest(points[miss])
    return [polys[i][1][key] for i in hit.tolist()]


def _buildings(
    area: Any,
    water: Any,
    roads: list[tuple[Any, dict[str, Any]]],
    levels: dict[str, list[tuple[Any, dict[str, Any]]]],
    rng: np.random.Generator,
) -> tuple[Geoms, dict[str, list[Any]]]:
    import shapely

    road_space = shapely.union_all(
        [g.buffer(_ROAD_HALF_WIDTH[p["highway"]], cap_style="flat") for g, p in roads]
    )
    blocks = [
        b
        for b in shapely.get_parts(area.difference(shapely.union(road_space, water.buffer(12))))
        if b.area > 900
    ]
    blocks = [b for b, park in zip(blocks, rng.random(len(blocks)) < 0.06, strict=True) if not park]
    tree = shapely.STRtree(blocks)
    xz = np.linspace(-400, 1200, 60)
    yc, w = _river(xz)
    cbd = _band(xz, yc + w / 2 + 60, yc + w / 2 + 900)
    shapely.prepare(cbd)

    low = _low_rise(_lattice(27.0, rng), rng)
    low = low[np.unique(tree.query(low, predicate="within")[0])]
    low = low[~shapely.intersects(cbd, low)]
    tall_xy = _lattice(80.0, rng)
    tall_xy = tall_xy[shapely.contains_xy(cbd, tall_xy[:, 0], tall_xy[:, 1])]
    tall = _towers(tall_xy, rng)
    tall = tall[np.unique(tree.query(tall, predicate="within")[0])]
    tall = tall[shapely.within(tall, cbd)]  # low-rise stops at the CBD edge, so towers must too

    nt, nl = len(tall), len(low)
    t_height = np.round(80 + 370 * rng.beta(1.1, 3.5, nt), 1)
    t_height[int(np.argmax(t_height))] = 450.0
    names = [
        f"{TOWER_PREFIX[i % 10]}{TOWER_SUFFIX[(i // 10) % 4][0]}" + (f"{i // 40 + 1}座" if i >= 40 else "")
        for i in range(nt)
    ]
    names_en = [
        f"{TOWER_PINYIN[i % 10]} {TOWER_SUFFIX[(i // 10) % 4][1]}" + (f" {i // 40 + 1}" if i >= 40 else "")
        for i in range(nt)
    ]
    top = int(np.argmax(t_height))
    names[top], names_en[top] = "珠江之心", "Pearl Heart Tower"

    geoms = np.concatenate([tall, low])
    district = _which(shapely.point_on_surface(geoms), levels["district"], "name")
    dcode = _which(shapely.point_on_surface(geoms), levels["district"], "code")
    use = rng.choice(_USES, nl, p=[0.58, 0.18, 0.14, 0.10])
    south_east = (shapely.get_x(shapely.centroid(low)) > 800) & (np.asarray(district[nt:]) == DISTRICTS[2][0])
    use[south_east & (rng.random(nl) < 0.7)] = "industrial"
    span = {
        "residential": (12.0, 40.0),
        "commercial": (8.0, 32.0),
        "industrial": (6.0, 16.0),
        "public": (8.0, 24.0),
    }
    lo = np.array([span[u][0] for u in use])
    hi = np.array([span[u][1] for u in use])
    l_height = np.round(lo + (hi - lo) * rng.random(nl), 1)
    how = rng.random(nl)  # < 0.5 floors only, < 0.99 height only, else neither (site default applies)
    floors = np.where(how < 0.5, np.clip(np.round(l_height / 3.2), 2, 12), np.nan)
    height = np.where((how >= 0.5) & (how < 0.99), l_height, np.nan)
    props: dict[str, list[Any]] = {
        "id": [f"B{i + 1:06d}" for i in range(nt + nl)],
        "name": names + [None] * nl,
        "name_en": names_en + [None] * nl,
        "height": list(t_height) + list(height),
        "floors": list(np.round(t_height / 4.2)) + list(floors),
        "use": ["commercial"] * nt + [str(u) for u in use],
        "district": district,
        "district_code": dcode,
    }
    # residents for the flood what-if's evacuation totals: one per 35 m² of residential floor
    floor_count = np.where(np.isnan(np.asarray(props["floors"], np.float64)), 3.0, props["floors"])
    resident = np.asarray(props["use"]) == "residential"
    props["population"] = (
        np.where(resident, np.round(shapely.area(geoms) * floor_count / 35.0), 0).astype(int).tolist()
    )
    return geoms, props


def plan(seed: int = SEED) -> Plan:
    """The whole district in local metres; deterministic for a seed."""
    import shapely

    rng = np.random.default_rng(seed)
    area = shapely.box(-HALF_W, -HALF_H, HALF_W, HALF_H)
    water = _water(area)
    water_union = shapely.union_all([g for g, p in water if p["kind"] != "stream"])
    roads = _roads(area, water_union, rng)
    levels = _admin(area)
    creeks = shapely.union_all([g.buffer(8) for g, p in water if p["kind"] == "stream"])
    wet = shapely.union(water_union, creeks)
    geoms, props = _buildings(area, wet, roads, levels, rng)
    return Plan(water, wet, roads, levels, geoms, props)


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
    rows: list[tuple[float, float, float, str, str]] = []
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
            (x, y, h, props["name"], tags) for (x, y), h in zip(xy.tolist(), heading.tolist(), strict=True)
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


def _round(coords: Any) -> Any:
    if isinstance(coords, (tuple, list)) and coords and isinstance(coords[0], float):
        return [round(c, 7) for c in coords]
    return [_round(c) for c in coords]


def _geojson(items: list[tuple[Any, dict[str, Any]]], crs: str) -> str:
    """A FeatureCollection with coordinates converted from local metres to ``crs`` lon/lat."""
    import shapely
    from shapely.geometry import mapping

    frame = LocalFrame.at_wgs84(SITE_CRS, *ORIGIN)

    def convert(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        lon, lat = frame.to_wgs84(xy[:, 0], xy[:, 1])
        return np.column_stack(from_wgs84(lon, lat, crs))

    geoms = shapely.transform(np.array([g for g, _ in items], dtype=object), convert)
    feats = [
        {
            "type": "Feature",
            "properties": props,
            "geometry": {**mapping(g), "coordinates": _round(mapping(g)["coordinates"])},
        }
        for g, (_, props) in zip(geoms, items, strict=True)
    ]
    return (
        json.dumps(
            {"type": "FeatureCollection", "features": feats}, ensure_ascii=False, separators=(",", ":")
        )
        + "\n"
    )


def _csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


_BOUNDARY_ENTRY = """
[[boundaries]]
path = "data/boundary_{level}.geojson"
crs = "EPSG:4326"
level = "{level}"
code_attribute = "code"
parent_code_attribute = "parent_code"
licence = "CC0-1.0 (generated)"
"""


#: The vital signs the simulator publishes, with the thresholds the KPI panel colours by.
METRICS_TOML = """
# City vital signs on the KPI panel (names as the feed publishes them)
[[metrics]]
name = "congestion_index"
title = { en = "Traffic congestion", zh_CN = "交通拥堵指数" }
unit = ""
warn = 6.0
alarm = 8.0
decimals = 1

[[metrics]]
name = "aqi"
title = { en = "Air quality (AQI)", zh_CN = "空气质量指数" }
unit = "AQI"
warn = 100
alarm = 150
decimals = 0

[[metrics]]
name = "power_load_mw"
title = { en = "Power load", zh_CN = "电力负荷" }
unit = "MW"
warn = 1350
alarm = 1450
decimals = 0

[[metrics]]
name = "hotline_calls_per_hour"
title = { en = "12345 hotline calls", zh_CN = "12345 热线来电" }
unit = "calls/h"
warn = 130
alarm = 160
decimals = 0
"""


def site_toml() -> str:
    """The committed site file; every path is relative to it."""
    lon, lat = ORIGIN
    frame = LocalFrame.at_wgs84(SITE_CRS, *ORIGIN)
    yc, w = _river(np.array([400.0, -1000.0]))
    (cbd_lon, river_lon), (cbd_lat, river_lat) = frame.to_wgs84(
        np.array([400.0, -1000.0]), np.array([yc[0] + w[0] / 2 + 480, yc[1]])
    )
    boundaries = "".join(_BOUNDARY_ENTRY.format(level=lv) for lv in ("city", "district", "street", "grid"))
    return (
        f'''# Pearl River Demo District, generated by
#   python -m controlroom.app.sample_site --out FOLDER
# The data/ folder is produced from a fixed seed and is not committed.
schema = 1

[site]
name = "pearl-river-demo"
title = "Pearl River Demo District"
language = "en"
crs = "{SITE_CRS}"
origin = [{lon}, {lat}]
storey_height_m = 3.2
default_height_m = 10.0
timezone = "Asia/Shanghai"

[[city_model]]
path = "data/buildings.parquet"
format = "geoparquet"
crs = "EPSG:4326"
height_attribute = "height"
floors_attribute = "floors"
id_attribute = "id"
name_attribute = "name"
licence = "CC0-1.0 (generated)"
{boundaries}
[[roads]]
path = "data/roads.geojson"
crs = "EPSG:4326"
licence = "CC0-1.0 (generated)"

[[water]]
path = "data/water.geojson"
crs = "EPSG:4326"
licence = "CC0-1.0 (generated)"

[[poi]]
path = "data/poi.geojson"
crs = "gcj02"  # as a Chinese web map would publish them
licence = "CC0-1.0 (generated)"

[terrain]
path = "data/terrain.tif"  # heights in the river gauges' datum (m); EPSG:32649 inside the file
licence = "CC0-1.0 (generated)"

[flood]
population_attribute = "population"

[cameras]
path = "data/cameras.csv"
crs = "EPSG:4326"
format = "csv"

[units]
path = "data/units.csv"
crs = "EPSG:4326"
format = "csv"

[[video_playback]]  # the demo clips loop: replay seeks inside them (an NVR gets a URL with a start time)
url = "{{sub_url}}"
seek = "loop"

[feed]
endpoint = "tcp://127.0.0.1:7710"
snapshot_endpoint = "tcp://127.0.0.1:7711"
insecure = true

[dispatch]
endpoint = "tcp://127.0.0.1:7720"
publish_endpoint = "tcp://127.0.0.1:7721"
snapshot_endpoint = "tcp://127.0.0.1:7722"
insecure = true
user = "demo-supervisor"  # loopback demo without keys: this desk acts as this user
default_department = "City Management"

[[dispatch.users]]
name = "demo-operator"
role = "operator"
display_name = {{ en = "Duty operator (demo)", zh_CN = "值班操作员（演示）" }}

[[dispatch.users]]
name = "demo-supervisor"
role = "supervisor"
display_name = {{ en = "Duty supervisor (demo)", zh_CN = "值班主任（演示）" }}

[[dispatch.users]]
name = "demo-leader"
role = "leader"
display_name = {{ en = "Duty leader (demo)", zh_CN = "值班领导（演示）" }}

[[dispatch.departments]]
name = "Sanitation"
incident_types = ["garbage_piled_up"]
unit_kinds = ["sanitation", "city_management"]

[[dispatch.departments]]
name = "City Management"
incident_types = ["street_vending", "illegal_construction"]
unit_kinds = ["city_management"]

[[dispatch.departments]]
name = "Traffic Police"
incident_types = ["illegal_parking"]
unit_kinds = ["police"]

[[dispatch.departments]]
name = "Roads and Drainage"
incident_types = ["road_damage", "manhole_cover_missing", "waterlogging"]
unit_kinds = ["city_management", "fire_engine"]

[[dispatch.departments]]
name = "Parks and Greening"
incident_types = ["fallen_tree"]
unit_kinds = ["fire_engine", "city_management"]

[layouts]
names = ["single", "operator-desk", "wall-3x2", "briefing-laptop"]
default = "single"

[branding]
title = {{ en = "Pearl River Demo District", zh_CN = "珠江示范区" }}
accent_colour = "#2ea8ff"

[[views]]
name = "overview"
title = {{ en = "Whole district", zh_CN = "全区全景" }}
lon = {lon}
lat = {lat}
distance_m = 9000.0
azimuth_deg = 0.0
elevation_deg = 50.0

[[views]]
name = "cbd"
title = {{ en = "CBD", zh_CN = "中央商务区" }}
lon = {cbd_lon:.4f}
lat = {cbd_lat:.4f}
distance_m = 2200.0
azimuth_deg = 200.0
elevation_deg = 30.0
color_by = "height"

[[views]]
name = "river"
title = {{ en = "Pearl River banks", zh_CN = "珠江两岸" }}
lon = {river_lon:.4f}
lat = {river_lat:.4f}
distance_m = 1600.0
azimuth_deg = 90.0
elevation_deg = 20.0
'''
        + METRICS_TOML
        + names_toml()
    )


#: The dispatch departments (``[[dispatch.departments]] name``) with their Chinese names.
DEPARTMENTS = (
    ("City Management", "城市管理"),
    ("Traffic Police", "交警"),
    ("Roads and Drainage", "道路排水"),
    ("Parks and Greening", "园林绿化"),
)


def names_toml() -> str:
    """``[names]``: the districts' and streets' names in English (the data spell them in Chinese),
    and the dispatch departments' in Chinese (the site spells them in English)."""
    lines = [f'"{zh}" = {{ en = "{en} District", zh_CN = "{zh}" }}' for zh, en in DISTRICTS]
    lines += [f'"{zh}" = {{ en = "{en} Street", zh_CN = "{zh}" }}' for zh, en in STREETS]
    lines += [f'"{en}" = {{ en = "{en}", zh_CN = "{zh}" }}' for en, zh in DEPARTMENTS]  # spelled in English
    return "\n# Place and department names per language\n[names]\n" + "\n".join(lines) + "\n"


def generate(folder: Path, seed: int = SEED) -> Path:
    """Write site.toml and every data file under ``folder``; returns the site.toml path."""
    import geopandas as gpd
    import shapely

    p = plan(seed)
    rng = np.random.default_rng(seed + 1)
    final = folder / "data"
    # Written aside and swapped in whole: an interrupted run never leaves a half data/ behind.
    data = folder / f".data.partial-{os.getpid()}"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    frame = LocalFrame.at_wgs84(SITE_CRS, *ORIGIN)
    wgs = shapely.transform(p.buildings, lambda xy: np.column_stack(frame.to_wgs84(xy[:, 0], xy[:, 1])))
    gdf = gpd.GeoDataFrame(p.building_props, geometry=wgs, crs="EPSG:4326")
    gdf.to_parquet(data / "buildings.parquet", index=False, compression="zstd", write_covering_bbox=True)
    for level, items in p.levels.items():
        (data / f"boundary_{level}.geojson").write_text(_geojson(items, "EPSG:4326"), encoding="utf-8")
    (data / "roads.geojson").write_text(_geojson(p.roads, "EPSG:4326"), encoding="utf-8")
    (data / "water.geojson").write_text(_geojson(p.water, "EPSG:4326"), encoding="utf-8")
    pois = _pois(p, rng)
    (data / "poi.geojson").write_text(_geojson(pois, "gcj02"), encoding="utf-8")
    (data / "cameras.csv").write_text(_csv(_cameras(p, rng)), encoding="utf-8")
    (data / "units.csv").write_text(_csv(_units(p, pois, rng)), encoding="utf-8")
    from controlroom.app.sample_terrain import valley
    from controlroom.geo.terrain import write_dem

    write_dem(data / "terrain.tif", valley(p.water_area, HALF_W, HALF_H), frame)
    (data / "VERSION").write_text(f"{GENERATOR_VERSION} {seed}\n", encoding="utf-8")
    stamp = data_stamp(final)
    if stamp == GENERATOR_VERSION:
        shutil.rmtree(final)  # this version's own output: regenerated byte for byte
    elif stamp is not None:
        move_aside(final, stamp)  # anything else is kept (ensure_sample_site says where)
    elif final.exists():
        final.rmdir()
    data.rename(final)
    (folder / "site.toml").write_text(site_toml(), encoding="utf-8")
    return folder / "site.toml"


def data_stamp(data: Path) -> str | None:
    """The sample-data version that wrote ``data/`` ("1"), "unstamped" for files without a stamp,
    None when there is no data at all."""
    version = data / "VERSION"
    if version.is_file():
        words = version.read_text(encoding="utf-8", errors="replace").split()
        return words[0] if words and words[0].isalnum() else "unknown"
    if data.is_dir() and any(data.iterdir()):
        return "unstamped"
    return None


def move_aside(path: Path, stamp: str) -> Path:
    """Rename ``path`` to ``<name>.old-<stamp>`` (``-2``, ``-3`` … when taken); nothing is deleted."""
    target = path.with_name(f"{path.name}.old-{stamp}")
    n = 2
    while target.exists():
        target = path.with_name(f"{path.name}.old-{stamp}-{n}")
        n += 1
    path.rename(target)
    return target


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr)


def default_folder() -> Path:
    """Where the demo's sample site is generated: ``sample-site`` in the user's cache folder."""
    from controlroom.core.user_dirs import cache_dir

    return cache_dir("sample-site")


def ensure_sample_site(folder: Path, report: Callable[[str], None] = _to_stderr) -> Path:
    """The sample site's site.toml, generating data (and the site file) only when missing or stale.

    Data from another sample-data version (older, newer, or unstamped) is not overwritten: it is
    moved to ``data.old-<stamp>`` and ``report`` says so; so is a site.toml that differs from the
    one this version writes (the user's edits stay readable next to the new file).
    """
    folder = Path(folder)
    data = folder / "data"
    site_file = folder / "site.toml"
    stamp = data_stamp(data)
    if stamp == GENERATOR_VERSION:
        if all((data / f).is_file() for f in DATA_FILES) and site_file.is_file():
            return site_file
        return generate(folder)  # this version's data with a file missing: fill it in again
    if stamp is not None:
        moved = move_aside(data, stamp)
        report(
            f"sample site: {data} holds sample data version {stamp}; this controlroom makes version "
            f"{GENERATOR_VERSION}. Moved the old data to {moved}; generating version {GENERATOR_VERSION} now."
        )
    if site_file.is_file() and site_file.read_text(encoding="utf-8") != site_toml():
        moved = move_aside(site_file, stamp or "edited")
        report(
            f"sample site: {site_file} differs from the one this controlroom writes; "
            f"kept it as {moved} (copy your changes over if you need them)."
        )
    return generate(folder)


def demo_site(report: Callable[[str], None] = _to_stderr) -> Path:
    """The demo's sample site (``default_folder()``) with the shipped alarm rules beside it.

    A changed ``alarms.toml`` there is kept aside (``alarms.toml.old-edited``) and ``report`` says so,
    as for the site file, so an upgrade brings the current rules without losing the user's.
    """
    from controlroom.core.shipped import shipped_path

    folder = default_folder()
    site_file = ensure_sample_site(folder, report)
    rules, shipped = folder / "alarms.toml", shipped_path("sample-site", "alarms.toml").read_bytes()
    if rules.is_file() and rules.read_bytes() != shipped:
        moved = move_aside(rules, "edited")
        report(f"sample site: {rules} differs from the shipped rules; kept it as {moved}.")
    if not rules.is_file():
        rules.write_bytes(shipped)
    return site_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m controlroom.app.sample_site", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for site.toml and data/ (default: the demo's, in the user cache folder)",
    )
    parser.add_argument("--seed", type=int, default=SEED, help="random seed (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = default_folder()
    t0 = time.perf_counter()
    site = generate(args.out, args.seed)
    n = sum(1 for _ in (args.out / "data").iterdir())
    print(f"wrote {site} and {n} files in {args.out / 'data'} ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
