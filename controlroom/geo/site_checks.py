"""Checks that a validated site's files exist, parse, and sit where the site says they are.

The schema (core.site) cannot know whether ``data/roads.geojson`` is really there, really a road
layer, or really in the frame it is declared in; these checks open each file (cheaply: metadata
and bounds, not the whole content where avoidable) so an installer learns it before the site
goes on a wall.
"""

from __future__ import annotations

import csv
from pathlib import Path

from controlroom.core.doctor import DoctorOptions
from controlroom.core.issues import InputError, Issue
from controlroom.core.site import CityModelSource, Site, VectorSource
from controlroom.geo.crs import to_wgs84
from controlroom.geo.crs_area import FIX_SITE, CrsAreaError, check_crs_area

BBox = tuple[float, float, float, float]

_LON_KEYS = ("lon", "lng", "longitude", "x")
_LAT_KEYS = ("lat", "latitude", "y")


def _csv_bounds(path: Path) -> tuple[BBox, int]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        lon_key = next((k for k in _LON_KEYS if k in header), None)
        lat_key = next((k for k in _LAT_KEYS if k in header), None)
        if lon_key is None or lat_key is None:
            raise InputError(f"{path}: CSV header {header} has no lon/lat columns (expected e.g. 'lon,lat')")
        names = {h.strip().lower(): h for h in reader.fieldnames or []}
        xs: list[float] = []
        ys: list[float] = []
        for n, row in enumerate(reader, start=2):
            try:
                xs.append(float(row[names[lon_key]]))
                ys.append(float(row[names[lat_key]]))
            except (TypeError, ValueError):
                raise InputError(
                    f"{path}: line {n}: {lon_key}/{lat_key} = "
                    f"{row[names[lon_key]]!r}/{row[names[lat_key]]!r}; "
                    "expected numbers"
                ) from None
    if not xs:
        raise InputError(f"{path}: no rows")
    return (min(xs), min(ys), max(xs), max(ys)), len(xs)


def source_bounds_wgs84(source: CityModelSource | VectorSource) -> tuple[BBox, int]:
    """(bbox in WGS 84, feature count) of one source, raising InputError when it cannot be read."""
    path = source.path
    if not path.exists():
        raise InputError(f"{path}: file not found")
    fmt = source.resolved_format
    if fmt == "cityjson":
        from controlroom.geo.cityjson import read_cityjson

        cj = read_cityjson(path, crs=source.crs)
        return cj.bbox_wgs84(), sum(cj.object_counts().values())
    if fmt == "csv":
        (x0, y0, x1, y1), count = _csv_bounds(path)
        crs = source.crs or "EPSG:4326"
    elif fmt == "geoparquet":
        # GDAL's Parquet driver in the pyogrio wheels can need libduckdb; geopandas reads it directly.
        from controlroom.geo.vector_layers import read_frame

        df, file_crs = read_frame(path, fmt, what="a GeoParquet layer")
        count = len(df)
        if count == 0:
            raise InputError(f"{path}: the layer has no features")
        x0, y0, x1, y1 = (float(v) for v in df.total_bounds)
        crs = source.crs or (file_crs.to_string() if file_crs is not None else "")
        if not crs:
            raise InputError(f"{path}: no CRS declared in the site or the file")
    else:
        import pyogrio

        try:
            info = pyogrio.read_info(path, force_total_bounds=True)
        except Exception as exc:  # pyogrio raises DataSourceError & friends; all mean "cannot read"
            from controlroom.geo.file_kind import sniff

            if (kind := sniff(path)) is not None:  # GDAL would talk about drivers; say what it is
                raise InputError(f"{path}: found {kind}; expected a {fmt} layer") from None
            raise InputError(f"{path}: cannot be read as {fmt} ({exc})") from None
        count = int(info["features"])
        if count == 0:
            raise InputError(f"{path}: the layer has no features")
        x0, y0, x1, y1 = (float(v) for v in info["total_bounds"])
        crs = source.crs or (info.get("crs") or "")
        if not crs:
            raise InputError(f"{path}: no CRS declared in the site or the file")
    check_crs_area(path, (x0, y0, x1, y1), crs, "crs" if source.crs else "the file's own CRS", FIX_SITE)
    lon, lat = to_wgs84([x0, x1, x0, x1], [y0, y0, y1, y1], crs)
    return (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())), count


def _overlaps(a: BBox, b: BBox, margin_deg: float = 0.0) -> bool:
    return not (
        a[2] < b[0] - margin_deg
        or b[2] < a[0] - margin_deg
        or a[3] < b[1] - margin_deg
        or b[3] < a[1] - margin_deg
    )


def check_site_files(site: Site, options: DoctorOptions | None = None) -> list[Issue]:
    """Every referenced file exists and parses; every layer overlaps the city model's extent."""
    issues: list[Issue] = []
    site_file = str(site.path)
    bounds: dict[str, BBox] = {}
    for key, source in site.data_sources():
        if not source.path.exists():
            issues.append(
                Issue(
                    site_file,
                    f"{key}.path",
                    str(source.path),
                    "an existing file",
                    fix="check the path (relative to site.toml)",
                )
            )
            continue
        try:
            bbox, count = source_bounds_wgs84(source)
        except CrsAreaError as exc:  # this layer, not the others, is the one in the wrong place
            issues.append(exc.issue(site_file, key))
            continue
        except InputError as exc:
            issues.append(
                Issue(site_file, f"{key}.path", str(exc), "a readable file in the declared format and CRS")
            )
            continue
        bounds[key] = bbox
        if count == 0:
            issues.append(
                Issue(site_file, f"{key}.path", "0 features", "at least one feature", severity="warning")
            )
    model_boxes = [b for k, b in bounds.items() if k.startswith("city_model")]
    if model_boxes:
        extent: BBox = (
            min(b[0] for b in model_boxes),
            min(b[1] for b in model_boxes),
            max(b[2] for b in model_boxes),
            max(b[3] for b in model_boxes),
        )
        for key, bbox in bounds.items():
            if not key.startswith("city_model") and not _overlaps(bbox, extent, margin_deg=0.01):
                issues.append(
                    Issue(
                        site_file,
                        key,
                        "extent " + ", ".join(f"{v:.4f}" for v in bbox),
                        "a layer overlapping the city model (" + ", ".join(f"{v:.4f}" for v in extent) + ")",
                        fix="check the layer's declared crs",
                    )
                )
    if site.site.origin is not None and model_boxes:
        lon, lat = site.site.origin
        if not _overlaps((lon, lat, lon, lat), extent, margin_deg=0.05):
            issues.append(
                Issue(
                    site_file,
                    "site.origin",
                    f"{lon}, {lat}",
                    "a lon/lat inside or near the city model",
                    severity="warning",
                )
            )
    return issues
