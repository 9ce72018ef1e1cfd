"""Which CRS a CityJSON file is in: its metadata.referenceSystem, else the site's; the 2D part of a
compound CRS."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from controlroom.core.issues import InputError
from controlroom.core.site import normalise_crs

_EPSG_RE = re.compile(r"EPSG(?:/[^/]*/|:[^:]*:|:)(\d+)\s*$", re.IGNORECASE)
_CRS_FIX = (
    'add "metadata": {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/<code>"} to the file, '
    'or set crs = "EPSG:<code>" in its [[city_model]] entry of site.toml'
)


def _file_reference(metadata: Any) -> Any:
    return metadata.get("referenceSystem") if isinstance(metadata, dict) else None


def epsg_from_reference(value: str) -> str | None:
    """ "EPSG:<code>" from the URL, URN or plain forms CityJSON files use, else None."""
    match = _EPSG_RE.search(value.strip())
    return f"EPSG:{int(match.group(1))}" if match else None


def _source_crs(metadata: Any, declared: str | None, path: Path) -> str:
    reference = _file_reference(metadata)
    if reference is not None:
        code = epsg_from_reference(reference) if isinstance(reference, str) else None
        if code is None:
            raise InputError(
                f"{path}: metadata.referenceSystem is {reference!r}; expected an EPSG reference such as "
                '"https://www.opengis.net/def/crs/EPSG/0/7415" or "urn:ogc:def:crs:EPSG::7415"'
            )
        return code
    if declared:
        return normalise_crs(declared)
    raise InputError(
        f"{path}: no coordinate reference system: the file has no metadata.referenceSystem "
        f"and none was declared; {_CRS_FIX}"
    )


def _horizontal_crs(crs: str, path: Path) -> str:
    if not crs.startswith("EPSG:"):
        return crs
    try:
        return _horizontal_epsg(crs)
    except ValueError:
        raise InputError(f"{path}: unknown coordinate reference system {crs}; {_CRS_FIX}") from None


@lru_cache(maxsize=32)
def _horizontal_epsg(crs: str) -> str:
    """Looking a CRS up in PROJ's database costs ~10 ms: once per code is enough."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        parsed = CRS.from_user_input(crs)
    except CRSError as exc:
        raise ValueError(crs) from exc
    if parsed.is_compound:
        code = parsed.sub_crs_list[0].to_epsg()
        if code is not None:
            return f"EPSG:{code}"
    return crs
