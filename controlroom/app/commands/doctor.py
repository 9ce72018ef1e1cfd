"""``controlroom doctor``: everything a site can get wrong, reported at once, as instructions."""

from __future__ import annotations

import argparse
import json
import sys

from controlroom.core.doctor import DoctorOptions
from controlroom.core.issues import Issue, SiteError


def run_doctor(site_path: str, options: DoctorOptions | None = None) -> list[Issue]:
    """Schema validation, then (when the schema is sound) every registered check (site_doctor)."""
    from controlroom.core.site import load_site

    try:
        site = load_site(site_path)
    except SiteError as exc:
        return exc.issues
    from controlroom.app.site_doctor import run_checks

    return run_checks(site, options)


def _doctor(args: argparse.Namespace) -> int:
    options = DoctorOptions(offline=args.offline, timeout_s=args.timeout, for_delivery=args.for_delivery)
    issues = run_doctor(args.site, options)
    errors = [i for i in issues if i.severity == "error"]
    warnings = [i for i in issues if i.severity == "warning"]
    if args.json:
        json.dump(
            {
                "ok": not errors,
                "errors": len(errors),
                "warnings": len(warnings),
                "issues": [i.to_dict() for i in issues],
            },
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        print()
    else:
        for issue in issues:
            print(issue)
        verdict = "OK" if not errors else "FAILED"
        print(f"doctor: {verdict}: {len(errors)} error(s), {len(warnings)} warning(s) in {args.site}")
    if errors:
        return 1
    if warnings and args.strict:
        return 2
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "doctor",
        help="check a site: schema, files, CRS, offsets, layouts, cameras, keys, endpoints, licences",
    )
    p.add_argument("--site", required=True, help="site.toml (or its folder)")
    p.add_argument("--json", action="store_true", help="machine-readable report")
    p.add_argument("--strict", action="store_true", help="exit 2 when there are warnings only")
    p.add_argument("--offline", action="store_true", help="do not probe the feed/gateway/wall endpoints")
    p.add_argument("--timeout", type=float, default=0.5, help="seconds per endpoint probe (default 0.5)")
    p.add_argument(
        "--for-delivery", action="store_true", help="as `package` sees it: internal-only data is an error"
    )
    p.set_defaults(handler=_doctor)
