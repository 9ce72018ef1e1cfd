"""Can a layer's coordinates be in the CRS it declares? pyproj's area of use says, and names one that fits.

A file declared in the wrong CRS still loads: its numbers are read as *something*, only thousands
of kilometres away (Guangzhou's UTM metres read as Dutch RD New land in the Arctic), and the map
shows an empty dark sky. Every EPSG CRS carries an area of use, so data that lands outside it
(beyond a margin: metric zones are routinely stretched past their edges) is in another CRS. Which
one is guessed from a short list of common frames: the first whose own area of use holds the data.

One function (``crs_area_mismatch``) serves ``city info``, ``doctor`` and the city loader (``run``,
``snapshot``, ``brief``), so the three always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from controlroom.core.issues import InputError, Issue
from controlroom.core.site import normalise_crs

BBox = tuple[float, float, float, float]

#: Degrees the data may reach past the declared CRS's area of use (a city in the next UTM zone).
MARGIN_DEG = 5.0
#: Frames the app's users most often have, tried in this order for "coordinates look like …":
#: lon/lat, the two UTM zones of the Pearl River delta, CGCS2000 Gauss-Krüger 114°E, then the
#: national grids of the bundled real data (Netherlands, Switzerland) and Great Britain.
CANDIDATES = (
    "EPSG:4326",
    "EPSG:32649",
    "EPSG:32650",
    "EPSG:4547",
    "EPSG:28992",
    "EPSG:2056",
    "EPSG:27700",
)
#: GCJ-02 and BD-09 are WGS 84 outside China (the offset applies inside only), so any lon/lat fits.
_CHINA_FRAME_AREA = "EPSG:4326"


@dataclass(frozen=True)
class CrsAreaMismatch:
    """Data that cannot be in its declared CRS: where it lands instead and what it looks like."""

    declared: str
    declared_name: str
    area_name: str
    bounds: BBox  # the data's extent in its own (declared) coordinates
    lands_at: tuple[float, float] | None  # lon, lat of its centre read in the declared CRS
    likely: str | None = None  # the first common CRS whose area of use holds the data
    likely_name: str | None = None

    degrees_in_metres: bool = False  # lon/lat numbers declared in a projected (metre) CRS

    @property
    def found(self) -> str:
        x0, y0, x1, y1 = self.bounds
        span = f"({_num(x0)}…{_num(x1)}, {_num(y0)}…{_num(y1)})"
        head = f"{self.declared} ({self.declared_name}), but the coordinates {span}"
        if self.degrees_in_metres:
            return f"{head} look like lon/lat degrees, and {self.declared} counts metres"
        if self.lands_at is None:
            return f"{head} read in it are not a place on Earth"
        return (
            f"{head} read in it land at {_lonlat(*self.lands_at)}, "
            f"outside its area of use ({self.area_name.rstrip('.')})"
        )

    expected = "coordinates inside the declared CRS's area of use"

    @property
    def hint(self) -> str:
        """ "coordinates look like EPSG:32649 / WGS 84 / UTM zone 49N", or "" when nothing common fits."""
        if self.likely is None:
            return ""
        return f"coordinates look like {self.likely} / {self.likely_name}"

    def fix(self, how: str) -> str:
        """``how`` says where to declare it, e.g. 'set crs = "{crs}" in [[city_model]]'."""
        if self.likely is None:
            return "declare the CRS the file was really written in"
        return f"{self.hint}: " + how.format(crs=self.likely, code=self.likely.removeprefix("EPSG:"))


def _num(v: float) -> str:
    return f"{v:.0f}" if abs(v) >= 1000 else f"{v:.4f}"


def _lonlat(lon: float, lat: float) -> str:
    return f"{abs(lat):.1f}°{'N' if lat >= 0 else 'S'} {abs(lon):.1f}°{'E' if lon >= 0 else 'W'}"


@lru_cache(maxsize=64)
def _describe(crs: str) -> tuple[str, str, BBox | None, str]:
    """(name, area name, area (W, S, E, N), the horizontal CRS to transform with) from PROJ's database."""
    from pyproj import CRS

    if crs in ("gcj02", "bd09"):
        world = CRS.from_user_input(_CHINA_FRAME_AREA).area_of_use
        assert world is not None
        name = "GCJ-02" if crs == "gcj02" else "BD-09"
        return name, world.name, world.bounds, crs
    parsed = CRS.from_user_input(crs)
    horizontal = parsed.sub_crs_list[0] if parsed.is_compound else parsed
    code = horizontal.to_epsg()
    area = parsed.area_of_use or horizontal.area_of_use
    return (
        parsed.name,
        area.name if area else "",
        area.bounds if area else None,
        f"EPSG:{code}" if code else horizontal.to_wkt(),
    )


