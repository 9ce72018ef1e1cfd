"""CityJSON 1.0 / 1.1 / 2.0 → merged triangle layers with per-triangle object ids and surface classes.

Loading a city must beat cjio's plain JSON load, so the file is decoded with msgspec (with the
cyclic garbage collector paused: decoding allocates a million small acyclic lists) and every
boundary is flattened into three integer arrays in C-level iteration; triangulation then runs
in bulk (see ``polygon3d``). Bad files raise ``InputError`` naming the file and what was
expected; a bad object is skipped with a ``LoadIssue`` so one broken building never loses a city.

The package: ``decode`` (msgspec), ``reference`` (CRS), ``objects`` (surfaces per object),
``file`` (``CityJsonFile`` and its meshing) and ``reader`` (``read_cityjson``, ``cityjson_info``).
"""

from controlroom.geo.cityjson.decode import SUPPORTED_VERSIONS
from controlroom.geo.cityjson.file import CityJsonFile
from controlroom.geo.cityjson.reader import cityjson_info, read_cityjson
from controlroom.geo.cityjson.reference import epsg_from_reference

__all__ = ["SUPPORTED_VERSIONS", "CityJsonFile", "cityjson_info", "epsg_from_reference", "read_cityjson"]
