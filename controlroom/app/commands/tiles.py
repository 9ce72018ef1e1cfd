"""``controlroom tiles``: a site's city as a 3D Tiles 1.1 tileset, and what a tileset holds."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from controlroom.app.cli_errors import print_error


def _progress(fraction: float, message: str) -> None:
    print(f"\r{fraction * 100:5.1f}%  {message:<60}", end="", file=sys.stderr, flush=True)


def _build(args: argparse.Namespace) -> int:
    from controlroom.core.site import load_site
    from controlroom.geo.tiles.store import build_site_tiles, tileset_info

    site = load_site(args.site)
    result, folder = build_site_tiles(
        site, Path(args.out) if args.out else None, progress=None if args.quiet else _progress
    )
    if not args.quiet:
        print(file=sys.stderr)
    info = tileset_info(folder)
    if result is None:
        print(f"{folder}: already built ({info['tiles']:,} tiles, {info['features']:,} features)")
    else:
        print(
            f"{folder}: {result.tiles:,} tiles in {result.levels} levels, {result.features:,} features, "
            f"{result.bytes / 1e6:.1f} MB in {result.seconds:.1f} s"
        )
    return 0


def _info(args: argparse.Namespace) -> int:
    from controlroom.geo.tiles.store import tileset_info

    info = tileset_info(Path(args.path))
    if args.json:
        json.dump(info, sys.stdout, ensure_ascii=False)
        print()
        return 0
    print(f"{args.path}: 3D Tiles {info['version']}, {info['tiles']:,} tiles in {info['levels']} levels")
    if info["features"] is not None:
        print(f"  features {info['features']:,}")
    print(f"  bytes {info['bytes']:,}")
    print("  bbox (WGS 84) " + ", ".join(f"{v:.5f}" for v in info["bbox_wgs84"]))
    for issue in info["issues"]:
        print_error(issue)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tiles = sub.add_parser(
        "tiles",
        help="build and inspect 3D Tiles of a site's city",
        description="Turn a site's city model into a 3D Tiles 1.1 tileset (the map streams it; "
        "CesiumJS and QGIS open the same folder), or inspect a tileset.",
    )
    tsub = tiles.add_subparsers(dest="tiles_command", metavar="SUBCOMMAND", required=True)
    build = tsub.add_parser(
        "build",
        help="build (or reuse) the tileset of a site's city model",
        description="Build the tile tree of the site's city model: full-detail leaves, coarser "
        "stand-ins above, per-building feature ids and attributes. Without --out the tiles go to "
        "the cache, where the map finds them.",
    )
    build.add_argument("--site", required=True, help="site.toml (or its folder)")
    build.add_argument("--out", help="write the tileset to this folder instead of the cache")
    build.add_argument("--quiet", action="store_true", help="no progress line")
    build.set_defaults(handler=_build)
    info = tsub.add_parser(
        "info",
        help="version, tiles, levels, features, bytes and extent of a tileset",
        description="Summarise a 3D Tiles tileset (a folder with tileset.json, or the file).",
    )
    info.add_argument("path", help="tileset folder or tileset.json")
    info.add_argument("--json", action="store_true", help="print JSON (keys are a stable contract)")
    info.set_defaults(handler=_info)
