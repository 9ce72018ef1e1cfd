"""Flat GIS layers (roads, admin boundaries, water, POIs) read from files into the local frame.

They are draped just above the ground (a few decimetres apart, so they never z-fight with each
other or the terrain) and keep their properties per feature for picking and labels. Every file's
declared CRS is honoured; GCJ-02 / BD-09 go to WGS 84 first like every other input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from controlroom.core.city import CityLayer, CityObjects, LoadIssue, Surface
from controlroom.core.issues import InputError
from controlroom.core.site import BoundarySource, VectorSource
from controlroom.core.vector import LineLayer, PointLayer
from controlroom.geo.crs import WGS84, LocalFrame, to_wgs84
from controlroom.geo.extrude import flat_polygons

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

# Height above ground (m) each flat layer is drawn at.
DRAPE_Z: dict[str, float] = {
    "water": 0.2,
    "water_lines": 0.25,
    "roads": 0.3,
    "boundary:grid": 0.5,
    "boundary:street": 0.6,
    "boundary:district": 0.7,
    "boundary:city": 0.8,
    "poi": 1.0,
}

_LON_COLUMNS = ("lon", "lng", "longitude", "x", "LON", "Longitude")
_LAT_COLUMNS = ("lat", "latitude", "y", "LAT", "Latitude")


def read_frame(path: Path, fmt: str, *, what: str) -> tuple[gpd.GeoDataFrame, Any]:
    """Read a vector file as a GeoDataFrame; (frame, the file's own CRS or None).

    Any failure becomes an ``InputError`` naming the file and what it should have been.
    """
    import geopandas as gpd

    if path.is_dir():
        raise InputError(f"{path}: is a folder; expected {what} as a {fmt} file")
    if not path.is_file():
        raise InputError(f"{path}: no such file; expected {what} as {fmt}")
    try:
        if fmt == "geoparquet":
            df = gpd.read_parquet(path)
        elif fmt == "csv":
            df = _read_csv_points(path)
        else:
            try:
                df = gpd.read_file(path, engine="pyogrio", use_arrow=True)
            except (TypeError, ValueError, NotImplementedError):
                # Arrow refuses some mixed-type columns; the plain reader copes.
                df = gpd.read_file(path, engine="pyogrio")
    except InputError:
        raise
    except Exception as exc:
        from controlroom.geo.file_kind import sniff

        if (kind := sniff(path)) is not None:  # GDAL would talk about drivers; say what the file is
            raise InputError(f"{path}: found {kind}; expected {what} as {fmt}") from None
        raise InputError(
            f"{path}: cannot be read as {fmt} ({type(exc).__name__}: {exc}); expected {what}"
        ) from None
    if not isinstance(df, gpd.GeoDataFrame) or df.geometry is None:
        raise InputError(f"{path}: has no geometry column; expected {what} as {fmt}")
    return df, df.crs


def _read_csv_points(path: Path) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import pandas as pd

    df = pd.read_csv(path)
    lon = next((c for c in _LON_COLUMNS if c in df.columns), None)
    lat = next((c for c in _LAT_COLUMNS if c in df.columns), None)
    if lon is None or lat is None:
        raise InputError(
            f"{path}: no lon/lat columns (found {', '.join(map(str, df.columns))}); "
            "expected columns 'lon' and 'lat'"
        )
    x = pd.to_numeric(df[lon], errors="coerce")
    y = pd.to_numeric(df[lat], errors="coerce")
    if x.isna().any() or y.isna().any():
        row = int(np.flatnonzero((x.isna() | y.isna()).to_numpy())[0])
        raise InputError(
            f"{path}: row {row + 2}: '{df[lon].iloc[row]}', '{df[lat].iloc[row]}' are not numbers; "
            "expected decimal lon/lat"
        )
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(x, y), crs=None)


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, np.generic):  # before float: np.float64 is a float subclass
        return _clean(value.item())
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def json_safe_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts of JSON types (NaN → None, numpy scalars → Python, dates → ISO text)."""
    import pandas as pd

    columns: list[list[Any]] = []
    for name in df.columns:
        col = df[name]
        kind = col.dtype.kind
        if kind == "f":
            arr = np.asarray(col.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
            values: list[Any] = arr.tolist()
            for i in np.flatnonzero(np.isnan(arr)):
                values[i] = None
        elif kind in "iub":
            values = col.to_numpy().tolist()
        elif isinstance(col.dtype, pd.StringDtype):  # text: already JSON-safe, only NA → None
            values = col.astype(object).where(col.notna(), None).tolist()
        else:
            values = [_clean(v) for v in col.tolist()]
        columns.append(values)
    keys = [str(c) for c in df.columns]
    return (
        [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]
        if keys
        else [{} for _ in range(len(df))]
    )


def read_features(
    source: VectorSource, *, what: str
) -> tuple[npt.NDArray[np.object_], str, list[dict[str, Any]]]:
    """Geometries in a working CRS (the declared one, or WGS 84 for China frames) + properties."""
    import shapely

    from controlroom.geo.crs_area import FIX_SITE, check_crs_area

    df, _ = read_frame(source.path, source.resolved_format, what=what)
    if len(df):
        check_crs_area(source.path, df.total_bounds, source.crs, "crs", FIX_SITE)
    geoms = np.asarray(df.geometry.values, dtype=object)
    records = json_safe_records(df.drop(columns=df.geometry.name))
    crs = source.crs
    if crs in ("gcj02", "bd09"):
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], crs)))
        crs = WGS84
    return geoms, crs, records


