"""``controlroom run`` and ``controlroom demo``: open a site's operations view, in one window or on
a wall layout's screens."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from controlroom.app.cli_errors import print_error
from controlroom.core.issues import SiteError

if TYPE_CHECKING:
    from collections.abc import Callable

    from controlroom.core.site import Site
    from controlroom.layouts.spec import LayoutSpec


def sample_site_path() -> Path:
    """The bundled sample site, its data generated on first use (deterministic, a few seconds)."""
    from controlroom.app.sample_site import demo_site

    return demo_site()


def _load_layout(site: Site, name: str) -> LayoutSpec | None:
    from controlroom.app.site_doctor import layout_dirs
    from controlroom.core.issues import InputError
    from controlroom.layouts.files import find_layout, load_layout

    try:
        return load_layout(find_layout(name, layout_dirs(site)))
    except SiteError as exc:  # its issues name the layout already
        print_error(exc)
        return None
    except (InputError, FileNotFoundError, KeyError) as exc:
        print_error(f"layout {name!r}: {exc}")
        return None


def display_problem(env: Mapping[str, str] | None = None, platform: str = sys.platform) -> str | None:
    """Why a window cannot open here, checked before Qt (which would abort the process, exit 134).

    On Linux a window needs an X or Wayland server; Qt's display-less platforms (offscreen,
    eglfs, vnc, …) are the user's explicit choice and are left alone.
    """
    env = os.environ if env is None else env
    if not platform.startswith("linux"):
        return None
    qpa = env.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower()
    if qpa and qpa != "xcb" and not qpa.startswith("wayland"):
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return "no display: run under xvfb-run or set DISPLAY"


def _doctor_hint(site_path: Path | str) -> str:
    return f"run `controlroom doctor --site {site_path}` for the full report"


def wall_image(windows: list[Any]) -> Any:
    """One image of the whole virtual desktop with every wall window painted where it is."""
    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter

    area = QRect()
    for screen in QGuiApplication.screens():
        area = area.united(screen.geometry())
    image = QImage(area.size(), QImage.Format.Format_RGB32)
    image.fill(QColor("black"))
    painter = QPainter(image)
    for window in windows:
        painter.drawPixmap(window.geometry().topLeft() - area.topLeft() + QPoint(0, 0), window.grab())
    painter.end()
    return image


def open_site(site_path: Path | str, args: argparse.Namespace) -> int:
    from controlroom.core.site import load_site

    try:
        site = load_site(site_path)
    except SiteError as exc:
        print_error(exc, hint=_doctor_hint(site_path))
        return 1
    spec = None
    if args.layout:
        spec = _load_layout(site, args.layout)
        if spec is None:
            return 2
    from controlroom.geo.city_loader import missing_files

    if missing := missing_files(site):  # said before any window opens
        print_error(SiteError(missing), hint=_doctor_hint(site_path))
        return 1
    if (problem := display_problem()) is not None:
        print_error(problem)
        return 2

    from controlroom.core.preferences import choose_language
    from controlroom.qt.application import make_application
    from controlroom.render.theme import configure_pyvista

    configure_pyvista()
    app = make_application(language=choose_language(args.lang, site.site.language))
    from PySide6.QtCore import QTimer

    from controlroom.qt.live import LiveCity

    live = LiveCity(site, feed=not args.no_feed)
    if getattr(args, "memory_mb", None):
        live.tile_memory_mb = args.memory_mb
    if not args.no_feed:
        # Every screen of this instance shows the gateway's incident state (the authority once it
        # has an incident), whether or not an incidents panel is open.
        from controlroom.qt.dispatch_bridge import DispatchBridge

        bridge = DispatchBridge.for_live(live)
        # Alarm actions go through the gateway too, so every desk's alarm list agrees.
        from controlroom.qt.alarm_service import alarm_service_for
        from controlroom.qt.alarm_sync import link_alarms_to_gateway

        link_alarms_to_gateway(
            alarm_service_for(live), bridge.client, bridge.sig_event_applied, bridge.sig_order_answered
        )
    exit_code = 0
    if spec is not None:
        from controlroom.app.wall_session import WallSession
        from controlroom.feed.keys import FeedSecurityError

        try:
            session = WallSession(site, spec, live=live, control_endpoint=args.control_endpoint)
        except FeedSecurityError as exc:
            print_error(f"push-to-wall not started: {exc}")
            return 2
        session.start()
        if session.manager.banner_text():
            print(session.manager.banner_text(), file=sys.stderr)
        if session.control is not None:  # it opens once the wall can apply commands
            session.control.sig_listening.connect(
                lambda endpoint: print(f"push-to-wall: listening on {endpoint}", file=sys.stderr, flush=True)
            )
            session.control.sig_open_failed.connect(
                lambda why: print(f"error: push-to-wall not started: {why}", file=sys.stderr, flush=True)
            )
        stop: Callable[[], object] = session.stop
    else:
        from controlroom.app.main_window import MainWindow

        window = MainWindow(site, live=live)
        window.resize(*args.size)
        window.show()
        live.start()
        stop = window.close

    def grab_and_quit() -> None:
        if args.screenshot:
            out = Path(args.screenshot)
            out.parent.mkdir(parents=True, exist_ok=True)
            if spec is not None:  # every monitor of the wall, composed as the room sees it
                wall_image(session.manager.windows).save(str(out))
            else:
                window.grab().save(str(out))
            print(out)
        app.quit()

    def on_loaded(_model: object) -> None:
        if args.screenshot or args.quit_after is not None:
            QTimer.singleShot(int(1000 * (args.quit_after or 1.0)), grab_and_quit)

    def on_failed(message: str) -> None:
        nonlocal exit_code
        print_error(message, hint="" if "controlroom doctor" in message else _doctor_hint(site_path))
        exit_code = 1
        if args.screenshot or args.quit_after is not None:
            app.quit()

    live.sig_city_loaded.connect(on_loaded)
    live.sig_city_failed.connect(on_failed)
    app.exec()
    stop()
    live.stop()  # safe after the window's or the session's own stop
    from controlroom.feed.service_thread import stop_all_service_threads

    alive = stop_all_service_threads()
    if alive:
        logging.getLogger(__name__).warning("threads still running at exit: %s", ", ".join(alive))
    return exit_code


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size {text!r}: expected WIDTHxHEIGHT") from None
    return w, h


def _add_window_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", type=_size, default=(1600, 900), help="window size WIDTHxHEIGHT")
    p.add_argument(
        "--layout",
        metavar="NAME|FILE",
        help="place the panels on the screens by this layout (e.g. wall-3x2, briefing-laptop)",
    )
    p.add_argument(
        "--control-endpoint",
        metavar="E",
        help="with --layout: accept push-to-wall commands here (default: the site's [wall] control_endpoint)",
    )
    p.add_argument("--no-feed", action="store_true", help="show the static city only (no live feed)")
    p.add_argument(
        "--lang",
        choices=("en", "zh_CN"),
        help="UI language for this run (default: your saved choice, else the site's language)",
    )
    p.add_argument("--screenshot", help="after the city loads, save the window(s) to this PNG and quit")
    p.add_argument("--quit-after", type=float, help="quit this many seconds after the city loaded")
    p.add_argument(
        "--memory-mb",
        type=int,
        metavar="MB",
        help="memory for streamed city tiles (default: the site's [city] memory_mb, 600)",
    )


def _run(args: argparse.Namespace) -> int:
    return open_site(args.site, args)


def _demo(args: argparse.Namespace) -> int:
    from controlroom.app.demo_services import DemoServices

    if (problem := display_problem()) is not None:  # before generating data and starting services
        print_error(problem)
        return 2
    if args.city == "big":  # the city-sized sample: streamed as tiles, no live services
        from controlroom.app.big_city import ensure_big_city

        return open_site(ensure_big_city(), args)
    site_path = sample_site_path()
    broker = None
    if args.via != "zmq":  # the same services and window, the feed through a real broker
        from controlroom.app.demo_brokers import BrokerError, DemoBroker

        broker = DemoBroker(args.via)
        try:
            site_path = broker.start(site_path)
        except BrokerError as exc:
            broker.stop()
            print_error(str(exc))
            return 2
    services = DemoServices(site_path)
    if not args.no_feed and not args.no_services:
        services.start_all()
    try:
        return open_site(site_path, args)
    finally:
        services.stop()
        if broker is not None:
            broker.stop()


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser(
        "demo",
        help="open the bundled sample site with its simulated live feed",
        description="Open the bundled sample site (a generated Pearl River delta district) with its "
        "services: the live feed simulator, the demo camera video server and the dispatch gateway. "
        "The sample data is generated on first use; everything stops when the window closes.",
    )
    _add_window_options(demo)
    demo.add_argument(
        "--no-services", action="store_true", help="do not start the simulator and other demo services"
    )
    demo.add_argument(
        "--city",
        choices=("district", "big"),
        default="district",
        help="district: the 23k-building sample with its services; big: a generated 1,000,000-building "
        "city streamed as tiles (generated and tiled on first use, about a minute)",
    )
    demo.add_argument(
        "--via",
        choices=("zmq", "nats", "mqtt"),
        default="zmq",
        help="the feed's transport: zmq (our own sockets, the default), nats (a NATS JetStream server "
        "started for the demo; needs nats-server) or mqtt (mosquitto, started for the demo)",
    )
    demo.set_defaults(handler=_demo)
    run = sub.add_parser(
        "run",
        help="open a site",
        description="Open a site's operations view: the 3D city, the live feed, incidents and video, "
        "in one window or (with --layout) across a wall's screens. Check a new site with "
        "`controlroom doctor --site SITE` first; it lists every problem at once.",
    )
    run.add_argument("--site", required=True, help="site.toml (or its folder)")
    _add_window_options(run)
    run.set_defaults(handler=_run)
