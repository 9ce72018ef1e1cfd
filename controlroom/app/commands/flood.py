"""``controlroom flood``: what goes under water if the river rises to a level (三防 what-if)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from controlroom.core.site import Site


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "flood", help="flood what-if: buildings, roads, cameras and people under water at a river level"
    )
    p.add_argument("--site", required=True, help="site.toml or its folder (needs [terrain])")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--level", type=float, metavar="M", help="water level, metres in the terrain's datum")
    how.add_argument("--rise", type=float, metavar="M", help="metres over the reading of --gauge")
    how.add_argument("--rain", type=float, metavar="MM", help="rainfall depth ponding in low ground")
    p.add_argument("--gauge", metavar="ID", help="the river-level sensor --rise is counted from")
    p.add_argument(
        "--reading", type=float, metavar="M", help="the gauge's reading (default: ask the live feed)"
    )
    p.add_argument(
        "--wait", type=float, default=5.0, metavar="S", help="seconds to wait for the gauge on the feed"
    )
    p.add_argument(
        "--breach", nargs=2, type=float, metavar=("LON", "LAT"), help="water enters here, not the river"
    )
    p.add_argument("--crs", default="EPSG:4326", help="frame of --breach: EPSG:<code>, gcj02 or bd09")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--out-geojson", type=Path, metavar="F", help="write water polygons and affected buildings"
    )
    p.add_argument(
        "--out-csv", type=Path, metavar="F", help="write the evacuation list (Chinese/English headers)"
    )
    p.add_argument("--snapshot", type=Path, metavar="PNG", help="write a 3D view of the city under water")
    p.add_argument("--view", help="a named view of the site for --snapshot (default: the overview)")
    p.add_argument("--map-png", type=Path, metavar="PNG", help="write a top-down map of the water")
    p.add_argument(
        "--flat-ground",
        action="store_true",
        help="no [terrain]: assume flat ground at [flood] flat_ground_m, flooding from the water layer",
    )
    p.set_defaults(handler=_flood)


def _fail(message: str) -> int:
    from controlroom.app.cli_errors import print_error

    print_error(message)
    return 2


def admin_levels(site: Site) -> dict[str, tuple[list[Any], list[str]]] | None:
    """The site's district/street/grid polygons (WGS 84) and names, read and converted by the
    dispatch ``AdminRouter`` (GCJ-02/BD-09 boundary files are converted there)."""
    if not site.boundaries:
        return None
    from controlroom.dispatch.routing import AdminRouter

    router = AdminRouter(site.boundaries, site.dispatch)
    return {
        level: (list(lv.frame.geometry), list(lv.names))
        for level, lv in router.levels.items()
        if level in ("district", "street", "grid")
    }


def gauge_reading(site: Site, gauge: str, wait_s: float) -> tuple[float, str]:
    """The gauge's latest value from the site's live feed (kind, value); raises LookupError."""
    from controlroom.feed.site_feed import open_site_feed

    feed = open_site_feed(site)
    feed.subscriber.snapshot_timeout_s = max(0.2, min(wait_s, 3.0))
    feed.subscriber.start()
    try:
        end = time.monotonic() + wait_s
        while time.monotonic() < end:
            feed.pump.apply_pending(time.time())
            if gauge in feed.pump.sensors.ids:
                kind, value, _ = feed.pump.sensors.reading(gauge)
                return value, kind
            time.sleep(0.05)
    finally:
        feed.subscriber.stop()
    raise LookupError(gauge)


def _flood(args: argparse.Namespace) -> int:
    from controlroom.app.cli_site import load_site_or_report
    from controlroom.core.issues import InputError
    from controlroom.core.site import normalise_crs
    from controlroom.geo.city_loader import load_city
    from controlroom.geo.crs import LocalFrame
    from controlroom.geo.flood_site import scene_for

    site = load_site_or_report(args.site)
    if site is None:
        return 2
    if args.rise is not None and not args.gauge:
        return _fail("flood: --rise needs --gauge ID (the river-level sensor the rise is counted from)")
    if site.terrain is None and not args.flat_ground:
        return _fail(
            f"{site.path}: the site has no [terrain], so the what-if cannot tell which ground is low; "
            f"add a [terrain] section with a DEM or a CityJSON TINRelief (see docs/site.md), or pass "
            f"--flat-ground for a flat-ground approximation from the water layer"
        )
    gauge_note = None
    if args.rise is not None:
        reading = args.reading
        if reading is None:
            try:
                reading, kind = gauge_reading(site, args.gauge, args.wait)
            except LookupError:
                return _fail(
                    f"flood: no reading from gauge {args.gauge!r} on {site.feed.endpoint} "
                    f"within {args.wait:g} s; expected a river-level sensor on the live feed "
                    f"(start it, or give --reading M)"
                )
            if kind != "river_level":
                return _fail(f"flood: sensor {args.gauge!r} measures {kind!r}; expected a river_level gauge")
        level = reading + args.rise
        gauge_note = {"gauge": args.gauge, "reading_m": reading, "rise_m": args.rise}
    model = load_city(site)
    frame = LocalFrame.of_model(model)
    scene = scene_for(site, model, frame, admin_levels=admin_levels(site), flat_ground=args.flat_ground)
    if scene.flat_ground_m is not None:
        print(
            f"flood: no [terrain] in {site.path}: flat ground at {scene.flat_ground_m:g} m assumed outside "
            f"the water layer; depths are level − {scene.flat_ground_m:g} m wherever the water reaches",
            file=sys.stderr,
        )
    breach = None
    if args.breach:
        try:
            bx, by = frame.from_crs([args.breach[0]], [args.breach[1]], normalise_crs(args.crs))
        except Exception as exc:  # pyproj: an unknown CRS
            raise InputError(
                f"flood: cannot convert --breach from {args.crs!r} ({exc}); "
                f"expected EPSG:<code>, gcj02 or bd09"
            ) from None
        breach = (float(bx[0]), float(by[0]))
        x0, x1, y0, y1 = scene.terrain.bounds()
        if not (x0 <= breach[0] <= x1 and y0 <= breach[1] <= y1):
            return _fail(
                f"flood: --breach {args.breach[0]} {args.breach[1]} ({args.crs}) lies outside the terrain; "
                f"expected a point inside the site's [terrain]"
            )
    if args.rain is not None:
        extent = scene.rain(args.rain)
    else:
        extent = scene.at(args.level if args.level is not None else level, breach)
    impact = scene.impact(extent)
    out = impact.summary()
    if gauge_note:
        out |= gauge_note
    if args.rain is not None:
        out["rain_mm"] = args.rain
    if breach is not None:
        out["breach"] = {"lon": args.breach[0], "lat": args.breach[1], "crs": normalise_crs(args.crs)}
    message = _nothing_message(scene, extent, breach) if extent.nothing_floods else None
    if message:
        out["message"] = message
    if args.out_geojson:
        from controlroom.geo.flood_export import write_geojson

        write_geojson(args.out_geojson, impact, frame)
    if args.out_csv:
        from controlroom.geo.flood_export import evacuation_csv

        args.out_csv.write_text(evacuation_csv(impact, frame), encoding="utf-8")
    if args.map_png:
        from controlroom.geo.flood_export import map_png

        map_png(args.map_png, impact)
    if args.snapshot:
        from controlroom.render.overlays.flood import flood_snapshot

        args.snapshot.parent.mkdir(parents=True, exist_ok=True)
        view = site.view(args.view) if args.view else None
        words = "nothing floods" if extent.nothing_floods else f"{out['area_km2']:g} km² under water"
        flood_snapshot(
            model,
            impact,
            args.snapshot,
            view=view,
            frame=frame,
            title=f"{site.title} · {extent.level_m:.2f} m · {words}",
        )
    if args.json:
        json.dump(out, sys.stdout, ensure_ascii=False)
        print()
    else:
        _print_text(out)
    return 0


def _nothing_message(scene: Any, extent: Any, breach: tuple[float, float] | None) -> str:
    bed = scene.river_bed_m(breach)
    where = "the breach point's ground" if breach else "the river bed"
    if bed is None:
        return "nothing floods: the site's water layer does not lie on the terrain (use --breach LON LAT)"
    if extent.level_m <= bed:
        return f"nothing floods: {extent.level_m:g} m is at or below {where} ({bed:.2f} m)"
    return f"nothing floods: no ground outside the river lies below {extent.level_m:g} m"


def _print_text(out: dict[str, Any]) -> None:
    if "message" in out:
        print(out["message"])
    b = out["buildings"]
    print(f"level      {out['level_m']} m ({out['how']})")
    print(f"area       {out['area_km2']} km², deepest {out['max_depth_m']} m")
    print(f"buildings  {b['flooded']} flooded, {b['wet']} wet, {b['dry']} dry; {out['people']} people")
    print(f"roads cut  {out['roads_cut_km']} km")
    print(f"in water   {out['cameras']} cameras, {out['units']} units, {len(out['underground'])} underground")
    for name, t in out["by_district"].items():
        print(
            f"  {name}: {t['flooded']} flooded, {t['wet']} wet, {t['people']} people, "
            f"{t['roads_cut_km']} km cut"
        )
