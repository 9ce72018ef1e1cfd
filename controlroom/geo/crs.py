"""Coordinate frames: EPSG via pyproj, China's GCJ-02 / BD-09 web-map frames, the site's local frame.

GCJ-02 ("Mars coordinates") is the legally mandated obfuscation of WGS 84 used by Chinese web
maps (AMap, Tencent, DataV); BD-09 is Baidu's further offset of it. pyproj knows neither, and
the PyPI packages that do are scalar-only and unmaintained, so the published algorithm is
vectorised here with numpy. WGS 84 → GCJ-02 is closed-form; the inverse is solved by fixed-point
iteration to well under a centimetre. Points outside mainland China are not offset (as in the
published algorithm).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from controlroom.core.site import normalise_crs

if TYPE_CHECKING:
    from pyproj import Transformer

    from controlroom.core.city import CityModel

FloatArray = npt.NDArray[np.float64]

WGS84 = "EPSG:4326"
_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323
_BD_PI = np.pi * 3000.0 / 180.0


def _in_china(lon: FloatArray, lat: FloatArray) -> npt.NDArray[np.bool_]:
    return (lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271)


def _delta(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    x = lon - 105.0
    y = lat - 35.0
    sq = np.sqrt(np.abs(x))
    s6x = np.sin(6.0 * x * np.pi)
    s2x = np.sin(2.0 * x * np.pi)
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sq
    dlat += (20.0 * s6x + 20.0 * s2x) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sq
    dlon += (20.0 * s6x + 20.0 * s2x) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    inside = _in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    lo = np.asarray(lon, np.float64)
    la = np.asarray(lat, np.float64)
    dlon, dlat = _delta(lo, la)
    return lo + dlon, la + dlat


def gcj02_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Inverse by fixed-point iteration: converges to < 1e-9° (0.1 mm) in a few steps."""
    glon = np.asarray(lon, np.float64)
    glat = np.asarray(lat, np.float64)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(30):
        clon, clat = wgs84_to_gcj02(wlon, wlat)
        elon, elat = clon - glon, clat - glat
        wlon = wlon - elon
        wlat = wlat - elat
        if np.all(np.abs(elon) < 1e-10) and np.all(np.abs(elat) < 1e-10):
            break
    return wlon, wlat


def gcj02_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    x = np.asarray(lon, np.float64)
    y = np.asarray(lat, np.float64)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd09_to_gcj02_approx(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    x = x - 0.0065
    y = y - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _BD_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """The published closed form is good to ~0.2 m; a few fixed-point steps make it exact."""
    blon = np.asarray(lon, np.float64)
    blat = np.asarray(lat, np.float64)
    glon, glat = _bd09_to_gcj02_approx(blon, blat)
    for _ in range(10):
        clon, clat = gcj02_to_bd09(glon, glat)
        elon, elat = clon - blon, clat - blat
        glon = glon - elon
        glat = glat - elat
        if np.all(np.abs(elon) < 1e-10) and np.all(np.abs(elat) < 1e-10):
            break
    return glon, glat


@lru_cache(maxsize=64)
def transformer(src: str, dst: str) -> Transformer:
    """A cached pyproj transformer with x = easting/longitude, y = northing/latitude."""
    from pyproj import Transformer

    return Transformer.from_crs(src, dst, always_xy=True)


def to_wgs84(x: npt.ArrayLike, y: npt.ArrayLike, crs: str) -> tuple[FloatArray, FloatArray]:
    """Any declared input frame (EPSG, gcj02, bd09) → WGS 84 lon/lat."""
    c = normalise_crs(crs)
    if c == "gcj02":
        return gcj02_to_wgs84(x, y)
    if c == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(x, y))
    xa = np.asarray(x, np.float64)
    ya = np.asarray(y, np.float64)
    if c == WGS84:
        return xa, ya
    lon, lat = transformer(c, WGS84).transform(xa, ya)
    return np.asarray(lon, np.float64), np.asarray(lat, np.float64)


def from_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike, crs: str) -> tuple[FloatArray, FloatArray]:
    """WGS 84 lon/lat → any frame (EPSG, gcj02, bd09)."""
    c = normalise_crs(crs)
    if c == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if c == "bd09":
        return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    lo = np.asarray(lon, np.float64)
    la = np.asarray(lat, np.float64)
    if c == WGS84:
        return lo, la
    x, y = transformer(WGS84, c).transform(lo, la)
    return np.asarray(x, np.float64), np.asarray(y, np.float64)


def convert(x: npt.ArrayLike, y: npt.ArrayLike, src: str, dst: str) -> tuple[FloatArray, FloatArray]:
    """Between any two frames; EPSG → EPSG goes straight through pyproj (no WGS 84 detour)."""
    s, d = normalise_crs(src), normalise_crs(dst)
    if s == d:
        return np.asarray(x, np.float64), np.asarray(y, np.float64)
    if s.startswith("EPSG:") and d.startswith("EPSG:"):
        ox, oy = transformer(s, d).transform(np.asarray(x, np.float64), np.asarray(y, np.float64))
        return np.asarray(ox, np.float64), np.asarray(oy, np.float64)
    return from_wgs84(*to_wgs84(x, y, s), d)


def converter(src: str, dst: str) -> Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]] | None:
    """``convert`` from ``src`` to ``dst`` with both frames resolved now, for a caller converting
    again and again (the feed pump, every tick): None for the same frame; for EPSG → EPSG
    pyproj's own ``transform``, so no Python of ours runs per call."""
    s, d = normalise_crs(src), normalise_crs(dst)
    if s == d:
        return None
    if s.startswith("EPSG:") and d.startswith("EPSG:"):
        fn: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]] = transformer(s, d).transform
        return fn
    return functools.partial(convert, src=s, dst=d)


def is_geographic(crs: str) -> bool:
    c = normalise_crs(crs)
    if c in ("gcj02", "bd09", WGS84):
        return True
    from pyproj import CRS

    return bool(CRS.from_user_input(c).is_geographic)


@dataclass(frozen=True)
class LocalFrame:
    """The site's rendering frame: site-CRS metres minus an origin, so values stay small."""

    crs: str
    origin_x: float
    origin_y: float
    origin_z: float = 0.0

    @classmethod
    def at_wgs84(cls, crs: str, lon: float, lat: float) -> LocalFrame:
        x, y = from_wgs84(lon, lat, crs)
        return cls(normalise_crs(crs), float(x), float(y))

    @classmethod
    def of_model(cls, model: CityModel) -> LocalFrame:
        """The frame a loaded city model's coordinates are in."""
        return cls(model.crs, *model.origin)

    @property
    def origin(self) -> tuple[float, float, float]:
        return (self.origin_x, self.origin_y, self.origin_z)

    def from_crs(self, x: npt.ArrayLike, y: npt.ArrayLike, crs: str) -> tuple[FloatArray, FloatArray]:
        """Input coordinates in ``crs`` → local metres (east, north)."""
        sx, sy = convert(x, y, crs, self.crs)
        return sx - self.origin_x, sy - self.origin_y

    def from_wgs84(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        return self.from_crs(lon, lat, WGS84)

    def to_wgs84(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Local metres → WGS 84 lon/lat."""
        return to_wgs84(
            np.asarray(x, np.float64) + self.origin_x, np.asarray(y, np.float64) + self.origin_y, self.crs
        )

    def to_crs(self, x: npt.ArrayLike, y: npt.ArrayLike, crs: str) -> tuple[FloatArray, FloatArray]:
        return convert(
            np.asarray(x, np.float64) + self.origin_x,
            np.asarray(y, np.float64) + self.origin_y,
            self.crs,
            crs,
        )
