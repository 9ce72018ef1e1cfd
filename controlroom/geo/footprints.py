"""Building footprints with heights (GeoJSON, GeoPackage, Shapefile, GeoParquet) → a prism layer.

Real footprint files are messy: heights typed as text ("12 m"), only a floor count, bowtie
polygons, MultiPolygons, stray points. The loader repairs or defaults what it can and records a
``LoadIssue`` for each, so the operator sees what was guessed instead of a silent wrong city.
Declared GCJ-02 / BD-09 inputs are moved to WGS 84 first, before any geometry work.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from pydantic import ValidationError

from controlroom.core.city import CityLayer, CityObjects, LoadIssue
from controlroom.core.issues import InputError
from controlroom.core.site import CityModelSource, normalise_crs
from controlroom.geo.crs import WGS84, LocalFrame, to_wgs84
from controlroom.geo.extrude import extrude_footprints
from controlroom.geo.vector_layers import json_safe_records, read_frame

if TYPE_CHECKING:
    import pandas as pd

HEIGHT_ATTRIBUTES = ("height", "building:height", "measuredHeight", "HEIGHT", "Height", "height_m")
FLOORS_ATTRIBUTES = ("building:levels", "floors", "levels", "storeys", "FLOORS", "Floors", "num_floors")
MIN_HEIGHT_ATTRIBUTES = ("min_height", "building:min_height")
MIN_FLOORS_ATTRIBUTES = ("building:min_level", "min_level")
ID_ATTRIBUTES = ("id", "ID", "osm_id", "fid", "gml_id", "identificatie")
NAME_ATTRIBUTES = ("name", "name:en", "name:zh", "NAME", "Name")

_LENGTH_RE = r"^\s*([-+]?\d+(?:[.,]\d+)?)\s*(m|meters?|metres?|米|ft|feet)?\s*$"
_FEET = 0.3048


@dataclass
class FootprintSet:
    """Footprint parts in ``crs`` (the declared frame, or WGS 84 for GCJ-02/BD-09 inputs).

    Part i belongs to object ``part_object[i]``; all parts of a MultiPolygon share one object.
    """

    source: str
    crs: str
    polygons: npt.NDArray[np.object_]  # shapely Polygons
    part_object: npt.NDArray[np.int64]
    heights: npt.NDArray[np.float64]  # per object, top above ground
    base: npt.NDArray[np.float64]  # per object, bottom above ground (building parts on stilts)
    objects: CityObjects
    issues: list[LoadIssue] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.objects)

    def bbox_wgs84(self) -> tuple[float, float, float, float]:
        """(minlon, minlat, maxlon, maxlat); projected bboxes go through all four corners."""
        import shapely

        if not len(self.polygons):
            raise InputError(f"{self.source}: no usable footprints, so no extent to centre the site on")
        x0, y0, x1, y1 = shapely.total_bounds(self.polygons)
        lon, lat = to_wgs84(np.array([x0, x1, x1, x0]), np.array([y0, y0, y1, y1]), self.crs)
        return (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))

    def to_layer(self, frame: LocalFrame) -> tuple[CityLayer, list[LoadIssue]]:
        """The "buildings" prism layer in ``frame``, plus the issues met while loading."""
        import shapely

        local = shapely.transform(
            self.polygons, lambda xy: np.column_stack(frame.from_crs(xy[:, 0], xy[:, 1], self.crs))
        )
        local = shapely.orient_polygons(local, exterior_cw=False)
        obj = self.part_object
        layer = extrude_footprints(
            local,
            np.maximum(self.heights[obj] - self.base[obj], 0.0),
            self.base[obj],
            object_index=obj,
            objects=self.objects,
            kind="buildings",
        )
        return layer, list(self.issues)


def parse_lengths(values: pd.Series) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Metres from numbers or text like "12", "12 m", "12.5m", "40 ft"; (values, unparseable mask).

    Missing values are NaN and not flagged; text that is not a length is NaN and flagged.
    """
    import pandas as pd

    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        out = np.array(values.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
        return out, np.zeros(len(out), bool)
    missing = values.isna().to_numpy()
    text = values.astype("string").str.strip()
    parts = text.str.extract(_LENGTH_RE)
    number = pd.to_numeric(parts[0].str.replace(",", ".", regex=False), errors="coerce").astype("float64")
    unit = parts[1].fillna("").str.lower()
    number = number.where(~unit.isin(["ft", "feet"]), number * _FEET)
    out = np.array(number.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    bad = np.isnan(out) & ~missing & (text.fillna("").to_numpy(dtype=object) != "")
    return out, bad


def _first_present(
    columns: Iterable[str], declared: str | None, candidates: tuple[str, ...], path: Path, key: str
) -> str | None:
    cols = list(columns)
    if declared is not None:
        if declared not in cols:
            shown = ", ".join(cols[:20]) + (" ..." if len(cols) > 20 else "")
            raise InputError(
                f"{path}: {key} = '{declared}' is not a property of this file (properties: {shown})"
            )
        return declared
    return next((c for c in candidates if c in cols), None)


def _check_coordinates(path: Path, crs: str, bounds: npt.NDArray[np.float64], where: str) -> None:
    """Refuse a CRS declaration the coordinates cannot be in (degrees vs metres, wrong zone)."""
    from controlroom.geo.crs_area import FIX_SITE, check_crs_area

    check_crs_area(path, bounds, crs, where, FIX_SITE)


def _resolve_crs(source: CityModelSource, file_crs: Any) -> str:
    if source.crs is not None:
        return source.crs
    if file_crs is None:
        raise InputError(
            f"{source.path}: the file declares no CRS; expected crs = '...' in its [[city_model]] entry "
            "(e.g. 'EPSG:4326', 'EPSG:32649', 'gcj02')"
        )
    epsg = file_crs.to_epsg()
    if epsg is None:
        raise InputError(
            f"{source.path}: the file's CRS has no EPSG code; expected crs = 'EPSG:<code>' in the site file"
        )
    return normalise_crs(f"EPSG:{epsg}")


def _polygon_parts(geoms: npt.NDArray[np.object_]) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.int64]]:
    """Explode (Multi)Polygons and collections down to Polygons, remembering each part's row."""
    import shapely

    index = np.arange(len(geoms), dtype=np.int64)
    for _ in range(3):  # collections from make_valid nest at most a couple of levels
        multi = shapely.get_type_id(geoms) >= 4
        if not multi.any():
            break
        parts, where = shapely.get_parts(geoms, return_index=True)
        geoms, index = parts, index[where]
    poly = shapely.get_type_id(geoms) == 3
    poly &= ~shapely.is_empty(geoms)
    geoms, index = geoms[poly], index[poly]
    nonzero = shapely.area(geoms) > 0
    return geoms[nonzero], index[nonzero]


