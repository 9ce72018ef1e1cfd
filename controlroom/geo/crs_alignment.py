"""Catch a layer declared in the wrong China frame (GCJ-02 ↔ WGS 84 ↔ BD-09) by its offset.

A GCJ-02 file declared as WGS 84 still overlaps the city (the shift is only ~300–700 m), so the
extent check cannot see it. What gives it away is that the layer fits the *other* layers better
under another frame: cameras sit on roads, POIs on buildings, boundaries on boundaries. For each
sampled vertex we compare its distance to the other layers under the declared frame and under
each alternative; when nearly every vertex is closer under an alternative, the declaration is
wrong and the median shift between the two readings is the offset we report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from controlroom.core.doctor import DoctorOptions
from controlroom.core.issues import InputError, Issue
from controlroom.core.site import BoundarySource, CityModelSource, Site, VectorSource
from controlroom.geo.crs import from_wgs84, normalise_crs, to_wgs84

FloatArray = npt.NDArray[np.float64]

CHINA_FRAMES = ("EPSG:4326", "gcj02", "bd09")
SAMPLE = 400  # vertices per layer: enough for a clear majority, fast on any city
MIN_POINTS = 5
MAX_SCORE = 0.5  # the alternative must put the layer at least twice as tight as chance...
SCORE_RATIO = 0.5  # ...and twice as tight as the declared frame does
# Arbitrary moves of the size of the GCJ-02 offset: where a misplaced layer would land.
_CHANCE_OFFSETS = [np.array([np.cos(a), np.sin(a)]) * 600.0 for a in np.radians([20, 110, 200, 290])]
_NAMES = {"EPSG:4326": "WGS 84", "gcj02": "GCJ-02", "bd09": "BD-09"}
_TOML = {"EPSG:4326": "EPSG:4326", "gcj02": "gcj02", "bd09": "bd09"}


@dataclass(frozen=True)
class Misfit:
    key: str
    declared: str
    better: str
    declared_score: float
    score: float
    offset_m: float


def _geoms(source: CityModelSource | VectorSource) -> Any:
    from controlroom.geo.vector_layers import read_frame

    df, _ = read_frame(source.path, source.resolved_format, what="a layer")
    geoms = df.geometry.to_numpy()
    return geoms[[g is not None and not g.is_empty for g in geoms]]


def _sample_vertices(geoms: Any) -> FloatArray:
    import shapely

    xy = shapely.get_coordinates(shapely.boundary(geoms) if _is_polygonal(geoms) else geoms)
    if len(xy) > SAMPLE:
        xy = xy[np.linspace(0, len(xy) - 1, SAMPLE).astype(int)]
    return np.asarray(xy, np.float64)


def _is_polygonal(geoms: Any) -> bool:
    import shapely

    kinds = shapely.get_type_id(geoms)
    return bool(len(kinds)) and bool(np.all((kinds == 3) | (kinds == 6)))


def _to_metric(geoms: Any, crs: str, site_crs: str) -> Any:
    import shapely

    def move(xy: FloatArray) -> FloatArray:
        lon, lat = to_wgs84(xy[:, 0], xy[:, 1], crs)
        return np.column_stack(from_wgs84(lon, lat, site_crs))

    return shapely.transform(geoms, move)


def _declared_crs(source: CityModelSource | VectorSource) -> str | None:
    return normalise_crs(source.crs) if source.crs else None


def _metric_layers(site: Site, layers: dict[str, tuple[Any, str]]) -> dict[str, Any]:
    """Every layer in the site's metric CRS; admin areas as their outlines (they tile the city)."""
    import shapely

    out = {}
    for key, (geoms, crs) in layers.items():
        metric = _to_metric(geoms, crs, site.site.crs)
        out[key] = shapely.boundary(metric) if key.startswith("boundaries") else metric
    return out


