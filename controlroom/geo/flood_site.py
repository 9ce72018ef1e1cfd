"""Build a ``FloodScene`` from a site and its loaded city model (once per city).

The terrain comes from ``[terrain]``; the river is the model's ``water`` layer rasterised onto the
terrain's grid; the buildings, roads and POIs are the model's own layers; cameras and units come
from the site's registries. A site without ``[terrain]`` gets ``NoTerrainError``: the what-if
needs ground heights. Asked for (``flat_ground=True``), it gets a flat-ground approximation
instead: the ground flat at ``[flood] flat_ground_m`` over the city, the water layer's cells a
river bed below it. That says what a level means for depths (level − ground everywhere the water
reaches), not where the water stops: every place connected to the river floods at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from controlroom.core.issues import InputError
from controlroom.geo.flood import water_mask
from controlroom.geo.flood_impact import BuildingSamples, RoadSamples
from controlroom.geo.flood_whatif import AdminLabeller, FloodScene, PointSet
from controlroom.geo.terrain import Terrain, load_terrain

if TYPE_CHECKING:
    from controlroom.core.city import CityModel
    from controlroom.core.site import Site
    from controlroom.core.vector import PointLayer
    from controlroom.geo.crs import LocalFrame


class NoTerrainError(InputError):
    """The site has no ``[terrain]``."""


FLAT_CELL_M = 10.0
FLAT_MAX_CELLS = 4_000_000
FLAT_MARGIN_M = 100.0
FLAT_BED_M = 2.0  # the water layer's cells lie this far below the flat ground


def flat_terrain(model: CityModel, ground_m: float) -> Terrain:
    """Flat ground at ``ground_m`` over the city's extent (plus a margin)."""
    x0, x1, y0, y1, _, _ = model.bounds()
    x0, y0 = x0 - FLAT_MARGIN_M, y0 - FLAT_MARGIN_M
    w, h = x1 - x0 + FLAT_MARGIN_M, y1 - y0 + FLAT_MARGIN_M
    cell = max(FLAT_CELL_M, float(np.sqrt(w * h / FLAT_MAX_CELLS)))
    ny, nx = int(np.ceil(h / cell)) + 1, int(np.ceil(w / cell)) + 1
    return Terrain(np.full((ny, nx), ground_m, np.float32), x0, y0, cell, "flat ground")


def _points(layer: PointLayer, keep: np.ndarray | None = None) -> PointSet:
    idx = np.flatnonzero(keep) if keep is not None else np.arange(layer.n_points)
    feats = [layer.features[i] for i in idx.tolist()]
    ids = [str(f.get("id") or f.get("name") or i) for f, i in zip(feats, idx.tolist(), strict=True)]
    names = [str(f.get("name") or "") for f in feats]
    return PointSet(
        ids, names, layer.points[idx, 0].astype(np.float64), layer.points[idx, 1].astype(np.float64)
    )


def grid_labeller(
    terrain: Terrain, frame: LocalFrame, levels: dict[str, tuple[list[Any], list[str]]]
) -> AdminLabeller:
    """Admin names by terrain cell: each level's polygons (WGS 84) burnt once into the grid, so
    naming a million points is one gather. ``levels``: level → (polygons, names), e.g. the
    dispatch ``AdminRouter``'s layers (already converted from GCJ-02/BD-09)."""
    import shapely
    from affine import Affine
    from rasterio.features import rasterize

    transform = Affine(
        terrain.cell, 0.0, terrain.x0 - terrain.cell / 2, 0.0, terrain.cell, terrain.y0 - terrain.cell / 2
    )
    grids: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for level, (geoms, names) in levels.items():
        local = shapely.transform(
            np.asarray(geoms, dtype=object), lambda xy: np.column_stack(frame.from_wgs84(xy[:, 0], xy[:, 1]))
        )
        pairs = [(g, k + 1) for k, g in enumerate(local) if g is not None and not g.is_empty]
        burnt = (
            rasterize(
                pairs, out_shape=terrain.shape, transform=transform, fill=0, dtype="int32", all_touched=True
            )
            if pairs
            else np.zeros(terrain.shape, np.int32)
        )
        grids[level] = (burnt, np.asarray(["", *names], dtype=object))

    def label(x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
        i, j, inside = terrain.index(x, y)
        out = {}
        for level, (burnt, names) in grids.items():
            code = np.where(inside, burnt[i, j], 0)
            out[level] = names[code]
        return out

    return label


def scene_for(
    site: Site,
    model: CityModel,
    frame: LocalFrame,
    *,
    terrain: Terrain | None = None,
    admin_levels: dict[str, tuple[list[Any], list[str]]] | None = None,
    flat_ground: bool = False,
) -> FloodScene:
    """Everything the what-if needs for this site, in the model's local frame. ``admin_levels``
    (level → WGS 84 polygons, names) gives the totals by district/street/grid. ``flat_ground``:
    a site without ``[terrain]`` gets the flat-ground approximation instead of ``NoTerrainError``."""
    flat = terrain is None and site.terrain is None
    if terrain is None:
        if site.terrain is None:
            if not flat_ground:
                raise NoTerrainError(
                    f"{site.path}: the site has no [terrain]; expected a [terrain] section naming a DEM "
                    f"(GeoTIFF/ASCII grid) or a CityJSON file with a TINRelief (see docs/site.md); "
                    f"a flat-ground approximation from the water layer is available instead"
                )
            terrain = flat_terrain(model, site.flood.flat_ground_m)
        else:
            terrain = load_terrain(site.terrain, frame)
    cfg = site.flood
    buildings_layer = model.layers.get("buildings")
    if buildings_layer is None:
        buildings = BuildingSamples.from_points(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), [])
    else:
        buildings = BuildingSamples.from_layer(buildings_layer, cfg.population_attribute)
    roads_layer = model.lines.get("roads")
    roads = RoadSamples.from_layer(roads_layer, step_m=max(terrain.cell / 2, 1.0)) if roads_layer else None
    points: dict[str, PointSet] = {}
    poi = model.points.get("poi")
    if poi is not None and poi.n_points:
        tags = set(cfg.underground_tags)
        keep = np.array([str(f.get(cfg.underground_attribute, "")) in tags for f in poi.features], bool)
        points["underground"] = _points(poi, keep)
    from controlroom.geo.cameras import site_cameras

    cams = site_cameras(site, frame)
    if cams is not None:
        points["cameras"] = PointSet(list(cams.ids), list(cams.names), cams.x, cams.y)
    if site.units is not None:
        from controlroom.geo.vector_layers import load_points

        units, _ = load_points(site.units, frame, kind="units")
        points["units"] = _points(units)
    river = water_mask(terrain, model.layers.get("water"))
    offset, flat_m = 0.0, None
    if flat:
        if not river.any():
            raise NoTerrainError(
                f"{site.path}: the site has no [terrain] and no water layer; the flat-ground "
                f"approximation floods from the water layer (river and canal polygons): expected a "
                f"[[water]] source, or a [terrain] section"
            )
        flat_m = float(cfg.flat_ground_m)
        z = terrain.z.copy()
        z[river] = flat_m - FLAT_BED_M
        terrain = Terrain(z, terrain.x0, terrain.y0, terrain.cell, terrain.source)
        offset = flat_m if getattr(model, "ground", None) is None else 0.0  # the city stands on z = 0
    labeller = grid_labeller(terrain, frame, admin_levels) if admin_levels else None
    return FloodScene(
        terrain, river, buildings, roads, points, cfg, labeller, draw_offset_m=offset, flat_ground_m=flat_m
    )