def read_footprints(
    source: CityModelSource, *, storey_height_m: float, default_height_m: float
) -> FootprintSet:
    """Read one footprint file into parts + object table; never raises for bad features."""
    import shapely

    path = source.path
    fmt = source.resolved_format
    df, file_crs = read_frame(path, fmt, what="building footprints")
    crs = _resolve_crs(source, file_crs)
    name = str(path)
    issues: list[LoadIssue] = []

    geoms = np.asarray(df.geometry.values, dtype=object)
    props = df.drop(columns=df.geometry.name)
    id_col = _first_present(props.columns, source.id_attribute, ID_ATTRIBUTES, path, "id_attribute")
    if id_col is not None:
        ids = [
            str(v) if v is not None and v == v else str(i)
            for i, v in zip(df.index, props[id_col], strict=True)
        ]
    else:
        ids = [str(i) for i in df.index]

    # Non-polygon and empty features are skipped before anything else.
    type_id = shapely.get_type_id(geoms)
    polygonal = np.isin(type_id, (3, 6)) | ((type_id == 7) & (shapely.area(geoms) > 0))
    polygonal &= ~shapely.is_missing(geoms)
    polygonal &= ~shapely.is_empty(geoms)
    for i in np.flatnonzero(~polygonal):
        g = geoms[i]
        what = (
            "no geometry" if g is None or shapely.is_empty(g) else f"{g.geom_type} is not a footprint polygon"
        )
        issues.append(LoadIssue(name, ids[i], what, "skipped"))

    # China web-map frames → WGS 84 before repair or any spatial work.
    work_crs = crs
    keep_rows = np.flatnonzero(polygonal)
    geoms = geoms[keep_rows]
    if len(geoms):
        _check_coordinates(
            path, crs, shapely.total_bounds(geoms), "crs" if source.crs else "the file's own CRS"
        )
    if crs in ("gcj02", "bd09"):
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], crs)))
        work_crs = WGS84

    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        geoms[invalid] = shapely.make_valid(geoms[invalid])
        for row, why in zip(keep_rows[invalid], reasons, strict=True):
            issues.append(LoadIssue(name, ids[row], f"invalid footprint ({why})", "repaired"))
    parts, part_row = _polygon_parts(geoms)
    has_part = np.zeros(len(geoms), bool)
    has_part[part_row] = True
    for row in keep_rows[~has_part]:
        issues.append(LoadIssue(name, ids[row], "footprint has no area left after repair", "skipped"))
    rows = keep_rows[has_part]  # feature rows that become objects
    object_of_local = np.cumsum(has_part) - 1
    part_object = object_of_local[part_row]

    sub = props.iloc[rows]
    heights, base = _heights(
        sub, source, [ids[r] for r in rows], name, storey_height_m, default_height_m, issues
    )
    name_col = _first_present(props.columns, source.name_attribute, NAME_ATTRIBUTES, path, "name_attribute")
    objects = _object_table(sub, [ids[r] for r in rows], heights, id_col, name_col)
    return FootprintSet(name, work_crs, parts, part_object.astype(np.int64), heights, base, objects, issues)


