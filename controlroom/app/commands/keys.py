"""``controlroom keys new NAME``: a CURVE keypair for a feed server or client (secret file mode 600)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from controlroom.app.cli_errors import print_error


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("keys", help="CURVE keys for the feed and dispatch connections")
    sub = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    new = sub.add_parser("new", help="create NAME.key (public) and NAME.key_secret (private, mode 600)")
    new.add_argument("name", help="e.g. feed-server, wall-1, desk-3")
    new.add_argument("--dir", type=Path, default=Path("keys"), help="folder to write into (default ./keys)")
    new.set_defaults(handler=_new)


def _new(args: argparse.Namespace) -> int:
    from controlroom.feed.keys import FeedSecurityError, create_keypair

    try:
        public, secret = create_keypair(args.name, args.dir)
    except (FeedSecurityError, OSError) as exc:
        print_error(exc)
        return 2
    print(f"public key (share it; copy clients' keys into the server's authorized_keys folder): {public}")
    print(f"secret key (keep it on this machine only, mode 600): {secret}")
    return 0
