"""``controlroom history``: record the room (``record``), and ask it what it saw (``at``, ``range``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("history", help="record the feed and the gateway; the state at any instant")
    sub = p.add_subparsers(dest="history_command", metavar="COMMAND", required=True)
    rec = sub.add_parser("record", help="run the history recorder (Parquet files + a query service)")
    rec.add_argument("--site", required=True, help="site.toml or its folder")
    rec.add_argument(
        "--dir", help="history folder (default: the site's [history] dir, else the state folder)"
    )
    rec.add_argument("--endpoint", help="where to answer questions (default: [history] endpoint)")
    rec.add_argument("--no-gateway", action="store_true", help="record the feed only")
    rec.add_argument("--seconds", type=float, help="stop after this long (default: until stopped)")
    rec.set_defaults(handler=_record)
    at = sub.add_parser("at", help="the state at one instant: counts (--json) or full rows (--out)")
    _where(at)
    at.add_argument("--time", required=True, help="ISO 8601 in the site's time zone, or Unix seconds")
    at.add_argument("--out", help="write the entities' rows to this .parquet file (others beside it)")
    at.add_argument("--json", action="store_true", help="print JSON")
    at.set_defaults(handler=_at)
    rng = sub.add_parser("range", help="every row of one kind between two instants")
    _where(rng)
    rng.add_argument("--from", dest="t_from", required=True, help="start (ISO 8601 or Unix seconds)")
    rng.add_argument("--to", dest="t_to", required=True, help="end (ISO 8601 or Unix seconds)")
    rng.add_argument("--kind", required=True, help="positions, sensors, metrics, incidents or events")
    rng.add_argument("--limit", type=int, default=100_000, help="rows at most (default 100000)")
    rng.add_argument("--out", help="write the rows to this .parquet file")
    rng.add_argument("--json", action="store_true", help="print JSON")
    rng.set_defaults(handler=_range)
    register_replay(subparsers)


def _where(p: argparse.ArgumentParser) -> None:
    p.add_argument("--site", required=True, help="site.toml or its folder")
    p.add_argument("--dir", help="read this history folder (default: the site's)")
    p.add_argument("--endpoint", help="ask a running recorder instead of reading files (tcp://host:7730)")


def _record(args: argparse.Namespace) -> int:
    from controlroom.app.cli_site import load_site_or_report
    from controlroom.core.issues import InputError
    from controlroom.feed.keys import FeedSecurityError
    from controlroom.history.recorder import Recorder

    site = load_site_or_report(args.site)
    if site is None:
        return 2
    try:
        rec = Recorder(
            site, Path(args.dir) if args.dir else None, endpoint=args.endpoint, gateway=not args.no_gateway
        ).start()
    except (FeedSecurityError, InputError) as exc:
        print(f"history record: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bound port, an unwritable folder: say what, not a traceback
        print(f"history record: cannot start ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 2
    print(json.dumps({"recording": str(rec.root), "endpoint": rec.endpoint}), flush=True)
    try:
        rec.run(args.seconds)
    finally:
        rec.close()
    return 0


def _site_and_times(args: argparse.Namespace, *texts: str) -> tuple[Any, list[float]] | None:
    """The site and the given times read in its zone; None after saying what is wrong (exit 2)."""
    from controlroom.app.cli_site import load_site_or_report
    from controlroom.history.times import TimeFormatError, parse_time

    site = load_site_or_report(args.site)
    if site is None:
        return None
    try:
        return site, [parse_time(t, site.site.timezone) for t in texts]
    except TimeFormatError as exc:
        print(f"history: {exc}", file=sys.stderr)
        return None


def _ask(args: argparse.Namespace, site: Any, op: str, **req: Any) -> dict[str, Any] | None:
    """A reply from the recorder (--endpoint) or the same answer computed from the files."""
    from controlroom.history.query import HistoryReader
    from controlroom.history.recorder import history_dir
    from controlroom.history.service import HistoryClient, answer

    if args.endpoint:
        from controlroom.feed.keys import FeedSecurityError, client_security

        try:
            client = HistoryClient(
                args.endpoint,
                security=client_security(site, [args.endpoint]),
                insecure=site.feed.insecure,
            )
        except FeedSecurityError as exc:
            print(f"history: {exc}", file=sys.stderr)
            return None
        try:
            reply = client.ask(op, **req)
        except TimeoutError as exc:
            print(f"history: {exc}", file=sys.stderr)
            return None
        finally:
            client.close()
    else:
        root = history_dir(site, Path(args.dir) if args.dir else None)
        if not root.is_dir():
            print(
                f"history: no history at {root} (is 'controlroom history record' running?)", file=sys.stderr
            )
            return None
        reader = HistoryReader(root)
        try:
            reply = answer(reader, {"id": "", "op": op, **req}, dict)
        finally:
            reader.close()
    if not reply.get("ok"):
        print(f"history: {reply.get('reason')}", file=sys.stderr)
        return None
    return reply


def _at(args: argparse.Namespace) -> int:
    from controlroom.history.service import from_ipc
    from controlroom.history.times import format_time

    found = _site_and_times(args, args.time)
    if found is None:
        return 2
    site, times = found
    reply = _ask(args, site, "at", time=times[0], rows=bool(args.out))
    if reply is None:
        return 1
    result = dict(reply["result"])
    result["time_local"] = format_time(result["time"], site.site.timezone)
    if args.out:
        import pyarrow.parquet as pq

        out = Path(args.out)
        written = []
        for name, blob in reply.get("tables", {}).items():
            path = (
                out if name == "entities" else out.with_name(f"{out.stem}.{name}{out.suffix or '.parquet'}")
            )
            pq.write_table(from_ipc(blob), path, compression="zstd")
            written.append(str(path))
        result["files"] = written
    for w in result.get("warnings", []):
        print(f"history: warning: {w}", file=sys.stderr)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for key in ("time_local", "keyframe_time", "entities", "sensors", "incidents_open", "alarms_active"):
            print(f"{key:<16} {result.get(key)}")
        for name, value in sorted(result["metrics"].items()):
            print(f"  {name:<24} {value:g}")
    return 0


def _range(args: argparse.Namespace) -> int:
    from controlroom.history.service import from_ipc

    found = _site_and_times(args, args.t_from, args.t_to)
    if found is None:
        return 2
    site, times = found
    reply = _ask(
        args, site, "range", kind=args.kind, limit=args.limit, rows=True, **{"from": times[0], "to": times[1]}
    )
    if reply is None:
        return 1
    data = from_ipc(reply["tables"][args.kind]) if reply.get("tables") else None
    if args.out and data is not None:
        import pyarrow.parquet as pq

        pq.write_table(data, args.out, compression="zstd")
    if args.json:
        from controlroom.history.query import rows_json

        rows = rows_json(data) if data is not None else []
        out = {"kind": args.kind, "from": times[0], "to": times[1], "rows": len(rows), "data": rows}
        print(json.dumps(out, ensure_ascii=False, default=str))
    else:
        print(f"{reply['result']['rows']} {args.kind} rows")
        if data is not None and not args.out:
            for r in data.slice(0, 50).to_pylist():
                print("  " + json.dumps(r, ensure_ascii=False, default=str))
    return 0


def register_replay(subparsers: Any) -> None:
    p = subparsers.add_parser("replay", help="after-action video of a recorded period")
    sub = p.add_subparsers(dest="replay_command", metavar="COMMAND", required=True)
    ex = sub.add_parser("export", help="render the map from history to an H.264 MP4 (off-screen)")
    ex.add_argument("--site", required=True, help="site.toml or its folder")
    ex.add_argument("--dir", help="history folder (default: the site's)")
    ex.add_argument("--from", dest="t_from", required=True, help="start (ISO 8601 or Unix seconds)")
    ex.add_argument("--to", dest="t_to", required=True, help="end (ISO 8601 or Unix seconds)")
    ex.add_argument("--out", required=True, help="the .mp4 to write")
    ex.add_argument("--speed", type=float, default=1.0, help="history seconds per video second (default 1)")
    ex.add_argument("--fps", type=int, default=10, help="frames per second (default 10)")
    ex.add_argument("--view", help="a [[views]] name of the site (default: the overview)")
    ex.add_argument("--size", default="1280x720", help="WxH pixels (default 1280x720)")
    ex.set_defaults(handler=_replay_export)


def _replay_export(args: argparse.Namespace) -> int:
    from controlroom.app.replay_export import ExportError, export_replay, print_progress
    from controlroom.history.recorder import history_dir

    found = _site_and_times(args, args.t_from, args.t_to)
    if found is None:
        return 2
    site, times = found
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        print(f"replay export: --size {args.size!r}: expected WIDTHxHEIGHT such as 1280x720", file=sys.stderr)
        return 2
    root = history_dir(site, Path(args.dir) if args.dir else None)
    if not root.is_dir():
        print(
            f"replay export: no history at {root} (is 'controlroom history record' running?)", file=sys.stderr
        )
        return 1
    try:
        result = export_replay(
            site, root, times[0], times[1], Path(args.out), speed=args.speed, fps=args.fps, size=(w, h),
            view=args.view, progress=print_progress,
        )  # fmt: skip
    except ExportError as exc:
        print(f"replay export: {exc}", file=sys.stderr)
        return 2
    except KeyError as exc:
        print(f"replay export: {exc.args[0]}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0
