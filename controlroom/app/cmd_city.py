"""``controlroom city info``: what a city-model file holds, before an installer puts it in a site."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from controlroom.core.issues import InputError


def city_info(path: Path, crs: str | None) -> dict[str, Any]:
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

    path = Path(args.path)
    try:
        info = city_info(path, normalise_crs(args.crs) if args.crs else None)
    except (InputError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
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
    city = sub.add_parser("city", help="inspect city-model files")
    city_sub = city.add_subparsers(dest="city_command", metavar="SUBCOMMAND", required=True)
    info = city_sub.add_parser("info", help="format, CRS, object counts, triangles and extent of a file")
    info.add_argument("path", help="CityJSON, GeoJSON, GeoPackage, Shapefile or GeoParquet file")
    info.add_argument("--crs", help="CRS when the file declares none: EPSG:<code>, gcj02 or bd09")
    info.add_argument("--json", action="store_true", help="print JSON (keys are a stable contract)")
    info.set_defaults(handler=_info)
