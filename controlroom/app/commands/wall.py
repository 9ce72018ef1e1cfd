"""``controlroom wall push``: send a preset, a camera, an incident or a 3D view to a running wall.

The same command the desk's "Push to wall" menu sends, for installers checking a wall's control
channel and for scripts (a briefing that switches the wall to "major event"). Prints the wall's
reply; exit 0 when applied, 1 when refused or unanswered, 2 for bad arguments or files.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import msgspec

from controlroom.app.cli_errors import print_error

EXIT_APPLIED = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2


class ViewFile(msgspec.Struct, forbid_unknown_fields=True):
    """``--view-json``: a camera in the site's local frame, as the desk's 3D view reports it."""

    position: tuple[float, float, float]
    focal_point: tuple[float, float, float]
    up: tuple[float, float, float] = (0.0, 0.0, 1.0)
    site: str = ""
    lon: Annotated[float, msgspec.Meta(ge=-180.0, le=180.0)] | None = None
    lat: Annotated[float, msgspec.Meta(ge=-90.0, le=90.0)] | None = None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("wall", help="control a running wall (push views, cameras, presets)")
    sub = parser.add_subparsers(dest="wall_command", metavar="ACTION", required=True)
    push = sub.add_parser(
        "push",
        help="send a preset switch, camera, incident or 3D view to a wall; exit 0 applied, 1 refused",
        description="Examples: wall push --endpoint tcp://127.0.0.1:7730 --preset flood; "
        "wall push --endpoint E --region map --incident INC-42 --lon 121.47 --lat 31.23",
    )
    push.add_argument(
        "--endpoint", required=True, help="the wall's control endpoint, e.g. tcp://10.0.0.5:7730"
    )
    what = push.add_mutually_exclusive_group(required=True)
    what.add_argument("--preset", metavar="NAME", help="switch the wall to this preset")
    what.add_argument("--region", metavar="R", help="the wall region to push to (with one of the below)")
    push.add_argument("--camera", metavar="ID", help="show this camera in the region")
    push.add_argument(
        "--incident", metavar="ID", help="focus the region on this incident (needs --lon/--lat)"
    )
    push.add_argument("--lon", type=float, help="incident longitude, WGS 84 degrees")
    push.add_argument("--lat", type=float, help="incident latitude, WGS 84 degrees")
    push.add_argument("--label", default="", help="text shown with the incident (default: its id)")
    push.add_argument("--view-json", type=Path, metavar="FILE", help="a 3D view: position, focal_point, up …")
    push.add_argument("--server-key", type=Path, metavar="PUB", help="the wall's public key (CURVE)")
    push.add_argument("--secret-key", type=Path, metavar="SEC", help="this desk's .key_secret file (CURVE)")
    push.add_argument("--insecure", action="store_true", help="allow plain text to a non-loopback wall")
    push.add_argument("--sender", help="desk name the wall logs (default: this host's name)")
    push.add_argument("--timeout", type=float, default=5.0, metavar="S", help="seconds to wait (default 5)")
    push.add_argument("--json", action="store_true", help="print the reply as JSON")
    push.set_defaults(handler=run_push)


class UsageError(ValueError):
    pass


def build_command(args: argparse.Namespace) -> Any:
    """The command the arguments ask for; ``UsageError`` says which argument is wrong or missing."""
    from controlroom.feed.control import PushCamera, PushIncident, PushView, SwitchPreset

    common: dict[str, Any] = {"sender": args.sender} if args.sender else {}
    if args.preset is not None:
        extra = [f for f in ("camera", "incident", "view_json") if getattr(args, f) is not None]
        if extra:
            raise UsageError(f"--preset cannot be combined with --{extra[0].replace('_', '-')}")
        return SwitchPreset(name=args.preset, **common)
    chosen = [f for f in ("camera", "incident", "view_json") if getattr(args, f) is not None]
    if len(chosen) != 1:
        raise UsageError(
            "--region needs exactly one of --camera ID, --incident ID --lon X --lat Y, --view-json FILE"
        )
    if args.camera is not None:
        return PushCamera(region=args.region, camera_id=args.camera, **common)
    if args.incident is not None:
        if args.lon is None or args.lat is None:
            raise UsageError("--incident needs --lon and --lat (WGS 84 degrees)")
        if not (-180 <= args.lon <= 180 and -90 <= args.lat <= 90):
            raise UsageError(
                f"--lon {args.lon} --lat {args.lat}: expected lon in -180..180 and lat in -90..90"
            )
        return PushIncident(
            region=args.region,
            incident_id=args.incident,
            lon=args.lon,
            lat=args.lat,
            label=args.label,
            **common,
        )
    view = read_view_file(args.view_json)
    return PushView(region=args.region, **msgspec.structs.asdict(view), **common)


def read_view_file(path: Path) -> ViewFile:
    try:
        return msgspec.json.decode(path.read_bytes(), type=ViewFile)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the view file: {exc.strerror}") from exc
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise UsageError(
            f"{path}: {exc}; expected JSON like "
            '{"position": [x, y, z], "focal_point": [x, y, z], "up": [0, 0, 1], "lon": …, "lat": …}'
        ) from exc


def run_push(args: argparse.Namespace) -> int:
    from controlroom.feed.control import ControlClient, ControlError, describe
    from controlroom.feed.keys import ClientSecurity, FeedSecurityError

    try:
        command = build_command(args)
        if (args.server_key is None) != (args.secret_key is None):
            raise UsageError(
                "CURVE needs both --server-key (the wall's public key) and --secret-key (this desk's)"
            )
        if args.timeout <= 0:
            raise UsageError(f"--timeout {args.timeout}: expected a positive number of seconds")
        security = ClientSecurity(args.secret_key, args.server_key) if args.secret_key else None
        client = ControlClient(args.endpoint, security=security, insecure=args.insecure)
    except (UsageError, FeedSecurityError) as exc:
        print_error(exc)
        return EXIT_USAGE
    started = time.monotonic()
    try:
        reply = client.send(command, args.timeout)
    except FeedSecurityError as exc:  # an unreadable or world-readable key file
        print_error(exc)
        return EXIT_USAGE
    except ControlError as exc:
        if args.json:
            _print_json(
                {"ok": False, "status": "no answer", "reason": str(exc), "command_id": command.command_id}
            )
        else:
            print_error(exc)
        return EXIT_REFUSED
    elapsed_ms = round((time.monotonic() - started) * 1000, 1)
    if args.json:
        _print_json({"ok": reply.applied, **msgspec.to_builtins(reply), "elapsed_ms": elapsed_ms})
    elif reply.applied:
        print(f"applied: {describe(command)} on wall '{reply.wall}' ({elapsed_ms:g} ms)")
    else:
        print(f"refused by wall '{reply.wall}': {reply.reason}")
    return EXIT_APPLIED if reply.applied else EXIT_REFUSED


def _print_json(data: dict[str, Any]) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
