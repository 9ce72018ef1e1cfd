"""``controlroom layout check FILE...`` and ``controlroom layout preview FILE --out PNG``.

``check`` lists every problem of every file at once (file, key, found, expected) and exits
non-zero when any file has an error; ``--json`` gives the same for scripts and ``doctor``.
``preview`` draws the wall schematically for installers; it runs headless (it picks Qt's
offscreen platform itself when there is no display).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from controlroom.app.cli_errors import print_error

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("layout", help="check and preview wall layout files (layouts/*.toml)")
    sub = parser.add_subparsers(dest="layout_command", metavar="ACTION", required=True)

    check = sub.add_parser(
        "check", help="validate layout files; every problem at once, non-zero exit on error"
    )
    check.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help="layout .toml file(s), e.g. layouts/wall-3x2.toml"
    )
    check.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    check.set_defaults(handler=run_check)

    preview = sub.add_parser("preview", help="draw a layout (monitors, bezels, panels, preset) as a PNG")
    preview.add_argument("file", type=Path, metavar="FILE", help="the layout .toml file to draw")
    preview.add_argument("--out", type=Path, required=True, metavar="PNG", help="where to write the picture")
    preview.add_argument("--preset", help="which preset to draw (default: the layout's default preset)")
    preview.add_argument("--width", type=int, default=1600, help="image width in pixels (default 1600)")
    preview.set_defaults(handler=run_preview)

    listing = sub.add_parser(
        "list",
        help="the layout names --layout accepts, and the file each one is",
        description="List the layout names `run --layout NAME` accepts: the site's layouts/ folder "
        "first (with --site), then the layouts shipped with controlroom.",
    )
    listing.add_argument("--site", help="also list this site's own layouts (site.toml or its folder)")
    listing.set_defaults(handler=run_list)


def check_files(files: list[Path]) -> list[dict[str, Any]]:
    """One report per file: ``{"file", "ok", "name", "issues": [Issue.to_dict(), ...]}``."""
    from controlroom.core.issues import SiteError
    from controlroom.layouts.checks import cross_check
    from controlroom.layouts.files import load_layout

    reports = []
    for path in files:
        name = None
        try:
            spec = load_layout(path)
            name = spec.name
            issues = cross_check(spec)  # only warnings are left once it loads
        except SiteError as exc:
            issues = exc.issues
        reports.append(
            {
                "file": str(path),
                "ok": not any(i.severity == "error" for i in issues),
                "name": name,
                "issues": [i.to_dict() for i in issues],
            }
        )
    return reports


def run_check(args: argparse.Namespace) -> int:
    reports = check_files(list(args.files))
    if args.json:
        json.dump({"ok": all(r["ok"] for r in reports), "files": reports}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for report in reports:
            errors = sum(1 for i in report["issues"] if i["severity"] == "error")
            warnings = len(report["issues"]) - errors
            status = "OK  " if report["ok"] else "FAIL"
            print(f"{status} {report['file']}: {errors} error(s), {warnings} warning(s)")
            for issue in report["issues"]:
                where = f"  {issue['severity']}: {issue['key']}"
                line = f"{where}: found {issue['found']}; expected {issue['expected']}"
                print(line + (f" (fix: {issue['fix']})" if issue["fix"] else ""))
    return EXIT_OK if all(r["ok"] for r in reports) else EXIT_INVALID


def _ensure_gui_app() -> object:
    """A QGuiApplication for fonts; offscreen when there is no display to talk to."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    return QGuiApplication.instance() or QGuiApplication(["controlroom-layout-preview"])


def run_preview(args: argparse.Namespace) -> int:
    from controlroom.core.issues import SiteError
    from controlroom.layouts.files import load_layout

    try:
        spec = load_layout(args.file)
    except SiteError as exc:
        print_error(exc)
        return EXIT_INVALID
    if args.preset is not None and args.preset not in spec.presets:
        print_error(f"{args.file}: no preset '{args.preset}'; expected one of: {', '.join(spec.presets)}")
        return EXIT_USAGE
    if not 400 <= args.width <= 8000:
        print_error(f"--width {args.width}: expected 400..8000 pixels")
        return EXIT_USAGE
    app = _ensure_gui_app()
    from controlroom.qt.wall.preview import render_layout_preview

    image = render_layout_preview(spec, args.preset, args.width)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    from PySide6.QtCore import QByteArray
    from PySide6.QtGui import QImageWriter

    writer = QImageWriter(str(args.out), QByteArray(b"png"))  # PNG whatever the file's suffix
    if not writer.write(image):
        print_error(f"{args.out}: could not write the PNG (check the folder and permissions)")
        return EXIT_INVALID
    del app
    preset = args.preset or spec.default_preset_name
    print(f"wrote {args.out} ({image.width()}×{image.height()}, preset {preset})")
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    from controlroom.app.site_doctor import SHIPPED_LAYOUTS, layout_dirs
    from controlroom.layouts.files import layout_names

    dirs = [SHIPPED_LAYOUTS]
    if args.site:
        from controlroom.app.cli_site import load_site_or_report

        site = load_site_or_report(args.site)
        if site is None:
            return EXIT_INVALID
        dirs = layout_dirs(site)
    for name, path in layout_names(dirs).items():
        print(f"{name:<20} {path}")
    return EXIT_OK
