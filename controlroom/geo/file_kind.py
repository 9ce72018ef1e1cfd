"""What a file that is not geodata is, so the message says "a PNG image", not a GDAL driver hint.

GDAL answers a picture or a PDF passed as a layer with "not recognized as being in a supported
file format … prefix the path with '<DRIVER>:'", which sends an installer looking for drivers.
The first bytes of the common non-geodata files name them plainly.
"""

from __future__ import annotations

from pathlib import Path

#: What ``city info`` and a site's [[city_model]] read, by file name ending.
CITY_MODEL_FORMATS = (
    "CityJSON (.city.json), GeoJSON (.geojson), GeoPackage (.gpkg), Shapefile (.shp) or GeoParquet (.parquet)"
)
CITY_MODEL_SUFFIXES = (
    ".city.json",
    ".cityjson",
    ".json",
    ".geojson",
    ".gpkg",
    ".shp",
    ".parquet",
    ".geoparquet",
)

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"II*\x00", "a TIFF image (raster data)"),
    (b"MM\x00*", "a TIFF image (raster data)"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (unpack it first)"),
    (b"\x1f\x8b", "a gzip archive (unpack it first)"),
    (b"7z\xbc\xaf", "a 7-Zip archive (unpack it first)"),
)


def sniff(path: Path) -> str | None:
    """ "a PNG image", "a folder", … for things that are certainly not a vector layer; else None."""
    if path.is_dir():
        return "a folder"
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return None
    if not head:
        return "an empty file"
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return None


def model_files_in(folder: Path, limit: int = 3) -> list[Path]:
    """A few city-model files inside a folder, to suggest when a folder was given."""
    found = [
        p for p in sorted(folder.iterdir()) if p.is_file() and p.name.lower().endswith(CITY_MODEL_SUFFIXES)
    ]
    return found[:limit]
