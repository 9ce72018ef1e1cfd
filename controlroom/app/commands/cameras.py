"""``controlroom cameras …``: query a site's camera registry and serve the demo camera clips.

controlroom cameras nearest --site PATH LON LAT [--n N] [--crs CRS] --json
    → [{"id", "name", "distance_m"}, …] nearest first (distances in the site's metric CRS)
controlroom cameras search --site PATH TEXT [--limit N] --json
controlroom cameras serve [--site PATH] [--port PORT] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from controlroom.app.cli_errors import print_error


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("cameras", help="camera registry queries; the demo camera server")
    sub = p.add_subparsers(dest="cameras_command", metavar="ACTION", required=True)

    near = sub.add_parser("nearest", help="the N cameras nearest a point, nearest first")
    near.add_argument("--site", required=True, help="site.toml (or its folder)")
    near.add_argument("lon", type=float, help="longitude (or x in --crs)")
    near.add_argument("lat", type=float, help="latitude (or y in --crs)")
    near.add_argument("--n", type=int, default=None, help="how many (default: the site's cameras.nearest_n)")
    near.add_argument("--crs", default="EPSG:4326", help="CRS of LON LAT: EPSG:<code>, gcj02 or bd09")
    near.add_argument("--json", action="store_true", help="print JSON")
    near.set_defaults(handler=_nearest)

    find = sub.add_parser("search", help="cameras whose id, name or tag matches TEXT")
    find.add_argument("--site", required=True, help="site.toml (or its folder)")
    find.add_argument("text", help="text to find in camera ids, names and tags")
    find.add_argument("--limit", type=int, default=20, help="show at most this many (default 20)")
    find.add_argument("--json", action="store_true", help="print JSON")
    find.set_defaults(handler=_search)

    serve = sub.add_parser("serve", help="serve demo clips for a site's cameras over local HTTP")
    serve.add_argument("--site", help="site.toml (or its folder); default: the bundled sample site")
    serve.add_argument("--port", type=int, default=None, help="default: the port in the site's camera URLs")
    serve.add_argument("--cache", type=Path, default=None, help="clip cache folder")
    serve.set_defaults(handler=_serve)


def _registry(site_path: str) -> tuple[Any, Any] | None:
    """(site, registry in a frame whose origin is the site CRS origin), errors printed."""
    from controlroom.app.cli_site import load_site_or_report
    from controlroom.core.issues import InputError
    from controlroom.geo.cameras import load_cameras
    from controlroom.geo.crs import LocalFrame

    site = load_site_or_report(site_path)
    if site is None:
        return None
    if site.cameras is None:
        print_error(f"{site.path}: no [cameras] section; expected a camera registry")
        return None
    try:
        return site, load_cameras(site.cameras, LocalFrame(site.site.crs, 0.0, 0.0))
    except InputError as exc:
        print_error(exc)
        return None


def _print_rows(rows: list[dict[str, Any]], as_json: bool, line: Callable[[dict[str, Any]], str]) -> None:
    """One JSON array for scripts, or one formatted line per row for people."""
    if as_json:
        json.dump(rows, sys.stdout, ensure_ascii=False)
        print()
    else:
        for r in rows:
            print(line(r))


def _nearest(args: argparse.Namespace) -> int:
    from controlroom.geo.crs import LocalFrame

    loaded = _registry(args.site)
    if loaded is None:
        return 1
    site, registry = loaded
    if args.n is not None and args.n < 1:
        print_error("--n must be at least 1")
        return 2
    try:
        x, y = LocalFrame(site.site.crs, 0.0, 0.0).from_crs([args.lon], [args.lat], args.crs)
    except Exception as exc:
        print_error(f"--crs {args.crs!r}: {exc}; expected EPSG:<code>, gcj02 or bd09")
        return 2
    hits = registry.nearest(float(x[0]), float(y[0]), args.n)
    rows = [{"id": h.camera.id, "name": h.camera.name, "distance_m": round(h.distance_m, 2)} for h in hits]
    _print_rows(rows, args.json, lambda r: f"{r['distance_m']:>10.1f} m  {r['id']:<12} {r['name']}")
    return 0


def _search(args: argparse.Namespace) -> int:
    loaded = _registry(args.site)
    if loaded is None:
        return 1
    _, registry = loaded
    rows = [
        {"id": c.id, "name": c.name, "lon": c.lon, "lat": c.lat, "tags": list(c.tags)}
        for c in registry.search(args.text, args.limit)
    ]
    _print_rows(rows, args.json, lambda r: f"{r['id']:<12} {r['name']}  ({', '.join(r['tags'])})")
    return 0


def site_video_port(site_path: Path) -> int | None:
    """The port the site's demo camera URLs point at (http://127.0.0.1:PORT/…), if any."""
    import csv

    from controlroom.core.site import load_site

    site = load_site(site_path)
    if site.cameras is None or site.cameras.resolved_format != "csv":
        return None
    with Path(site.cameras.path).open(encoding="utf-8-sig", newline="") as fh:
        row = next(csv.DictReader(fh), None)
    url = (row or {}).get(site.cameras.sub_url_attribute) or ""
    parsed = urlparse(url)
    return parsed.port if parsed.scheme == "http" and parsed.hostname == "127.0.0.1" else None


def _serve(args: argparse.Namespace) -> int:
    from controlroom.app.demo_clips import clip_cache_dir
    from controlroom.app.video_server import DEFAULT_PORT, ClipServer, site_camera_names

    if args.site:
        site_path = Path(args.site)
    else:
        from controlroom.app.sample_site import demo_site

        site_path = demo_site()
    names = site_camera_names(site_path)
    port = args.port or site_video_port(site_path) or DEFAULT_PORT
    try:
        server = ClipServer(names, args.cache or clip_cache_dir(), port=port)
    except OSError as exc:
        print_error(f"cannot listen on 127.0.0.1:{port} ({exc}); pass --port")
        return 1
    print(f"serving {len(names)} cameras at http://127.0.0.1:{server.port}/cam/<id>/sub.mp4 (and main.mp4)")
    sys.stdout.flush()
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0
