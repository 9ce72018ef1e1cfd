"""``controlroom bridge``: run one ``[[sources]]`` entry's bridge, or list the sources and their state."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from controlroom.app.cli_site import load_site_or_report


def bridge_argv(site: Path, source: str) -> list[str]:
    """The command line of one source's bridge process (the benchmark and the tests start it so)."""
    return [sys.executable, "-m", "controlroom.app.cli", "bridge", "--site", str(site), "--source", source]


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "bridge",
        help="turn a city source (MQTT, GTFS-RT, NATS; [[sources]] in site.toml) into the feed",
        description="controlroom bridge --site S --source NAME   (one process per source)\n"
        "controlroom bridge list --site S [--json]",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("action", nargs="?", choices=["run", "list"], default="run", help="run (default) or list")
    p.add_argument("--site", required=True, help="site.toml or its folder")
    p.add_argument("--source", help="the [[sources]] name to bridge")
    p.add_argument("--seconds", type=float, default=None, help="stop after this long (default: until Ctrl+C)")
    p.add_argument("--json", action="store_true", help="list: print JSON")
    p.set_defaults(handler=_bridge)


def _bridge(args: argparse.Namespace) -> int:
    site = load_site_or_report(args.site)
    if site is None:
        return 2
    if args.action == "list":
        return _list(site, args.json)
    if not args.source:
        names = ", ".join(s.name for s in site.sources) or "none declared"
        print(f"error: give --source NAME (sources in {site.path}: {names})", file=sys.stderr)
        return 2
    try:
        source = site.source(args.source)
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    return _run(site, source, args.seconds)


def _run(site: Any, source: Any, seconds: float | None) -> int:
    from controlroom.bridges.runtime import BridgeFailedError
    from controlroom.bridges.service import run_bridge
    from controlroom.core.issues import InputError, SiteError
    from controlroom.feed.broker_errors import FeedBrokerError
    from controlroom.feed.keys import FeedSecurityError

    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    timer = threading.Timer(seconds, stop.set) if seconds is not None else None
    if timer is not None:
        timer.daemon = True  # a bridge that fails early must not wait for it
        timer.start()
    print(
        f"bridge {source.name}: {source.kind} {', '.join(source.urls)} → "
        f"{source.publish if site.feed.transport == 'zmq' else getattr(site.feed, site.feed.transport).url}"
        f" ({len(source.map)} map(s))",
        file=sys.stderr,
        flush=True,
    )
    started = time.monotonic()
    try:
        bridge = run_bridge(site, source, stop)
    except BridgeFailedError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except SiteError as exc:
        for issue in exc.issues:
            print(str(issue), file=sys.stderr)
        return 2
    except (InputError, FeedSecurityError, FeedBrokerError, OSError, ValueError) as exc:
        print(f"error: source '{source.name}': {exc}", file=sys.stderr)
        return 2
    finally:
        stop.set()
        if timer is not None:
            timer.cancel()
    if bridge is None:
        print(f"bridge {source.name}: stopped before the feed broker answered", file=sys.stderr)
        return 0
    c = bridge.counts
    rejected = ", ".join(f"{k} {v}" for k, v in sorted(c.rejected.items())) or "none"
    print(
        f"bridge {source.name}: {c.messages} message(s) in, {c.published} record(s) published in"
        f" {time.monotonic() - started:.0f} s; rejected: {rejected}",
        file=sys.stderr,
    )
    return 0


def _list(site: Any, as_json: bool) -> int:
    from controlroom.bridges.service import source_states

    rows = source_states(site)
    if as_json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    if not rows:
        print(f"no [[sources]] in {site.path} (see docs/sources.md)")
        return 0
    for r in rows:
        line = f"{r['source']:<16} {r['kind']:<8} {r['state']:<12} {r['url']} → {r['publish']}"
        if r.get("rate_hz") is not None:
            rejected = ", ".join(f"{k} {v}" for k, v in (r.get("rejected") or {}).items()) or "none"
            line += f"  {r['rate_hz']:g} msg/s, {r.get('published', 0)} published, rejected: {rejected}"
        if r.get("detail") and r["state"] not in ("live",):
            line += f"  ({r['detail']})"
        print(line)
    return 0
