"""``controlroom city info``: what a city-model file holds, before an installer puts it in a site."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from controlroom.app.cli_errors import print_error
from controlroom.core.issues import InputError


def _check_kind(path: Path) -> None:
    """A folder, a picture or an unknown file name is refused before any reader guesses at it."""
    from controlroom.geo.file_kind import CITY_MODEL_FORMATS, CITY_MODEL_SUFFIXES, model_files_in, sniff

    expected = f"a city-model file: {CITY_MODEL_FORMATS}"
    if path.is_dir():
        inside = model_files_in(path)
        fix = f" (fix: name one file in it, e.g. {inside[0]})" if inside else ""
        raise InputError(f"{path}: found a folder; expected {expected}{fix}")
    if not path.exists():
        raise InputError(f"{path}: no such file; expected {expected}")
    kind = sniff(path)
    if kind is None and not path.name.lower().endswith(CITY_MODEL_SUFFIXES):
        kind = f"a '{path.suffix or path.name}' file, not a format city info reads"
    if kind is not None:
        raise InputError(f"{path}: found {kind}; expected {expected}")


def city_info(path: Path, crs: str | None) -> dict[str, Any]:
    _check_kind(path)
    name = path.name.lower()
    if name.endswith((".city.json", ".cityjson", ".city.jsonl")) or _looks_like_cityjson(path):
        from controlroom.geo.cityjson import cityjson_info

        return cityjson_info(path, crs=crs)
    from controlroom.geo.footprints import footprint_info

    return footprint_info(path, crs)


def _looks_like_cityjson(path: Path) -> bool:
    if path.suffix.lower() != ".json":
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return False
    return b'"CityJSON"' in head


def _info(args: argparse.Namespace) -> int:
    from controlroom.core.site import normalise_crs
    from controlroom.geo.crs_area import FIX_OPTION, FIX_SITE, CrsAreaError

    path = Path(args.path)
    try:
        info = city_info(path, normalise_crs(args.crs) if args.crs else None)
    except CrsAreaError as exc:
        if exc.how == FIX_SITE:  # here the CRS came from --crs (or the file), not from a site
            exc = CrsAreaError(exc.path, exc.mismatch, "--crs" if args.crs else exc.where, FIX_OPTION)
        print_error(exc)
        return 1
    except (InputError, FileNotFoundError) as exc:
        print_error(exc)
        return 1
    if args.json:
        json.dump(info, sys.stdout, ensure_ascii=False)
        print()
    else:
        print(f"{path}: {info['format']} {info.get('version') or ''}  crs {info['crs']}")
        for kind, n in sorted(info["objects"].items()):
            print(f"  {kind:<24} {n:>8}")
        print(f"  triangles {info['triangles']:,}")
        print("  bbox (WGS 84) " + ", ".join(f"{v:.5f}" for v in info["bbox_wgs84"]))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    city = sub.add_parser(
        "city",
        help="inspect city-model files",
        description="Inspect a city-model file before putting it in a site: what it holds and where it is.",
    )
    city_sub = city.add_subparsers(dest="city_command", metavar="SUBCOMMAND", required=True)
    info = city_sub.add_parser(
        "info",
        help="format, CRS, object counts, triangles and extent of a file",
        description="Print a city-model file's format, CRS, object counts, triangles and WGS 84 extent. "
        "A CRS whose area of use does not hold the data is an error, with the CRS the "
        "coordinates look like when a common one fits.",
    )
    info.add_argument("path", help="CityJSON, GeoJSON, GeoPackage, Shapefile or GeoParquet file")
    info.add_argument("--crs", help="CRS when the file declares none: EPSG:<code>, gcj02 or bd09")
    info.add_argument("--json", action="store_true", help="print JSON (keys are a stable contract)")
    info.set_defaults(handler=_info)