def _to_local(geoms: npt.NDArray[np.object_], crs: str, frame: LocalFrame) -> npt.NDArray[np.object_]:
    import shapely

    return np.asarray(
        shapely.transform(geoms, lambda xy: np.column_stack(frame.from_crs(xy[:, 0], xy[:, 1], crs))),
        dtype=object,
    )


def _lines_from(
    lines_and_rows: tuple[npt.NDArray[np.object_], npt.NDArray[np.int64]],
    kind: str,
    z: float,
    features: list[dict[str, Any]],
) -> LineLayer:
    """CSR polylines from LineStrings / LinearRings, each tagged with its feature row."""
    import shapely

    lines, row = lines_and_rows
    n = shapely.get_num_coordinates(lines).astype(np.int64)
    ok = n >= 2
    lines, row, n = lines[ok], row[ok], n[ok]
    xy = shapely.get_coordinates(lines)
    points = np.column_stack([xy, np.full(len(xy), z)])
    offsets = np.concatenate([[0], np.cumsum(n)]).astype(np.int64)
    return LineLayer(kind, points, offsets, row.astype(np.int32), features)


def _skip(
    issues: list[LoadIssue],
    source: Path,
    rows: npt.NDArray[np.int64],
    geoms: npt.NDArray[np.object_],
    want: str,
) -> None:
    for i in rows.tolist():
        g = geoms[i]
        found = "no geometry" if g is None else f"{g.geom_type}"
        issues.append(LoadIssue(str(source), str(i), f"{found} where {want} was expected", "skipped"))


def load_lines(
    source: VectorSource, frame: LocalFrame, *, kind: str, what: str, outlines: bool = False
) -> tuple[LineLayer, list[LoadIssue]]:
    """Line features (or polygon outlines when ``outlines``) as one ``LineLayer``."""
    import shapely

    geoms, crs, records = read_features(source, what=what)
    issues: list[LoadIssue] = []
    local = _to_local(geoms, crs, frame)
    parts, row = shapely.get_parts(local, return_index=True)
    type_id = shapely.get_type_id(parts)
    if outlines:
        is_poly = type_id == 3
        rings, ring_row = shapely.get_rings(parts[is_poly], return_index=True)
        chosen = (rings, row[is_poly][ring_row])
        bad_rows = np.unique(row[~is_poly])
        want = "a polygon"
    else:
        is_line = np.isin(type_id, (1, 2))
        chosen = (parts[is_line], row[is_line])
        bad_rows = np.unique(row[~is_line])
        want = "a line"
    missing = np.setdiff1d(np.arange(len(geoms)), row)
    _skip(issues, source.path, np.union1d(bad_rows, missing), geoms, want)
    return _lines_from(chosen, kind, DRAPE_Z.get(kind, 0.3), records), issues


def load_roads(source: VectorSource, frame: LocalFrame) -> tuple[LineLayer, list[LoadIssue]]:
    return load_lines(source, frame, kind="roads", what="road lines")


def load_boundaries(source: BoundarySource, frame: LocalFrame) -> tuple[LineLayer, list[LoadIssue]]:
    """Admin area outlines; each feature carries ``name``, ``code``, ``level`` plus its properties."""
    kind = f"boundary:{source.level}"
    layer, issues = load_lines(
        source, frame, kind=kind, what=f"{source.level} boundary polygons", outlines=True
    )
    for f in layer.features:
        f["level"] = source.level
        if source.name_attribute and source.name_attribute in f:
            f["name"] = f[source.name_attribute]
        if source.code_attribute and source.code_attribute in f:
            f["code"] = None if f[source.code_attribute] is None else str(f[source.code_attribute])
        if source.parent_code_attribute and source.parent_code_attribute in f:
            f["parent_code"] = f[source.parent_code_attribute]
    return layer, issues


