"""``controlroom snapshot``: render a site's city off-screen to a PNG (no window, no X needed)."""

from __future__ import annotations

import argparse
from pathlib import Path

from controlroom.app.cli_errors import print_error
from controlroom.core.issues import InputError, SiteError


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size {text!r}: expected WIDTHxHEIGHT, e.g. 1600x900") from None
    if not (64 <= w <= 8192 and 64 <= h <= 8192):
        raise argparse.ArgumentTypeError(f"size {text!r}: each side must be 64..8192 pixels")
    return w, h


def _snapshot(args: argparse.Namespace) -> int:
    import os

    from controlroom.core.preferences import choose_language
    from controlroom.core.site import load_site
    from controlroom.geo.city_loader import load_city
    from controlroom.geo.crs import LocalFrame
    from controlroom.render.map_labels import collect_labels
    from controlroom.render.snapshot import render_snapshot

    try:
        site = load_site(args.site)
        view = site.view(args.view) if args.view else None
        model = load_city(site)
    except (SiteError, InputError, KeyError) as exc:
        print_error(exc)
        return 1
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # Qt only paints names on the picture
    from controlroom.qt.application import make_application
    from controlroom.qt.map_image import MapImageDecor, legend_words

    language = choose_language(args.lang, site.site.language)
    make_application(language=language)
    names = MapImageDecor(collect_labels(model), language, title=site.title_in(language))
    try:
        out = render_snapshot(
            model,
            Path(args.out),
            size=args.size,
            view=view,
            frame=LocalFrame.of_model(model),
            color_by=args.color_by,
            decorate=names,  # the title, the district/river/road names, north arrow and scale bar
            legend_words=legend_words(language, site),
        )
    except KeyError as exc:  # the renderer names the attribute and lists the real ones
        print_error(f"--color-by: {exc.args[0]}")
        return 1
    buildings = model.layers.get("buildings")
    n = len(buildings.objects) if buildings is not None else 0
    kib = out.stat().st_size / 1024
    city = f"{n:,} buildings, {model.n_triangles:,} triangles"
    if model.tilesets:  # the streamed city is not in the model's own layers
        city = f"{len(model.tilesets)} streamed tileset(s)"
    size = f"{args.size[0]}×{args.size[1]}"
    print(f"wrote {out} ({size} PNG, {kib:,.0f} KiB; {city}; view {args.view or 'overview'})")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "snapshot",
        help="render the site's 3D city to a PNG off-screen",
        description="Render a site's 3D city to a PNG without a window or an X server (EGL), "
        "e.g. for a report or to check a new site's data; prints what it wrote.",
    )
    p.add_argument("--site", required=True, help="site.toml (or its folder)")
    p.add_argument("--out", required=True, help="PNG file to write")
    p.add_argument("--size", type=_size, default=(1600, 900), help="WIDTHxHEIGHT (default 1600x900)")
    p.add_argument("--view", help="a named view from the site file")
    p.add_argument("--color-by", help="colour buildings by this attribute (e.g. height, use)")
    p.add_argument(
        "--lang",
        choices=("en", "zh_CN"),
        help="language of the names (default: your choice, else the site's)",
    )
    p.set_defaults(handler=_snapshot)
