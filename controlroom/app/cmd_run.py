"""``controlroom run`` and ``controlroom demo``: open a site's operations view."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from controlroom.core.issues import SiteError

SAMPLE_SITE_DIR = Path(__file__).resolve().parents[2] / "assets" / "sample-site"


def sample_site_path() -> Path:
    """The bundled sample site, its data generated on first use (deterministic, a few seconds)."""
    from controlroom.app.sample_site import ensure_sample_site

    return ensure_sample_site(SAMPLE_SITE_DIR)


def open_site(site_path: Path | str, args: argparse.Namespace) -> int:
    from controlroom.core.site import load_site

    try:
        site = load_site(site_path)
    except SiteError as exc:
        print(exc, file=sys.stderr)
        print("run `controlroom doctor --site ...` for the full report", file=sys.stderr)
        return 1

    from controlroom.qt.application import make_application
    from controlroom.render.theme import configure_pyvista

    configure_pyvista()
    app = make_application()
    from PySide6.QtCore import QTimer

    from controlroom.app.main_window import MainWindow

    window = MainWindow(site)
    window.resize(*args.size)
    window.show()
    window.start_loading()
    exit_code = 0

    def grab_and_quit() -> None:
        if args.screenshot:
            out = Path(args.screenshot)
            out.parent.mkdir(parents=True, exist_ok=True)
            window.grab().save(str(out))
            print(out)
        app.quit()

    def on_loaded(_model: object) -> None:
        if args.screenshot or args.quit_after is not None:
            QTimer.singleShot(int(1000 * (args.quit_after or 1.0)), grab_and_quit)

    def on_failed(message: str) -> None:
        nonlocal exit_code
        print(f"error: {message}", file=sys.stderr)
        exit_code = 1
        if args.screenshot or args.quit_after is not None:
            app.quit()

    window.sig_city_loaded.connect(on_loaded)
    window.sig_city_failed.connect(on_failed)
    app.exec()
    window.close()
    return exit_code


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size {text!r}: expected WIDTHxHEIGHT") from None
    return w, h


def _add_window_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", type=_size, default=(1600, 900), help="window size WIDTHxHEIGHT")
    p.add_argument("--screenshot", help="after the city loads, save the window to this PNG and quit")
    p.add_argument("--quit-after", type=float, help="quit this many seconds after the city loaded")


def _run(args: argparse.Namespace) -> int:
    return open_site(args.site, args)


def _demo(args: argparse.Namespace) -> int:
    return open_site(sample_site_path(), args)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser("demo", help="open the bundled sample site")
    _add_window_options(demo)
    demo.set_defaults(handler=_demo)
    run = sub.add_parser("run", help="open a site")
    run.add_argument("--site", required=True, help="site.toml (or its folder)")
    _add_window_options(run)
    run.set_defaults(handler=_run)
