"""Field rules every section of the site file shares: CRS spellings, endpoints, colours, formats."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

SCHEMA_VERSION = 1

AdminLevel = Literal["city", "district", "street", "grid"]
ADMIN_LEVELS: tuple[AdminLevel, ...] = ("city", "district", "street", "grid")

CityFormat = Literal["cityjson", "geojson", "gpkg", "shapefile", "geoparquet", "3dtiles"]
VectorFormat = Literal["geojson", "gpkg", "shapefile", "geoparquet", "csv"]

_EXTENSION_FORMATS: dict[str, str] = {
    ".json": "geojson",
    ".geojson": "geojson",
    ".gpkg": "gpkg",
    ".shp": "shapefile",
    ".parquet": "geoparquet",
    ".geoparquet": "geoparquet",
    ".csv": "csv",
}

_CRS_RE = re.compile(r"^(EPSG:\d{4,6}|gcj02|bd09|wgs84)$", re.IGNORECASE)
_ENDPOINT_RE = re.compile(r"^(tcp://[^:/\s]+:\d{1,5}|ipc://\S+|inproc://\S+)$")
_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


def normalise_crs(value: str) -> str:
    """Canonical spelling: ``EPSG:4326`` (upper), ``gcj02`` / ``bd09`` (lower); ``wgs84`` → EPSG:4326."""
    v = value.strip()
    low = v.lower()
    if low in ("gcj02", "gcj-02"):
        return "gcj02"
    if low in ("bd09", "bd-09"):
        return "bd09"
    if low in ("wgs84", "wgs-84"):
        return "EPSG:4326"
    return v.upper()


def _crs_field(value: Any) -> str:
    if not isinstance(value, str) or not _CRS_RE.match(normalise_crs(value)):
        raise ValueError("a CRS: 'EPSG:<code>' (e.g. 'EPSG:4326', 'EPSG:32649'), 'gcj02' or 'bd09'")
    return normalise_crs(value)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
