"""Read a site's camera registry (CSV with lon/lat columns, or any GIS point file) into the local frame.

The file's declared CRS is honoured (EPSG, or China's GCJ-02 / BD-09 web-map frames, which go
through WGS 84 first). CSV cells are read as text so ids and grid codes keep their leading zeros.
A bad row stops the load with an error naming the file, the row and the column, because a camera
shown in the wrong place is worse than a camera missing. Loaded registries are cached per file
(path, size, mtime) and frame, so the map layer and the video grid share one.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from controlroom.core.cameras import CameraRegistry, split_tags
from controlroom.core.issues import InputError
from controlroom.core.site import CameraSource, Site
from controlroom.geo.crs import LocalFrame, to_wgs84

if TYPE_CHECKING:
    import pandas as pd

_LON = ("lon", "lng", "longitude", "x")
_LAT = ("lat", "latitude", "y")
_TRUE = {"true", "1", "yes", "y", "t"}
_cache: dict[tuple[Any, ...], CameraRegistry] = {}
_cache_lock = threading.Lock()


def _read_table(source: CameraSource) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """(attribute table as text, x, y in the source CRS)."""
    import pandas as pd

    path = Path(source.path)
    if not path.is_file():
        raise InputError(f"{path}: no such file; expected the camera registry ({source.resolved_format})")
    if source.resolved_format != "csv":
        from controlroom.geo.vector_layers import read_frame

        gdf, _ = read_frame(path, source.resolved_format, what="camera points")
        keep = ~(gdf.geometry.isna() | gdf.geometry.is_empty)
        if not keep.all():
            row = int(np.flatnonzero(~keep.to_numpy())[0])
            raise InputError(f"{path}: feature {row}: has no geometry; expected a camera point")
        pts = gdf.geometry.representative_point()
        table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
        return table, pts.x.to_numpy(np.float64), pts.y.to_numpy(np.float64)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except Exception as exc:
        raise InputError(f"{path}: cannot be read as CSV ({exc}); expected the camera registry") from None
    cols = {c.lower(): c for c in table.columns}
    lon = next((cols[c] for c in _LON if c in cols), None)
    lat = next((cols[c] for c in _LAT if c in cols), None)
    if lon is None or lat is None:
        raise InputError(
            f"{path}: no lon/lat columns (found {', '.join(map(str, table.columns))}); "
            "expected columns 'lon' and 'lat'"
        )
    return table, _numbers(table, lon, path, required=True), _numbers(table, lat, path, required=True)


def _numbers(table: pd.DataFrame, column: str, path: Path, *, required: bool) -> np.ndarray:
    """A numeric column; empty cells are NaN unless required; text is an error naming the row."""
    import pandas as pd

    raw = table[column]
    values = pd.to_numeric(raw.replace("", np.nan), errors="coerce").to_numpy(np.float64)
    blank = raw.isna().to_numpy() | (raw.astype(str).str.strip() == "").to_numpy()
    bad = np.isnan(values) & (~blank | required)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"{path}: row {row + 2}: column '{column}' is '{raw.iloc[row]}'; expected a number")
    return values


def _text(table: pd.DataFrame, column: str) -> list[str]:
    if column not in table.columns:
        return [""] * len(table)
    return ["" if v is None or v != v else str(v) for v in table[column].tolist()]


def load_cameras(source: CameraSource, frame: LocalFrame) -> CameraRegistry:
    """The registry in ``frame``; ``InputError`` naming the file, row and column on bad input."""
    path = Path(source.path)
    table, x, y = _read_table(source)
    if source.id_attribute not in table.columns:
        raise InputError(
            f"{path}: no '{source.id_attribute}' column (found {', '.join(map(str, table.columns))}); "
            "expected a camera id column (set cameras.id_attribute in site.toml)"
        )
    ids = [s.strip() for s in _text(table, source.id_attribute)]
    first: dict[str, int] = {}
    for row, cid in enumerate(ids):
        if not cid:
            raise InputError(f"{path}: row {row + 2}: empty '{source.id_attribute}'; expected a camera id")
        if cid in first:
            raise InputError(
                f"{path}: row {row + 2}: camera id '{cid}' already used on row {first[cid] + 2}; "
                "expected unique ids"
            )
        first[cid] = row
    names = _text(table, source.name_attribute or "name")
    names = [n or cid for n, cid in zip(names, ids, strict=True)]
    columns = source.name_attributes
    by_language = columns if isinstance(columns, dict) else ({"en": columns} if columns else {})
    names_in = {language: _text(table, column) for language, column in by_language.items()}
    lon, lat = to_wgs84(x, y, source.crs)
    lx, ly = frame.from_crs(x, y, source.crs)

    def optional_numbers(column: str) -> np.ndarray | None:
        return _numbers(table, column, path, required=False) if column in table.columns else None

    heading = optional_numbers(source.heading_attribute)
    fov = optional_numbers(source.fov_attribute)
    ptz = [v.strip().lower() in _TRUE for v in _text(table, source.ptz_attribute)]
    tags_col = table[source.tags_attribute].tolist() if source.tags_attribute in table.columns else None
    return CameraRegistry(
        ids,
        names,
        lx,
        ly,
        lon,
        lat,
        main_urls=_text(table, source.main_url_attribute),
        sub_urls=_text(table, source.sub_url_attribute),
        ptz=ptz,
        heading_deg=None if heading is None else heading % 360.0,
        fov_deg=fov,
        districts=_text(table, source.district_attribute),
        grids=_text(table, source.grid_attribute),
        tags=[split_tags(v) for v in tags_col] if tags_col is not None else None,
        nearest_n=source.nearest_n,
        names_in=names_in,
    )


def site_cameras(site: Site, frame: LocalFrame) -> CameraRegistry | None:
    """The site's registry (None when the site declares no cameras), loaded once per file version."""
    source = site.cameras
    if source is None:
        return None
    path = Path(source.path)
    try:
        st = path.stat()
        stamp: tuple[int, int] = (st.st_size, st.st_mtime_ns)
    except OSError:
        stamp = (-1, -1)
    key = (str(path), stamp, source.model_dump_json(), frame)  # JSON: per-language names are a dict
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    registry = load_cameras(source, frame)
    with _cache_lock:
        _cache.clear()  # one site per app instance: keep only the latest
        _cache[key] = registry
    return registry