def _heights(
    sub: pd.DataFrame,
    source: CityModelSource,
    ids: list[str],
    name: str,
    storey: float,
    default: float,
    issues: list[LoadIssue],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Top height per object: height attribute, else floors × storey height, else the default."""
    n = len(sub)
    path = source.path
    h_col = _first_present(sub.columns, source.height_attribute, HEIGHT_ATTRIBUTES, path, "height_attribute")
    f_col = _first_present(sub.columns, source.floors_attribute, FLOORS_ATTRIBUTES, path, "floors_attribute")
    heights = np.full(n, np.nan)
    bad = np.zeros(n, bool)
    if h_col is not None:
        heights, bad_h = parse_lengths(sub[h_col])
        bad |= bad_h | (heights <= 0)
        heights[heights <= 0] = np.nan
    if f_col is not None:
        floors, bad_f = parse_lengths(sub[f_col])
        floors[floors <= 0] = np.nan
        use = np.isnan(heights) & ~np.isnan(floors)
        heights[use] = floors[use] * storey
        bad |= bad_f & np.isnan(heights)
    for i in np.flatnonzero(bad & np.isnan(heights)):
        shown = {
            c: sub[c].iloc[i] for c in (h_col, f_col) if c is not None and sub[c].iloc[i] == sub[c].iloc[i]
        }
        found = ", ".join(f"{c}={v!r}" for c, v in shown.items())
        issues.append(
            LoadIssue(name, ids[i], f"height not a length ({found}); used {default:g} m", "defaulted")
        )
    heights[np.isnan(heights)] = default

    base = np.zeros(n)
    mh_col = next((c for c in MIN_HEIGHT_ATTRIBUTES if c in sub.columns), None)
    mf_col = next((c for c in MIN_FLOORS_ATTRIBUTES if c in sub.columns), None)
    if mh_col is not None:
        mh, _ = parse_lengths(sub[mh_col])
        base = np.where(np.isnan(mh), base, mh)
    if mf_col is not None:
        mf, _ = parse_lengths(sub[mf_col])
        base = np.where((base == 0) & ~np.isnan(mf), mf * storey, base)
    base = np.clip(base, 0.0, None)
    base = np.where(base >= heights, 0.0, base)  # a base above the top is a data error: sit on the ground
    return heights, base


def _object_table(
    sub: pd.DataFrame,
    ids: list[str],
    heights: npt.NDArray[np.float64],
    id_col: str | None,
    name_col: str | None,
) -> CityObjects:
    records = json_safe_records(sub.drop(columns=[c for c in (id_col, name_col) if c is not None]))
    names: list[str | None] = [None] * len(sub)
    if name_col is not None:
        names = [v if isinstance(v, str) and v else None for v in sub[name_col].tolist()]
        for alt in NAME_ATTRIBUTES:
            if alt in sub.columns and alt != name_col:
                fallback = sub[alt].tolist()
                names = [
                    n if n is not None else (f if isinstance(f, str) and f else None)
                    for n, f in zip(names, fallback, strict=True)
                ]
    objects = CityObjects()
    n = len(ids)
    objects.ids = list(ids)
    objects.types = ["footprint"] * n
    objects.names = names
    objects.heights = [float(h) for h in heights]
    objects.lods = ["footprint"] * n
    objects.parents = [None] * n
    objects.attributes = records
    return objects


def footprint_info(path: str | Path, crs: str | None = None) -> dict[str, Any]:
    """The ``city info`` summary for a footprint file (same keys as the CityJSON summary)."""
    try:
        source = CityModelSource(path=Path(path), crs=crs)
    except ValidationError:
        raise InputError(f"{path}: crs '{crs}' is not a CRS; expected 'EPSG:<code>' or 'gcj02'") from None
    fps = read_footprints(source, storey_height_m=3.2, default_height_m=10.0)
    bbox = fps.bbox_wgs84()
    frame = LocalFrame.at_wgs84(
        utm_crs_for((bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2),
        (bbox[0] + bbox[2]) / 2,
        (bbox[1] + bbox[3]) / 2,
    )
    layer, _ = fps.to_layer(frame)
    return {
        "format": source.resolved_format,
        "version": None,
        "crs": crs if crs is not None else fps.crs,
        "objects": {"footprint": len(fps)},
        "triangles": layer.n_triangles,
        "bbox_wgs84": list(bbox),
    }


def utm_crs_for(lon: float, lat: float) -> str:
    """The WGS 84 UTM zone holding a point: a metric frame for files that bring none."""
    zone = int(np.clip(np.floor((lon + 180.0) / 6.0) + 1, 1, 60))
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"
