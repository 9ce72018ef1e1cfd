"""``controlroom gateway``: run the dispatch gateway for a site (orders, store, incident records)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("gateway", help="run the dispatch gateway (orders in, incident records out)")
    p.add_argument("--site", required=True, help="site.toml or its folder")
    p.add_argument("--db", help="SQLite file or postgresql://… URL (default: the site's [dispatch] db)")
    p.add_argument("--endpoint", help="ROUTER endpoint for desks (default: the site's [dispatch] endpoint)")
    p.add_argument("--publish-endpoint", help="PUB endpoint for incident records and events")
    p.add_argument("--snapshot-endpoint", help="clone-pattern snapshot endpoint for late joiners")
    p.add_argument(
        "--feed-endpoint", help="learn incidents and unit positions from this feed (default: [feed])"
    )
    p.add_argument("--feed-snapshot-endpoint", help="the feed's snapshot endpoint (default: [feed])")
    p.add_argument("--no-feed", action="store_true", help="do not subscribe to the live feed")
    p.set_defaults(handler=_gateway)


def _gateway(args: argparse.Namespace) -> int:
    from controlroom.app.cli_site import load_site_or_report
    from controlroom.core.issues import InputError
    from controlroom.dispatch.db import DbError
    from controlroom.dispatch.gateway import Gateway, GatewayEndpoints
    from controlroom.dispatch.settings import gateway_db_url
    from controlroom.feed.keys import FeedSecurityError

    site = load_site_or_report(args.site)
    if site is None:
        return 2
    cfg = site.dispatch
    eps = GatewayEndpoints(
        args.endpoint or cfg.endpoint,
        args.publish_endpoint or cfg.publish_endpoint,
        args.snapshot_endpoint or cfg.snapshot_endpoint,
        None if args.no_feed else (args.feed_endpoint or site.feed.endpoint),
        None if args.no_feed else (args.feed_snapshot_endpoint or site.feed.snapshot_endpoint),
    )
    url = gateway_db_url(site, args.db)
    try:
        gateway = Gateway(site, url, eps).start()
    except (DbError, FeedSecurityError, InputError) as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bound port, a bad boundary file: say what, not a traceback
        print(f"gateway: cannot start ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 2
    if gateway.store.db.upgrade_notice:  # an older store was migrated or moved aside: say what and where
        print(gateway.store.db.upgrade_notice, file=sys.stderr, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: gateway.stop())
    signal.signal(signal.SIGINT, lambda *_: gateway.stop())
    assert gateway.publisher is not None
    ready = {
        "ready": True,
        "endpoint": gateway.endpoint,
        "publish_endpoint": gateway.publisher.endpoint,
        "snapshot_endpoint": gateway.publisher.snapshot_endpoint,
        "db": url if url.startswith("postgres") is False else url.split("@")[-1],
        "units": gateway.store.counts()["units"],
        "curve": gateway.security is not None,
    }
    print(json.dumps(ready), flush=True)
    try:
        gateway.run()
    finally:
        gateway.close()
    return 0