def load_water(source: VectorSource, frame: LocalFrame) -> tuple[CityLayer, LineLayer, list[LoadIssue]]:
    """Water areas as a flat mesh (kind "water") and rivers drawn as lines (kind "water_lines")."""
    import shapely

    geoms, crs, records = read_features(source, what="water polygons or lines")
    issues: list[LoadIssue] = []
    local = _to_local(geoms, crs, frame)
    parts, row = shapely.get_parts(local, return_index=True)
    type_id = shapely.get_type_id(parts)
    invalid = (type_id == 3) & ~shapely.is_valid(parts)
    if invalid.any():
        for r in np.unique(row[invalid]).tolist():
            issues.append(LoadIssue(str(source.path), str(r), "invalid water polygon", "repaired"))
        fixed, fixed_row = shapely.get_parts(shapely.make_valid(parts[invalid]), return_index=True)
        parts = np.concatenate([parts[~invalid], fixed])
        row = np.concatenate([row[~invalid], row[invalid][fixed_row]])
        type_id = shapely.get_type_id(parts)
    is_poly = (type_id == 3) & (shapely.area(parts) > 0)
    is_line = np.isin(type_id, (1, 2))
    _skip(
        issues,
        source.path,
        np.setdiff1d(np.arange(len(geoms)), row[is_poly | is_line]),
        geoms,
        "a polygon or a line",
    )

    polys = shapely.orient_polygons(parts[is_poly], exterior_cw=False)
    poly_rows = np.unique(row[is_poly])
    objects = CityObjects()
    for r in poly_rows.tolist():
        rec = records[r]
        objects.append(str(rec.get("id", r)), "water", name=_name(rec, source), attributes=rec)
    area = flat_polygons(
        polys,
        DRAPE_Z["water"],
        kind="water",
        surface=Surface.OTHER,
        object_index=np.searchsorted(poly_rows, row[is_poly]),
        objects=objects,
    )
    lines = _lines_from((parts[is_line], row[is_line]), "water_lines", DRAPE_Z["water_lines"], records)
    return area, lines, issues


def _name(rec: dict[str, Any], source: VectorSource) -> str | None:
    value = rec.get(source.name_attribute or "name")
    return value if isinstance(value, str) and value else None


def load_points(
    source: VectorSource, frame: LocalFrame, *, kind: str = "poi"
) -> tuple[PointLayer, list[LoadIssue]]:
    """Point features; areas and lines are represented by a point on their surface."""
    import shapely

    geoms, crs, records = read_features(source, what="points of interest")
    issues: list[LoadIssue] = []
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    _skip(issues, source.path, np.flatnonzero(~present), geoms, "a point")
    pts = shapely.point_on_surface(geoms[present])
    xy = shapely.get_coordinates(pts)
    x, y = frame.from_crs(xy[:, 0], xy[:, 1], crs)
    points = np.column_stack([x, y, np.full(len(x), DRAPE_Z.get(kind, 1.0))])
    features = [records[i] for i in np.flatnonzero(present).tolist()]
    for f in features:
        if source.name_attribute and source.name_attribute in f:
            f["name"] = f[source.name_attribute]
    return PointLayer(kind, points, features), issues


def concat_lines(kind: str, parts: Sequence[LineLayer]) -> LineLayer:
    """Merge line layers of one kind, re-basing offsets and feature indices."""
    parts = [p for p in parts if p.n_lines or p.features]
    if not parts:
        return LineLayer.empty(kind)
    if len(parts) == 1:
        p = parts[0]
        return LineLayer(kind, p.points, p.offsets, p.cell_feature, p.features)
    point_base = np.cumsum([0] + [len(p.points) for p in parts[:-1]])
    feature_base = np.cumsum([0] + [len(p.features) for p in parts[:-1]])
    offsets = [np.zeros(1, np.int64)] + [p.offsets[1:] + b for p, b in zip(parts, point_base, strict=True)]
    features: list[dict[str, Any]] = []
    for p in parts:
        features += p.features
    return LineLayer(
        kind,
        np.concatenate([p.points for p in parts]),
        np.concatenate(offsets).astype(np.int64),
        np.concatenate(
            [p.cell_feature + np.int32(b) for p, b in zip(parts, feature_base, strict=True)]
        ).astype(np.int32),
        features,
    )


def concat_points(kind: str, parts: Sequence[PointLayer]) -> PointLayer:
    features: list[dict[str, Any]] = []
    for p in parts:
        features += p.features
    pts = [p.points for p in parts if len(p.points)]
    return PointLayer(kind, np.concatenate(pts) if pts else np.empty((0, 3)), features)
