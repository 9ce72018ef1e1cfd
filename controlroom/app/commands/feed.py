"""``controlroom feed …``: simulator, record, replay and headless stats for the live feed."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from controlroom.app.cli_site import load_site_or_report

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("feed", help="live feed tools: simulator, record/replay, stats")
    sub = p.add_subparsers(dest="feed_command", metavar="ACTION", required=True)

    sim = sub.add_parser("sim", help="publish a simulated city on the site's roads")
    sim.add_argument("--site", required=True, help="site.toml or its folder")
    sim.add_argument("--entities", type=int, default=2000, help="moving entities (default 2000)")
    sim.add_argument(
        "--hz", type=float, default=2.0, help="position reports per entity per second (default 2)"
    )
    sim.add_argument(
        "--seconds", type=float, default=None, help="stop after this long (default: run until Ctrl+C)"
    )
    sim.add_argument("--endpoint", help="bind here instead of the site's [feed] endpoint")
    sim.add_argument("--snapshot-endpoint", help="bind the snapshot service here instead of the site's")
    sim.add_argument(
        "--seed", type=int, default=1, help="random seed: the same seed, the same city (default 1)"
    )
    sim.set_defaults(handler=_sim)

    rec = sub.add_parser("record", help="record a feed to a file")
    rec.add_argument("--endpoint", required=True, help="the feed to record, e.g. tcp://127.0.0.1:7710")
    rec.add_argument("--out", required=True, type=Path, help="the recording file to write")
    rec.add_argument(
        "--seconds", type=float, default=None, help="stop after this long (default: until Ctrl+C)"
    )
    rec.add_argument("--site", help="take CURVE keys from this site's [feed] section")
    rec.add_argument("--insecure", action="store_true", help="allow plain text to a non-loopback endpoint")
    rec.set_defaults(handler=_record)

    rep = sub.add_parser("replay", help="publish a recording with its original timing")
    rep.add_argument("file", type=Path, help="a recording made by `feed record`")
    rep.add_argument("--bind", required=True, help="publish on this endpoint, e.g. tcp://127.0.0.1:7710")
    rep.add_argument("--speed", type=float, default=1.0, help="playback speed factor (default 1)")
    rep.add_argument("--wait", type=float, default=5.0, help="seconds to wait for a subscriber (default 5)")
    rep.add_argument("--insecure", action="store_true", help="allow plain text on a non-loopback address")
    rep.set_defaults(handler=_replay)

    st = sub.add_parser("stats", help="subscribe, apply to the models headless, print counters")
    st.add_argument(
        "--endpoint",
        help="the feed to subscribe to (default with --site: the site's feed, ZeroMQ, NATS or MQTT)",
    )
    st.add_argument("--seconds", type=float, default=5.0, help="listen this long (default 5)")
    st.add_argument("--snapshot-endpoint", help="start from this snapshot service (clone pattern)")
    st.add_argument("--site", help="validate against this site's extent, use its keys and local frame")
    st.add_argument("--insecure", action="store_true", help="allow plain text to a non-loopback endpoint")
    st.add_argument("--json", action="store_true", help="print JSON")
    st.set_defaults(handler=_stats)


def _sim(args: argparse.Namespace) -> int:
    from controlroom.core.issues import InputError
    from controlroom.feed.broker_errors import FeedBrokerError
    from controlroom.feed.keys import FeedSecurityError
    from controlroom.feed.simulator import CitySimulator, SimConfig
    from controlroom.feed.site_feed import open_site_publisher

    site = load_site_or_report(args.site)
    if site is None:
        return 2
    if args.entities < 0 or args.hz <= 0:
        print("error: --entities must be ≥ 0 and --hz > 0", file=sys.stderr)
        return 2
    endpoint = args.endpoint or site.feed.endpoint
    snapshot = args.snapshot_endpoint or site.feed.snapshot_endpoint
    try:
        sim = CitySimulator.from_site(
            site, SimConfig(entities=args.entities, hz=args.hz, seed=args.seed, timezone=site.site.timezone)
        )
        publisher = open_site_publisher(site, "sim", endpoint=endpoint, snapshot_endpoint=snapshot)
    except (InputError, FeedSecurityError, FeedBrokerError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"publishing {len(sim.ids)} entities at {args.hz:g} Hz on {publisher.endpoint} "
        f"(snapshots on {publisher.snapshot_endpoint})",
        file=sys.stderr,
        flush=True,
    )
    try:
        sent = sim.run(publisher, seconds=args.seconds)
    except KeyboardInterrupt:
        sent = publisher.sent
    finally:
        publisher.close()
    print(f"sent {sent} messages", file=sys.stderr)
    return 0


def _security_from(args: argparse.Namespace, endpoints: list[str]) -> tuple[Any, bool] | None:
    if not getattr(args, "site", None):
        return None, args.insecure
    from controlroom.feed.keys import client_security

    site = load_site_or_report(args.site)
    if site is None:
        return None
    return client_security(site, endpoints), args.insecure or site.feed.insecure


def _record(args: argparse.Namespace) -> int:
    from controlroom.feed.keys import FeedSecurityError
    from controlroom.feed.recorder import record

    try:
        sec = _security_from(args, [args.endpoint])
        if sec is None:
            return 2
        n = record(args.endpoint, args.out, args.seconds, security=sec[0], insecure=sec[1])
    except (FeedSecurityError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"recorded {n} frames to {args.out}", file=sys.stderr)
    return 0


def _replay(args: argparse.Namespace) -> int:
    from controlroom.core.issues import InputError
    from controlroom.feed.keys import FeedSecurityError
    from controlroom.feed.recorder import replay

    if not args.file.is_file():
        print(f"error: {args.file}: no such recording", file=sys.stderr)
        return 2
    try:
        n = replay(args.file, args.bind, args.speed, args.wait, insecure=args.insecure)
    except (InputError, FeedSecurityError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"replayed {n} frames on {args.bind}", file=sys.stderr)
    return 0


def _stats(args: argparse.Namespace) -> int:
    from controlroom.core.feed_stats import FeedStats
    from controlroom.core.issues import InputError
    from controlroom.feed.broker_errors import FeedBrokerError
    from controlroom.feed.buffer import CoalescingBuffer
    from controlroom.feed.ingest import Ingestor
    from controlroom.feed.keys import FeedSecurityError
    from controlroom.feed.pump import FeedPump
    from controlroom.feed.subscriber import FeedSubscriber

    if not args.site and not args.endpoint:
        print("error: give --endpoint, or --site to use the site's feed", file=sys.stderr)
        return 2
    try:
        if args.site:
            from controlroom.feed.site_feed import open_site_feed

            site = load_site_or_report(args.site)
            if site is None:
                return 2
            feed = open_site_feed(
                site, endpoint=args.endpoint, snapshot_endpoint=args.snapshot_endpoint or None
            )
            if not args.snapshot_endpoint and isinstance(feed.subscriber, FeedSubscriber):
                feed.subscriber.snapshot_endpoint = None  # NATS / MQTT: the broker's last values are read
            subscriber, pump, stats = feed.subscriber, feed.pump, feed.stats
        else:
            stats = FeedStats()
            buffer = CoalescingBuffer()
            subscriber = FeedSubscriber(
                args.endpoint,
                Ingestor(buffer, stats),
                snapshot_endpoint=args.snapshot_endpoint,
                insecure=args.insecure,
            )
            pump = FeedPump(buffer, stats, expire=False)
        subscriber.start()
    except (FeedSecurityError, InputError, FeedBrokerError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    end = time.monotonic() + max(0.0, args.seconds)
    # Ctrl+C ends the loop at its next wait: a KeyboardInterrupt raised anywhere (say between a
    # lock's acquire and its release in the buffer) could leave the last apply waiting forever
    previous = None
    with contextlib.suppress(ValueError):  # not the main thread: --seconds ends it
        previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        while time.monotonic() < end and not stop.wait(min(1 / 20, max(0.0, end - time.monotonic()))):
            pump.apply_pending(time.time())
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        subscriber.stop()
    pump.apply_pending(time.time())
    snap = stats.snapshot(time.time())
    out = {
        "received": snap["received"],
        "applied": snap["applied"],
        "rejected": snap["rejected"],
        "entities": len(pump.entities),
        "gaps": snap["gaps"],
        "duplicates": snap["duplicates"],
        "sensors": len(pump.sensors),
        "incidents": len(pump.incidents),
        "metrics": pump.metrics.names(),
        "records": snap["records"],
        "msgs_per_s": round(int(snap["received"]) / max(args.seconds, 1e-9), 1),  # type: ignore[call-overload]
        "restarts": snap["restarts"],
        "disconnects": snap["disconnects"],
        "subscriber_restarts": snap["thread_restarts"],
        "subscriber_error": _subscriber_error(subscriber, snap),
        "broker": snap["link_detail"] if snap["link"] else "",
        "sources": snap["sources"],
    }
    if snap["link"] == "down" and not snap["received"]:  # the subscriber kept trying; say why nothing came
        print(f"error: {snap['link_detail']}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(out))
    else:
        for k, v in out.items():
            print(f"{k:>12}: {v}")
    if out["subscriber_error"]:
        print(
            f"error: the feed subscriber died ({out['subscriber_error']}); "
            "the counters above miss what arrived while it was down",
            file=sys.stderr,
        )
        return 1
    return 0


def _subscriber_error(subscriber: Any, snap: dict[str, Any]) -> str:
    """What the subscriber thread died of during the run ("" when it never did)."""
    if subscriber.error is not None:
        return f"{type(subscriber.error).__name__}: {subscriber.error}"
    if snap["thread_restarts"]:
        return f"{snap['thread_error']} (restarted {snap['thread_restarts']}×)"
    return ""
