"""``controlroom bench``: the benchmarks performance targets are checked by."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def _print(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        json.dump(result, sys.stdout, ensure_ascii=False)
        print()
    else:
        for key, value in result.items():
            print(f"{key:<28} {value}")


def _bench_city(args: argparse.Namespace) -> int:
    from controlroom.app.bench.city import bench_city

    _print(bench_city(n=args.buildings, data=Path(args.data) if args.data else None), args.json)
    return 0


def _bench_bigcity(args: argparse.Namespace) -> int:
    from controlroom.app.bench.bigcity import bench_bigcity

    folder = Path(args.keep) if args.keep else None
    _print(
        bench_bigcity(
            n=args.buildings, memory_mb=args.memory_mb, folder=folder, baseline=not args.no_baseline
        ),
        args.json,
    )
    return 0


def _bench_feed(args: argparse.Namespace) -> int:
    from controlroom.app.bench.feed import bench_feed

    _print(bench_feed(), args.json)
    return 0


def _bench_alarms(args: argparse.Namespace) -> int:
    from controlroom.app.bench.alarms import bench_alarms

    _print(bench_alarms(rules=args.rules), args.json)
    return 0


def _bench_faults(args: argparse.Namespace) -> int:
    from controlroom.app.bench.faults import bench_faults

    _print(bench_faults(restarts=args.restarts, site=Path(args.site) if args.site else None), args.json)
    return 0


def _bench_flood(args: argparse.Namespace) -> int:
    from controlroom.app.bench.flood import bench_flood

    result = bench_flood(
        n=args.cells, buildings=args.buildings, repeats=args.repeats, slider=not args.no_slider
    )
    _print(result, args.json)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = sub.add_parser("bench", help="benchmarks (print figures and ratios)")
    bench_sub = bench.add_subparsers(dest="bench_command", metavar="BENCH", required=True)
    city = bench_sub.add_parser("city", help="mesh build, CityJSON load, frame time, pick latency")
    city.add_argument("--buildings", type=int, default=100_000, help="synthetic footprints (default 100000)")
    city.add_argument("--data", help="folder with cityjson/DenHaag_01.city.json (default ../shared/data)")
    city.add_argument("--json", action="store_true", help="print JSON")
    city.set_defaults(handler=_bench_city)
    big = bench_sub.add_parser(
        "bigcity",
        help="generated city of N buildings as tiles: build, first frame, frame times, RSS, budget, picks",
    )
    big.add_argument("--buildings", type=int, default=1_000_000, help="buildings (default 1000000)")
    big.add_argument("--memory-mb", type=int, default=600, help="tile memory budget in MB (default 600)")
    big.add_argument(
        "--keep", metavar="DIR", help="generate and build in DIR and keep it (default: a temp dir)"
    )
    big.add_argument("--no-baseline", action="store_true", help="skip today's single-mesh path")
    big.add_argument("--json", action="store_true", help="print JSON")
    big.set_defaults(handler=_bench_bigcity)
    feed = bench_sub.add_parser("feed", help="feed pipeline vs raw pyzmq ceiling, publish→applied latency")
    feed.add_argument("--json", action="store_true", help="print JSON")
    feed.set_defaults(handler=_bench_feed)
    alarms = bench_sub.add_parser(
        "alarms", help="alarm rules on the feed benchmark's stream: updates_s, overhead"
    )
    alarms.add_argument("--rules", type=int, default=1000, help="number of rules (default 1000)")
    alarms.add_argument("--json", action="store_true", help="print JSON")
    alarms.set_defaults(handler=_bench_alarms)
    faults = bench_sub.add_parser(
        "faults",
        help="publisher kill/restart series and a 256 MB frame: restarts_recognised, reapply_s_max, "
        "peak_rss_mb_bigframe",
    )
    faults.add_argument("--restarts", type=int, default=20, help="publisher SIGKILL/restarts (default 20)")
    faults.add_argument("--site", help="site whose roads `feed sim` drives on (default: the sample site)")
    faults.add_argument("--json", action="store_true", help="print JSON")
    faults.set_defaults(handler=_bench_faults)

    flood = bench_sub.add_parser(
        "flood", help="flood what-if: extent + depth on 25 M cells, 1 M buildings, vs plain scipy flood fill"
    )
    flood.add_argument("--cells", type=int, default=5000, help="DEM cells a side at 2 m (default 5000)")
    flood.add_argument("--buildings", type=int, default=1_000_000, help="buildings (default 1000000)")
    flood.add_argument("--repeats", type=int, default=3, help="runs per timing, best kept (default 3)")
    flood.add_argument("--no-slider", action="store_true", help="skip the sample site's slider redraw")
    flood.add_argument("--json", action="store_true", help="print JSON")
    flood.set_defaults(handler=_bench_flood)
    from controlroom.app.bench.video import register_bench

    register_bench(bench_sub, _print)
    from controlroom.app.bench.dispatch import register_bench as register_dispatch_bench

    register_dispatch_bench(bench_sub, _print)
    from controlroom.app.bench.history import register_bench as register_history_bench

    register_history_bench(bench_sub, _print)
    from controlroom.app.bench.sources import register_bench as register_sources_bench

    register_sources_bench(bench_sub, _print)
