"""``controlroom route``: which city, district, street and grid a point belongs to."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("route", help="admin chain (city, district, street, grid) of a point")
    p.add_argument("--site", required=True, help="site.toml or its folder")
    p.add_argument("lon", type=float, help="longitude (or easting in a projected --crs)")
    p.add_argument("lat", type=float, help="latitude (or northing)")
    p.add_argument("--crs", default="EPSG:4326", help="frame of LON LAT: EPSG:<code>, gcj02 or bd09")
    p.add_argument("--type", help="an incident type: also print the responsible department")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=_route)


def _route(args: argparse.Namespace) -> int:
    from controlroom.app.cli_site import load_site_or_report
    from controlroom.core.issues import InputError
    from controlroom.core.site import normalise_crs
    from controlroom.dispatch.routing import AdminRouter, point_problem

    site = load_site_or_report(args.site)
    if site is None:
        return 2
    crs = normalise_crs(args.crs)
    try:
        problem = point_problem(args.lon, args.lat, crs)
    except ValueError as exc:
        print(f"route: {exc}", file=sys.stderr)
        return 2
    if problem:
        print(
            f"route: ({args.lon:.10g}, {args.lat:.10g}) in {crs} is not a place: {problem}", file=sys.stderr
        )
        return 2
    if not site.boundaries:
        print(
            f"{site.path}: no [[boundaries]] layers; routing needs city/district/street/grid polygons",
            file=sys.stderr,
        )
        return 2
    try:
        router = AdminRouter(site.boundaries, site.dispatch)
        chain = router.route(args.lon, args.lat, crs)
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except Exception as exc:  # pyproj: an unknown CRS
        print(
            f"route: cannot convert from {args.crs!r} ({exc}); expected EPSG:<code>, gcj02 or bd09",
            file=sys.stderr,
        )
        return 2
    out: dict[str, Any] = chain.as_json()
    if args.type:
        out["department"] = router.department(args.type)
        out["unit_kinds"] = router.unit_kinds(args.type)
    if args.json:
        json.dump(out, sys.stdout, ensure_ascii=False)
        print()
    else:
        for level in ("city", "district", "street", "grid"):
            print(f"{level:<9} {out[level] or '-'}  {out['codes'].get(level, '')}")
        if args.type:
            print(f"{'department':<9} {out['department']}")
    return 0
