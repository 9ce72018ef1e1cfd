"""Load a whole site (buildings, boundaries, roads, water, POIs) into one ``CityModel``.

Runs in a worker thread: no Qt here, progress goes out through a plain callback. Every source is
built into a ``LayerBundle`` through the disk cache (``mesh_cache``), so a second start of the
same site only reads arrays back. The local frame is fixed before anything is built: the site's
origin, or the centre of the first city model source, in the site's metric CRS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from controlroom.core.city import CityLayer, CityModel, LoadIssue
from controlroom.core.issues import InputError, Issue, SiteError
from controlroom.core.site import BoundarySource, CityModelSource, Site, VectorSource
from controlroom.core.vector import LineLayer, PointLayer
from controlroom.geo import mesh_cache
from controlroom.geo.crs import LocalFrame, is_geographic
from controlroom.geo.crs_area import CrsAreaError
from controlroom.geo.footprints import FootprintSet, read_footprints, utm_crs_for
from controlroom.geo.mesh_cache import LayerBundle
from controlroom.geo.vector_layers import (
    concat_lines,
    concat_points,
    load_boundaries,
    load_points,
    load_roads,
    load_water,
)

ProgressFn = Callable[[float, str], None]

_DEFAULT_STOREY_M = 3.2
_DEFAULT_HEIGHT_M = 10.0


@dataclass
class _CitySource:
    """One city model file, parsed at most once even when both its extent and mesh are needed."""

    source: CityModelSource
    storey_height_m: float
    default_height_m: float
    _parsed: Any = field(default=None, repr=False)

    @property
    def is_cityjson(self) -> bool:
        return self.source.resolved_format == "cityjson"

    def parsed(self) -> Any:
        if self._parsed is None:
            if self.is_cityjson:
                from controlroom.geo.cityjson import read_cityjson

                self._parsed = read_cityjson(self.source.path, crs=self.source.crs, lod=self.source.lod)
            else:
                self._parsed = read_footprints(
                    self.source, storey_height_m=self.storey_height_m, default_height_m=self.default_height_m
                )
        return self._parsed

    def params(self) -> dict[str, Any]:
        p = self.source.model_dump(mode="json")
        if not self.is_cityjson:
            p |= {"storey_height_m": self.storey_height_m, "default_height_m": self.default_height_m}
        return p

    def extent(self, use_cache: bool) -> dict[str, Any]:
        """{"bbox": WGS 84 bbox, "metric_crs": the file's own metric CRS or None}, cached."""
        if self.source.resolved_format == "3dtiles":  # ECEF tiles: the root volume says where
            from controlroom.geo.tiles.store import tileset_info

            return {"bbox": tileset_info(self.source.path)["bbox_wgs84"], "metric_crs": None}
        key = mesh_cache.cache_key("extent", self.source.path, self.params())
        if use_cache and (hit := mesh_cache.cached_json(key)) is not None:
            return dict(hit)
        parsed = self.parsed()
        native = parsed.horizontal_crs if self.is_cityjson else parsed.crs
        value = {"bbox": list(parsed.bbox_wgs84()), "metric_crs": None if is_geographic(native) else native}
        if use_cache:
            mesh_cache.store_json(key, value)
        return value

    def build(self, frame: LocalFrame) -> LayerBundle:
        parsed = self.parsed()
        if self.is_cityjson:
            layers, issues = parsed.to_layers(frame)
            return LayerBundle(layers=dict(layers), issues=list(issues))
        assert isinstance(parsed, FootprintSet)
        layer, issues = parsed.to_layer(frame)
        return LayerBundle(layers={"buildings": layer}, issues=issues)


def _frame_params(frame: LocalFrame) -> dict[str, Any]:
    return {"crs": frame.crs, "origin": list(frame.origin)}


def _through_cache(
    kind: str,
    path: Path,
    params: dict[str, Any],
    frame: LocalFrame,
    build: Callable[[], LayerBundle],
    use_cache: bool,
) -> LayerBundle:
    if not use_cache:
        return build()
    key = mesh_cache.cache_key(kind, path, params | {"frame": _frame_params(frame)})
    hit = mesh_cache.load_bundle(key)
    if hit is not None:
        return hit
    bundle = build()
    mesh_cache.store_bundle(key, bundle)
    mesh_cache.prune_cache(keep=(key,))
    return bundle


@dataclass
class _Assembler:
    """Collects bundles and merges same-kind layers once at the end."""

    layers: dict[str, list[CityLayer]] = field(default_factory=dict)
    lines: dict[str, list[LineLayer]] = field(default_factory=dict)
    points: dict[str, list[PointLayer]] = field(default_factory=dict)
    issues: list[LoadIssue] = field(default_factory=list)

    def add(self, bundle: LayerBundle) -> None:
        for layer in bundle.layers.values():
            self.layers.setdefault(layer.kind, []).append(layer)
        for line in bundle.lines.values():
            self.lines.setdefault(line.kind, []).append(line)
        for pts in bundle.points.values():
            self.points.setdefault(pts.kind, []).append(pts)
        self.issues += bundle.issues

    def into(self, model: CityModel) -> CityModel:
        model.layers = {k: CityLayer.concatenate(k, v) for k, v in self.layers.items()}
        model.lines = {k: concat_lines(k, v) for k, v in self.lines.items()}
        model.points = {k: concat_points(k, v) for k, v in self.points.items()}
        model.issues = self.issues
        return model


def _report(progress: ProgressFn | None, fraction: float, message: str) -> None:
    if progress is not None:
        progress(min(max(fraction, 0.0), 1.0), message)


def site_frame(
    site: Site, city_sources: list[_CitySource] | None = None, *, use_cache: bool = True
) -> LocalFrame:
    """The site's local frame: its declared origin, else the centre of the first city model."""
    if site.site.origin is not None:
        lon, lat = site.site.origin
        return LocalFrame.at_wgs84(site.site.crs, lon, lat)
    first = (city_sources or [_city_source(site, site.city_model[0])])[0]
    x0, y0, x1, y1 = first.extent(use_cache)["bbox"]
    return LocalFrame.at_wgs84(site.site.crs, (x0 + x1) / 2, (y0 + y1) / 2)


def _city_source(site: Site, src: CityModelSource) -> _CitySource:
    return _CitySource(src, site.site.storey_height_m, site.site.default_height_m)


_MAP_LAYERS = ("city_model[", "boundaries[", "roads[", "water[", "poi[")


def _doctor_hint(site: Site) -> str:
    return f"`controlroom doctor --site {site.path}` checks every file of the site at once"


def missing_files(site: Site) -> list[Issue]:
    """Every map layer whose file is not there, by its site key: one message, before any work."""
    return [
        Issue(
            str(site.path),
            f"{key}.path",
            f"{source.path} (no such file)",
            "an existing file (paths are relative to site.toml)",
            fix=f"check the path; {_doctor_hint(site)}",
        )
        for key, source in site.data_sources()
        if key.startswith(_MAP_LAYERS) and not source.path.is_file()
    ]


@contextmanager
def _layer(site: Site, key: str) -> Iterator[None]:
    """A layer's input error as a site issue naming its key (``roads[0].crs``), not just its file."""
    try:
        yield
    except CrsAreaError as exc:
        raise SiteError([exc.issue(str(site.path), key)]) from None
    except InputError as exc:
        raise SiteError(
            [
                Issue(
                    str(site.path),
                    f"{key}.path",
                    str(exc),
                    "a readable file in the declared format",
                    fix=_doctor_hint(site),
                )
            ]
        ) from None


def load_city(
    site: Site,
    *,
    progress: ProgressFn | None = None,
    use_cache: bool = True,
    include_vectors: bool = True,
    as_tiles: bool | None = None,
) -> CityModel:
    """Every layer the site names, in one local frame, with the issues met on the way.

    ``include_vectors=False`` loads the city models only (what the tile builder needs). With
    ``as_tiles`` (default: the site's ``[city] tiles``, or a 3D Tiles source) the city models are
    not meshed here: they become tilesets (built into the cache) that the map streams.

    A missing file, an unreadable one or one outside its declared CRS's area of use raises
    ``SiteError`` naming the site key; nothing is half-shown.
    """
    if missing := missing_files(site):
        raise SiteError(missing)
    city = [_city_source(site, s) for s in site.city_model]
    _report(progress, 0.0, f"Locating {site.city_model[0].path.name}")
    with _layer(site, "city_model[0]"):
        frame = site_frame(site, city, use_cache=use_cache)
    model = CityModel(crs=frame.crs, origin=frame.origin)
    tiles = site.streams_tiles if as_tiles is None else as_tiles
    if tiles:
        model.tilesets = _site_tilesets(site, progress)
        city = []
    else:
        city = [cs for cs in city if cs.source.resolved_format != "3dtiles"]
    vector_jobs: list[tuple[str, str, VectorSource, Callable[[], LayerBundle]]] = []
    for i, b in enumerate(site.boundaries if include_vectors else []):
        vector_jobs.append(
            (f"boundary:{b.level}", f"boundaries[{i}]", b, partial(_boundaries_bundle, b, frame))
        )
    for i, r in enumerate(site.roads if include_vectors else []):
        vector_jobs.append(("roads", f"roads[{i}]", r, partial(_roads_bundle, r, frame)))
    for i, w in enumerate(site.water if include_vectors else []):
        vector_jobs.append(("water", f"water[{i}]", w, partial(_water_bundle, w, frame)))
    for i, p in enumerate(site.poi if include_vectors else []):
        vector_jobs.append(("poi", f"poi[{i}]", p, partial(_poi_bundle, p, frame)))

    total = max(len(city) * 4 + len(vector_jobs), 1)  # a city model weighs about four flat layers
    done = 0
    out = _Assembler()
    # streamed tiles are built flat (z = 0): draping their vectors alone would sink them under the ground
    ground = _site_ground(site, frame, out.issues) if include_vectors and not tiles else None
    for i, cs in enumerate(city):
        _report(progress, done / total, f"Building {cs.source.path.name}")
        with _layer(site, f"city_model[{i}]"):
            bundle = _through_cache(
                "city_model", cs.source.path, cs.params(), frame, partial(cs.build, frame), use_cache
            )
            out.add(_on_ground(bundle, ground) if ground is not None and not cs.is_cityjson else bundle)
        cs._parsed = None  # free the parsed source as soon as its mesh exists
        done += 4
        model.sources.append(str(cs.source.path))
    for kind, key, src, build in vector_jobs:
        _report(progress, done / total, f"Reading {kind} from {src.path.name}")
        with _layer(site, key):
            bundle = _through_cache(kind, src.path, src.model_dump(mode="json"), frame, build, use_cache)
            out.add(_on_ground(bundle, ground) if ground is not None else bundle)
        done += 1
        model.sources.append(str(src.path))
    out.into(model)
    if ground is not None:
        from controlroom.geo.drape import terrain_layer

        model.ground = ground
        if not model.layers.get("terrain", CityLayer.empty("terrain")).n_triangles:
            model.layers["terrain"] = terrain_layer(ground)  # a CityJSON TINRelief is drawn as it is
    _report(progress, 1.0, f"Loaded {model.n_triangles:,} triangles")
    return model


def _site_ground(site: Site, frame: LocalFrame, issues: list[LoadIssue]) -> Any:
    """The drawn ground of a site with ``[terrain]`` (``geo.drape.Ground``), else None. A terrain
    that cannot be read leaves the city on flat ground with the reason among the load issues (the
    flood what-if names it again): the map is still worth having without it."""
    if site.terrain is None:
        return None
    from controlroom.geo.drape import display_ground
    from controlroom.geo.terrain import load_terrain

    try:
        return display_ground(load_terrain(site.terrain, frame))
    except InputError as exc:
        issues.append(LoadIssue(str(site.terrain.path), None, str(exc), "skipped"))
        return None


def _on_ground(bundle: LayerBundle, ground: Any) -> LayerBundle:
    """A bundle built on z = 0 lifted onto the ground (``geo.drape``): objects by their lowest
    corner, water polygons flat along their banks, lines and points vertex by vertex."""
    from controlroom.geo.drape import flatten_objects, lift_lines, lift_objects, lift_points

    return LayerBundle(
        layers={
            k: (flatten_objects if v.kind == "water" else lift_objects)(v, ground)
            for k, v in bundle.layers.items()
        },
        lines={k: lift_lines(v, ground) for k, v in bundle.lines.items()},
        points={k: lift_points(v, ground) for k, v in bundle.points.items()},
        issues=bundle.issues,
        meta=bundle.meta,
    )


def _site_tilesets(site: Site, progress: ProgressFn | None) -> list[str]:
    """The tilesets the map streams: 3D Tiles sources as they are, the rest built into the cache."""
    from controlroom.geo.tiles.store import build_site_tiles

    out = [str(s.path) for s in site.city_model if s.resolved_format == "3dtiles"]
    if any(s.resolved_format != "3dtiles" for s in site.city_model):
        with _layer(site, "city_model[0]"):
            _, folder = build_site_tiles(site, progress=progress)
        out.insert(0, str(folder / "tileset.json"))
    return out


def _boundaries_bundle(source: BoundarySource, frame: LocalFrame) -> LayerBundle:
    layer, issues = load_boundaries(source, frame)
    return LayerBundle(lines={layer.kind: layer}, issues=issues)


def _roads_bundle(source: VectorSource, frame: LocalFrame) -> LayerBundle:
    layer, issues = load_roads(source, frame)
    return LayerBundle(lines={layer.kind: layer}, issues=issues)


def _water_bundle(source: VectorSource, frame: LocalFrame) -> LayerBundle:
    area, lines, issues = load_water(source, frame)
    return LayerBundle(layers={"water": area}, lines={"water_lines": lines}, issues=issues)


def _poi_bundle(source: VectorSource, frame: LocalFrame) -> LayerBundle:
    layer, issues = load_points(source, frame, kind="poi")
    return LayerBundle(points={layer.kind: layer}, issues=issues)


def load_city_file(
    path: str | Path,
    crs: str | None = None,
    *,
    origin_wgs84: tuple[float, float] | None = None,
    use_cache: bool = True,
    progress: ProgressFn | None = None,
) -> CityModel:
    """One city model file without a site (snapshots, benchmarks, ``city info``).

    The frame is the file's own metric CRS, or the UTM zone of its centre for lon/lat files;
    the origin is ``origin_wgs84`` or the centre of the file.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file; expected a CityJSON or footprint file")
    try:
        source = CityModelSource(path=p, crs=crs)
    except ValidationError:
        raise InputError(
            f"{p}: crs '{crs}' is not a CRS; expected 'EPSG:<code>', 'gcj02' or 'bd09'"
        ) from None
    cs = _CitySource(source, _DEFAULT_STOREY_M, _DEFAULT_HEIGHT_M)
    _report(progress, 0.0, f"Locating {p.name}")
    extent = cs.extent(use_cache)
    x0, y0, x1, y1 = extent["bbox"]
    lon, lat = origin_wgs84 if origin_wgs84 is not None else ((x0 + x1) / 2, (y0 + y1) / 2)
    frame = LocalFrame.at_wgs84(extent["metric_crs"] or utm_crs_for(lon, lat), lon, lat)
    _report(progress, 0.2, f"Building {p.name}")
    bundle = _through_cache("city_model", p, cs.params(), frame, partial(cs.build, frame), use_cache)
    model = CityModel(crs=frame.crs, origin=frame.origin, sources=[str(p)])
    out = _Assembler()
    out.add(bundle)
    out.into(model)
    _report(progress, 1.0, f"Loaded {model.n_triangles:,} triangles")
    return model
