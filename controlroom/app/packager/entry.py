"""How a built app starts: the same CLI as the source tree, defaulting to its bundled site.

A control-room PC runs ``controlroom`` (or ``controlroom.exe``) with no arguments and must get
its own city; ``--self-test`` is what an installer types after unpacking. Any sub-command that
takes ``--site`` gets the bundled one unless the caller names another.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

SITE_FOLDER = "site"  # beside the executable in a build: <build>/site/site.toml


def app_folder() -> Path:
    """The build's top folder (beside the executable) when frozen, else the current folder."""
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent
    return Path.cwd()


def bundled_site(folder: Path | None = None) -> Path | None:
    """``<build>/site/site.toml`` when the build has one."""
    site = (folder or app_folder()) / SITE_FOLDER / "site.toml"
    return site if site.is_file() else None


def _takes_site(command: str) -> bool:
    from controlroom.app.cli import build_parser

    parser = build_parser()
    for action in parser._actions:
        choices = getattr(action, "choices", None)
        if isinstance(choices, dict) and command in choices:
            return any("--site" in a.option_strings for a in choices[command]._actions)
    return False


def with_bundled_site(argv: Sequence[str], site: Path | None) -> list[str]:
    """The argv the CLI sees: no arguments → ``run``; ``--self-test`` → ``self-test``; add --site."""
    args = list(argv)
    if site is None:
        return args
    if not args:
        return ["run", "--site", str(site)]
    if args[0] == "--self-test":
        args = ["self-test", *args[1:]]
    if args[0].startswith("-") or "--site" in args or any(a.startswith("--site=") for a in args):
        return args
    if _takes_site(args[0]):
        return [args[0], "--site", str(site), *args[1:]]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    from controlroom.app.cli import main as cli_main

    args = sys.argv[1:] if argv is None else argv
    return cli_main(with_bundled_site(args, bundled_site()))
