"""The district in local metres: river and canals, roads with bridges, four admin levels, buildings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from controlroom.app.sample_site.buildings import _buildings
from controlroom.app.sample_site.params import (
    DISTRICTS,
    HALF_H,
    HALF_W,
    NS_ARTERIALS,
    SEED,
    STREETS,
    Geoms,
    _band,
    _river,
)


@dataclass
class Plan:
    """The district in local metres (site CRS minus the origin) before it is written out."""

    water: list[tuple[Any, dict[str, Any]]]
    water_area: Any  # river, canals and buffered creeks: where the ground is a bed
    roads: list[tuple[Any, dict[str, Any]]]
    levels: dict[str, list[tuple[Any, dict[str, Any]]]]
    buildings: Geoms
    building_props: dict[str, list[Any]]


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
