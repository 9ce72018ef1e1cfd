"""``controlroom`` command line: the contract installers, tests and benchmarks drive the app by.

Each sub-command lives in its own module of ``controlroom.app.commands`` exposing
``register(subparsers)``; heavy libraries are imported inside the command functions so
``controlroom --help`` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from controlroom import __version__

# Modules that add sub-commands; order is the order in ``--help``.
COMMAND_MODULES = (
    "controlroom.app.commands.run",
    "controlroom.app.commands.doctor",
    "controlroom.app.commands.self_test",
    "controlroom.app.commands.package",
    "controlroom.app.commands.city",
    "controlroom.app.commands.tiles",
    "controlroom.app.commands.snapshot",
    "controlroom.app.commands.layout",
    "controlroom.app.commands.wall",
    "controlroom.app.commands.feed",
    "controlroom.app.commands.keys",
    "controlroom.app.commands.cameras",
    "controlroom.app.commands.gateway",
    "controlroom.app.commands.route",
    "controlroom.app.commands.flood",
    "controlroom.app.commands.alarms",
    "controlroom.app.commands.bench",
    "controlroom.app.commands.brief",
    "controlroom.app.commands.bridge",
    "controlroom.app.commands.history",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="controlroom",
        description="City operations centre: 3D city map, live feed, wall layouts, video and dispatch.",
    )
    parser.add_argument("--version", action="version", version=f"controlroom {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    _describe_subcommands(parser)
    return parser


def _describe_subcommands(parser: argparse.ArgumentParser) -> None:
    """A sub-command without its own description shows its one-line help atop its ``--help``."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                if not sub.description and helps.get(name):
                    text = str(helps[name])
                    sub.description = text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")
                _describe_subcommands(sub)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING - 10 * min(args.verbose, 2),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    from controlroom.app.cli_errors import CliError, print_error
    from controlroom.core.issues import InputError, SiteError

    try:
        return int(handler(args) or 0)
    except CliError as exc:
        print_error(exc)
        return exc.exit_code
    except (SiteError, InputError) as exc:  # bad input met deep inside a command: its message, no traceback
        print_error(exc)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
