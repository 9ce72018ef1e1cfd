"""The ~23,000 buildings: low-rise blocks on a lattice and towers in the CBD by the river, each with
its district, use and residents."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from controlroom.app.sample_site.params import (
    DISTRICTS,
    HALF_H,
    HALF_W,
    TOWER_PINYIN,
    TOWER_PREFIX,
    TOWER_SUFFIX,
    Geoms,
    _band,
    _river,
)

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
