"""``controlroom self-test``: can this PC run this site? (A built app runs it as ``--self-test``.)"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _self_test(args: argparse.Namespace) -> int:
    from controlroom.app.self_test import as_dict, run_self_test

    steps = run_self_test(
        args.site,
        timeout_s=args.timeout,
        require_endpoints=args.require_endpoints,
        frame_out=Path(args.frame) if args.frame else None,
    )
    report = as_dict(steps)
    if args.json:
        json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
        print()
    else:
        for step in steps:
            print(step)
        failed = [s.name for s in steps if s.status == "failed"]
        warned = [s.name for s in steps if s.status == "warning"]
        verdict = "OK" if not failed else "FAILED: " + ", ".join(failed)
        print(f"self-test: {verdict} ({len(steps)} checks, {len(warned)} warning(s))")
    return 0 if report["ok"] else 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("self-test", help="prove this PC can run the site: load, render, reach endpoints")
    p.add_argument("--site", required=True, help="site.toml (or its folder); a build defaults to its own")
    p.add_argument("--timeout", type=float, default=1.0, help="seconds to wait for each endpoint (default 1)")
    p.add_argument("--require-endpoints", action="store_true", help="fail when an endpoint does not answer")
    p.add_argument("--frame", help="also save the rendered frame to this PNG")
    p.add_argument("--json", action="store_true", help="machine-readable report")
    p.set_defaults(handler=_self_test)
