"""``controlroom package``: one self-contained build per site, for control-room PCs without Python."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from controlroom.app.cli_errors import print_error
from controlroom.core.issues import InputError, SiteError


def _package(args: argparse.Namespace) -> int:
    from controlroom.app.packager.build import package_site

    if args.verify:
        from controlroom.app.packager.manifest import verify_manifest

        problems = verify_manifest(Path(args.verify))
        for p in problems:
            print(f"error: {args.verify}: {p}")
        print(f"verify: {'OK' if not problems else 'FAILED'}: {len(problems)} problem(s)")
        return 1 if problems else 0
    if not args.site or not args.out:
        print_error("package needs --site and --out (or --verify BUILD)")
        return 2
    try:
        result = package_site(
            args.site,
            Path(args.out),
            fmt=args.format,
            include_secrets=args.include_secrets,
            work=Path(args.work) if args.work else None,
        )
    except SiteError as exc:
        print_error(
            exc, hint="package: refused; fix the above (controlroom doctor --site ... lists everything)"
        )
        return 1
    except InputError as exc:
        print_error(exc)
        return 1
    summary = result.summary()
    if args.json:
        json.dump(summary, sys.stdout, indent=2)
        print()
    else:
        for line in summary["left_out_secrets"]:
            print(f"note: secret not bundled (copy it onto the PC, mode 600): {line}")
        print(
            f"built {summary['artefact']}: {summary['file_count']} files, "
            f"{summary['total_bytes'] / 1e6:.0f} MB unpacked, in {summary['total_s']:.0f} s "
            f"(PyInstaller {summary['freeze_s']:.0f} s)"
        )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("package", help="build a self-contained app folder/archive for one site")
    p.add_argument("--site", help="site.toml (or its folder)")
    p.add_argument("--out", help="folder to write controlroom-<site>[.tar.zst|.zip] into")
    p.add_argument("--format", choices=("dir", "tar.zst", "zip"), default="dir", help="default: dir")
    p.add_argument("--include-secrets", action="store_true", help="also bundle secret keys (mode 600)")
    p.add_argument("--work", help="PyInstaller work folder (default: the user cache; reused across builds)")
    p.add_argument("--json", action="store_true", help="print the build summary as JSON")
    p.add_argument("--verify", metavar="BUILD", help="check a build folder against its MANIFEST.json")
    p.set_defaults(handler=_package)
