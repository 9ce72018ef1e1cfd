"""``controlroom brief``: the leader's one-click brief as an A4 PDF, headless.

Data: ``--from T1 --to T2`` (any past period, from the recorded history: ``--history-dir`` or
the site's), else ``--recording FILE`` (a ``feed record`` file; the period ends at its last
frame), else the site's live feed for ``--listen`` seconds; when nothing arrives the brief says
"no live data".
The map uses ``--view`` (a site view or one of the user's saved views), else the overview.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from controlroom.app.cli_errors import print_error
from controlroom.core.period_stats import PERIODS


def register(sub: Any) -> None:
    p = sub.add_parser("brief", help="write the leader's brief (A4 PDF: map, vital signs, incidents)")
    p.add_argument("--site", required=True, help="site.toml (or its folder)")
    p.add_argument("--out", required=True, type=Path, help="the PDF to write")
    p.add_argument("--period", choices=PERIODS, default="today", help="today (since local midnight), 24h, 7d")
    p.add_argument("--lang", choices=("en", "zh_CN"), help="language (default: your choice, else the site's)")
    p.add_argument("--recording", type=Path, help="read the feed from a recording instead of listening live")
    p.add_argument(
        "--from", dest="t_from", metavar="T1", help="a past period from history: its start (ISO or Unix s)"
    )
    p.add_argument("--to", dest="t_to", metavar="T2", help="the past period's end (default: now)")
    p.add_argument("--history-dir", type=Path, help="history folder (default: the site's [history] dir)")
    p.add_argument("--listen", type=float, default=3.0, help="seconds to listen to the live feed (default 3)")
    p.add_argument("--endpoint", help="live feed endpoint (default: the site's)")
    p.add_argument("--view", help="frame the map with this named view (site or saved)")
    p.add_argument(
        "--author",
        help="name on the cover (default: the desk user's display_name in the site's [[dispatch.users]], "
        "else the login name)",
    )
    p.add_argument(
        "--flood-level",
        type=float,
        metavar="M",
        help="add a flood what-if page: the river at M metres (needs [terrain])",
    )
    p.set_defaults(handler=_brief)


def _find_view(site: Any, name: str | None) -> Any:
    if name is None:
        return None
    from controlroom.core.saved_views import ViewStore

    view = ViewStore(site).find(name)
    if view is None:
        raise KeyError(f"no view named '{name}' (views: {', '.join(ViewStore(site).names()) or 'none'})")
    return view.as_site_view()


def _flood_page(site: Any, model: Any, frame: Any, level: float, tmp: Path) -> tuple[dict[str, Any], Path]:
    """The what-if at ``level`` on this city: its summary and a picture of it."""
    from controlroom.app.commands.flood import admin_levels
    from controlroom.geo.flood_site import scene_for
    from controlroom.render.overlays.flood import flood_snapshot

    scene = scene_for(site, model, frame, admin_levels=admin_levels(site))
    impact = scene.impact(scene.at(level))
    # framed on the water itself, whatever view frames the incident map
    png = flood_snapshot(model, impact, tmp / "flood.png", size=(1600, 1000))
    return impact.summary(), png


def _history_period(args: argparse.Namespace, site: Any) -> tuple[float, float] | bool | None:
    """(t1, t2) from ``--from``/``--to``; None when the brief is not of a past period; False
    after printing what is wrong."""
    from controlroom.history.times import TimeFormatError, parse_time

    if args.t_from is None:
        if args.t_to is not None:
            print_error("brief: --to needs --from (the start of the past period)")
            return False
        return None
    if args.recording is not None:
        print_error("brief: give either --from/--to (history) or --recording, not both")
        return False
    try:
        t1 = parse_time(args.t_from, site.site.timezone)
        t2 = time.time() if args.t_to is None else parse_time(args.t_to, site.site.timezone)
    except TimeFormatError as exc:
        print_error(f"brief: {exc}")
        return False
    if t2 <= t1:
        print_error(f"brief: the period ends ({args.t_to}) at or before it starts ({args.t_from})")
        return False
    return t1, t2


def _brief(args: argparse.Namespace) -> int:
    from controlroom.core.issues import InputError, SiteError
    from controlroom.core.preferences import choose_language
    from controlroom.core.site import load_site

    try:
        site = load_site(args.site)
        view = _find_view(site, args.view)
    except (SiteError, KeyError) as exc:
        print_error(exc)
        return 1
    if args.recording is not None and not args.recording.is_file():
        print_error(f"--recording {args.recording}: no such file")
        return 1
    period = _history_period(args, site)
    if period is False:
        return 1
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # text and images only: no window needed

    from controlroom.feed.brief_data import collect
    from controlroom.geo.city_loader import load_city
    from controlroom.geo.crs import LocalFrame
    from controlroom.qt.application import make_application
    from controlroom.qt.brief_pdf import BriefWriter
    from controlroom.qt.i18n import current_language
    from controlroom.qt.map_image import brief_map_decor
    from controlroom.render.incident_map import render_incident_map

    started = time.perf_counter()
    make_application(language=choose_language(args.lang, site.site.language))
    model = load_city(site)
    frame = LocalFrame.of_model(model)
    try:
        if isinstance(period, tuple):
            from controlroom.history.brief import brief_from_history
            from controlroom.history.query import HistoryReader
            from controlroom.history.recorder import history_dir

            reader = HistoryReader(history_dir(site, args.history_dir))
            try:
                data = brief_from_history(site, model, reader, *period)
            finally:
                reader.close()
        else:
            data = collect(
                site,
                model,
                frame,
                args.period,
                recording=args.recording,
                listen_s=args.listen,
                endpoint=args.endpoint,
            )
    except InputError as exc:
        print_error(exc)
        return 1
    from controlroom.core.incidents import IncidentState

    open_states = [
        IncidentState(r.id, r.type, r.severity, r.x, r.y, (), r.text, r.status, r.raised_at, r.raised_at)
        for r in data.stats.records
        if r.is_open
    ]
    with tempfile.TemporaryDirectory(prefix="controlroom-brief-") as tmp:
        map_png = render_incident_map(
            model, Path(tmp) / "map.png", open_states, data.now, view=view, frame=frame,
            decorate=brief_map_decor(model, current_language()),  # names in the brief's language
        )  # fmt: skip
        flood = (
            _flood_page(site, model, frame, args.flood_level, Path(tmp))
            if args.flood_level is not None
            else None
        )
        out = BriefWriter(data, map_png, author=args.author, flood=flood, site=site).write(args.out)
    print(out)
    print(
        f"brief: {data.stats.total} incidents, {len(data.metrics)} vital signs, data: {data.source}, "
        f"{time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return 0
