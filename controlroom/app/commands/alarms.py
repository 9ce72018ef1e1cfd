"""``controlroom alarms``: check a site's alarm rules, backtest the early warning on a series."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from controlroom.app.cli_errors import print_error
from controlroom.core.issues import InputError, Issue, SiteError

KNOWN_LAYERS = ("buildings", "roads", "water", "poi", "cameras", "units", "entities", "incidents", "sensors")


def _emit(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        json.dump(result, sys.stdout, ensure_ascii=False)
        print()
    else:
        for key, value in result.items():
            if key == "issues":
                for issue in value:
                    print(Issue(**issue))
            else:
                print(f"{key:<22} {value}")


def check_site_rules(site_path: str) -> dict[str, Any]:
    """Rules valid, geofence layers and codes present, layers named exist. ``ok`` says it all."""
    from controlroom.core.alarms.rules import load_site_rules, rules_path
    from controlroom.core.site import load_site
    from controlroom.geo.alarm_zones import build_zones
    from controlroom.geo.crs import LocalFrame

    site = load_site(site_path)
    path = rules_path(site)
    rules = load_site_rules(site)
    issues: list[Issue] = []
    layers = set(KNOWN_LAYERS) | {f"boundary:{b.level}" for b in site.boundaries}
    for i, r in enumerate(rules.rule):
        if r.layer is not None and r.layer not in layers:
            issues.append(
                Issue(str(rules.path), f"rule[{i}].layer", repr(r.layer), f"one of {sorted(layers)}")
            )
    lon, lat = site.site.origin or (0.0, 0.0)
    _, zone_issues = build_zones(rules, site, LocalFrame.at_wgs84(site.site.crs, lon, lat))
    issues += zone_issues
    kinds: dict[str, int] = {}
    for r in rules.rule:
        kinds[r.kind] = kinds.get(r.kind, 0) + 1
    return {
        "ok": not any(i.severity == "error" for i in issues),
        "rules_file": str(path) if path else None,
        "rules": len(rules.rule),
        "kinds": kinds,
        "zones": len(rules.zone),
        "issues": [i.to_dict() for i in issues],
    }


def _check(args: argparse.Namespace) -> int:
    try:
        result = check_site_rules(args.site)
    except SiteError as exc:
        result = {"ok": False, "issues": [i.to_dict() for i in exc.issues]}
    _emit(result, args.json)
    return 0 if result["ok"] else 1


def _backtest(args: argparse.Namespace) -> int:
    from controlroom.core.alarms.backtest import backtest, pick_rule, read_series
    from controlroom.core.alarms.rules import load_site_rules
    from controlroom.core.site import load_site

    try:
        rules = load_site_rules(load_site(args.site))
        rule = pick_rule(rules, args.rule)
        t, v = read_series(Path(args.series))
    except SiteError as exc:
        _emit({"ok": False, "issues": [i.to_dict() for i in exc.issues]}, args.json)
        return 1
    except InputError as exc:
        print_error(exc)
        return 1
    _emit(backtest(rule, t, v), args.json)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    alarms = sub.add_parser("alarms", help="alarm rules: check them, backtest the early warning")
    asub = alarms.add_subparsers(dest="alarms_command", metavar="ALARMS", required=True)
    check = asub.add_parser("check", help="rules valid, referenced layers and boundary codes exist")
    check.add_argument("--site", required=True, help="site.toml or its folder")
    check.add_argument("--json", action="store_true", help="print JSON")
    check.set_defaults(handler=_check)
    bt = asub.add_parser("backtest", help="replay a series (CSV t,value) through a threshold rule's forecast")
    bt.add_argument("--site", required=True, help="site.toml or its folder")
    bt.add_argument("--series", required=True, help="CSV with a header: t (unix seconds), value")
    bt.add_argument("--rule", help="rule id (default: the first threshold rule with forecast_horizon_s)")
    bt.add_argument("--json", action="store_true", help="print JSON")
    bt.set_defaults(handler=_backtest)