def _distances(tree: Any, xy: FloatArray) -> FloatArray:
    import shapely

    _, dist = tree.query_nearest(shapely.points(xy), return_distance=True, all_matches=False)
    return np.asarray(dist, np.float64)


def _fit(trees: dict[str, Any], xy: FloatArray) -> dict[str, float]:
    """Median distance (m) of the points to each other layer."""
    return {k: float(np.median(_distances(t, xy))) for k, t in trees.items()}


def _best_score(fit: dict[str, float], chance: dict[str, float]) -> float:
    """How much tighter than chance the points sit on their best-matching layer (0 = exactly on it)."""
    return min((fit[k] + 1.0) / (chance[k] + 1.0) for k in fit)


def find_misfits(site: Site) -> tuple[list[Misfit], list[Issue]]:
    """Layers that fit the rest of the site clearly better in another China frame.

    Fit is measured against each other layer separately (a union of dense layers is close to
    everything) and relative to chance: the same points moved by a few arbitrary offsets of the
    GCJ-02 size give the distance a misplaced layer would have.
    """
    import shapely

    layers: dict[str, tuple[Any, str]] = {}
    for key, source in site.data_sources():
        crs = _declared_crs(source)
        if crs is None or source.resolved_format == "cityjson" or not source.path.exists():
            continue
        try:
            geoms = _geoms(source)
        except InputError:
            continue  # the file check reports it
        if len(geoms):
            layers[key] = (geoms, crs)
    metric = _metric_layers(site, layers)
    all_trees = {k: shapely.STRtree(m) for k, m in metric.items()}
    misfits = []
    for key, (geoms, crs) in layers.items():
        if crs not in CHINA_FRAMES:
            continue
        xy = _sample_vertices(geoms)
        trees = {k: t for k, t in all_trees.items() if k != key}
        if len(xy) < MIN_POINTS or not trees:
            continue
        readings = {}
        for frame in CHINA_FRAMES:
            lon, lat = to_wgs84(xy[:, 0], xy[:, 1], frame)
            readings[frame] = np.column_stack(from_wgs84(lon, lat, site.site.crs))
        declared_xy = readings[crs]
        shifts = {f: float(np.median(np.hypot(*(readings[f] - declared_xy).T))) for f in CHINA_FRAMES}
        if max(shifts.values()) < 50.0:  # outside China the three frames coincide
            continue
        chance_fits = [_fit(trees, declared_xy + offset) for offset in _CHANCE_OFFSETS]
        chance = {k: float(np.median([c[k] for c in chance_fits])) for k in trees}
        declared_score = _best_score(_fit(trees, declared_xy), chance)
        for alt in CHINA_FRAMES:
            if alt == crs or shifts[alt] < 50.0:
                continue
            fit = _fit(trees, readings[alt])
            score = _best_score(fit, chance)
            if score < MAX_SCORE and score < declared_score * SCORE_RATIO:
                misfits.append(Misfit(key, crs, alt, declared_score, score, shifts[alt]))
    return misfits, []


def check_crs_alignment(site: Site, options: DoctorOptions | None = None) -> list[Issue]:
    """Doctor check: each layer's declared frame agrees with where the other layers put the city."""
    misfits, issues = find_misfits(site)
    for m in misfits:
        issues.append(
            Issue(
                str(site.path),
                f"{m.key}.crs",
                f'crs = "{_TOML[m.declared]}", but the layer sits {m.offset_m:.0f} m off the other layers '
                f"(read as {_NAMES[m.better]} it lines up with them "
                f"{m.declared_score / max(m.score, 1e-3):.0f}x tighter)",
                f"the frame the file's coordinates are really in ({_NAMES[m.better]})",
                fix=f'set crs = "{_TOML[m.better]}" for {m.key} (Chinese web maps publish GCJ-02; '
                "GPS and OpenStreetMap are WGS 84)",
            )
        )
    return issues


__all__ = ["BoundarySource", "Misfit", "check_crs_alignment", "find_misfits"]