def _centre_and_box(bounds: BBox, crs: str) -> tuple[tuple[float, float] | None, BBox | None]:
    """The data's centre and lon/lat extent read in ``crs`` (None where it is not on Earth)."""
    from controlroom.geo.crs import to_wgs84, transformer

    x0, y0, x1, y1 = bounds
    xs = np.array([x0, x1, x0, x1, (x0 + x1) / 2])
    ys = np.array([y0, y0, y1, y1, (y0 + y1) / 2])
    try:
        if crs in ("gcj02", "bd09"):
            lon, lat = to_wgs84(xs, ys, crs)
        else:
            with np.errstate(all="ignore"):
                lon, lat = (
                    np.asarray(v, np.float64) for v in transformer(crs, "EPSG:4326").transform(xs, ys)
                )
    except Exception:  # pyproj refuses points it cannot project: not on Earth in this CRS
        return None, None
    ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180.0) & (np.abs(lat) <= 90.0)
    centre = (float(lon[4]), float(lat[4])) if ok[4] else None
    if not ok.all():
        return centre, None
    return centre, (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))


def _inside(box: BBox | None, area: BBox, margin: float) -> bool:
    if box is None:
        return False
    w, s, e, n = area
    if w > e:  # an area across the antimeridian: no margin games, just accept
        return True
    return w - margin <= box[0] and box[2] <= e + margin and s - margin <= box[1] and box[3] <= n + margin


def _looks_like(bounds: BBox, declared: str) -> str | None:
    """The first common CRS (not the declared one, nor its 2D part) whose own area holds the data."""
    declared_2d = _describe(declared)[3]
    for candidate in CANDIDATES:
        _, _, area, transform_crs = _describe(candidate)
        if candidate == declared or transform_crs == declared_2d or area is None:
            continue
        if _inside(_centre_and_box(bounds, transform_crs)[1], area, 0.0):
            return candidate
    return None


def crs_area_mismatch(bounds: BBox | np.ndarray, crs: str) -> CrsAreaMismatch | None:
    """None when data with these bounds (in ``crs``'s own coordinates) can be in ``crs``.

    A CRS PROJ gives no area of use for is given the benefit of the doubt; empty or non-finite
    bounds are left for the reader's own checks.
    """
    b = tuple(float(v) for v in bounds)
    if len(b) != 4 or not all(np.isfinite(b)):
        return None
    box4: BBox = (b[0], b[1], b[2], b[3])
    declared = normalise_crs(crs)
    try:
        name, area_name, area, transform_crs = _describe(declared)
    except Exception:  # an unknown code is the schema's or the reader's message, not this check's
        return None
    if area is None:
        return None
    centre, box = _centre_and_box(box4, transform_crs)
    degrees = _looks_like_degrees(box4) and not _is_geographic(declared)
    if not degrees and _inside(box, area, MARGIN_DEG):
        return None
    likely = _looks_like(box4, declared)
    return CrsAreaMismatch(
        declared,
        name,
        area_name,
        box4,
        centre,
        likely,
        _describe(likely)[0] if likely else None,
        degrees,
    )


def _looks_like_degrees(b: BBox) -> bool:
    """Numbers within ±180/±90: in a metre CRS that is a few hundred metres from its false origin,
    where no city is; in practice it is lon/lat."""
    return -180.0 <= b[0] <= b[2] <= 180.0 and -90.0 <= b[1] <= b[3] <= 90.0


def _is_geographic(crs: str) -> bool:
    from controlroom.geo.crs import is_geographic

    return is_geographic(crs)


#: How to declare the likely CRS, by where the wrong one was declared ({crs} = "EPSG:32649", {code} = 32649).
FIX_SITE = 'set crs = "{crs}" in its site.toml entry'
FIX_CITYJSON = 'set the file\'s metadata.referenceSystem to "https://www.opengis.net/def/crs/EPSG/0/{code}"'
FIX_OPTION = "pass --crs {crs}"


class CrsAreaError(InputError):
    """A file's data lies outside the area of use of the CRS it was read in.

    ``where`` names the declaration ("crs", "metadata.referenceSystem"); ``how`` is one of the
    ``FIX_*`` templates. Callers that know the site key turn it into an ``Issue`` (``issue``).
    """

    def __init__(self, path: object, mismatch: CrsAreaMismatch, where: str, how: str) -> None:
        self.path = str(path)
        self.mismatch = mismatch
        self.where = where
        self.how = how
        m = mismatch
        super().__init__(f"{path}: {where}: found {m.found}; expected {m.expected} (fix: {m.fix(how)})")

    def issue(self, site_file: str, key: str) -> Issue:
        """The problem as the site sees it: ``roads[0].crs`` when site.toml declared the CRS,
        ``city_model[0].path`` (naming the file's own declaration) when the file did."""
        m = self.mismatch
        if self.how == FIX_SITE:
            return Issue(site_file, f"{key}.crs", m.found, m.expected, fix=m.fix(self.how))
        return Issue(
            site_file,
            f"{key}.path",
            f"{self.path} declares {self.where} = {m.found}",
            m.expected,
            fix=m.fix(self.how),
        )


def check_crs_area(path: object, bounds: BBox | np.ndarray, crs: str, where: str, how: str) -> None:
    """Raise ``CrsAreaError`` when data with ``bounds`` cannot be in ``crs`` (the readers' one call)."""
    mismatch = crs_area_mismatch(bounds, crs)
    if mismatch is not None:
        raise CrsAreaError(path, mismatch, where, how)
