"""The one place the command line prints an error, so no message reaches the user as "error: error:".

Commands raise (or pass here) what went wrong; this module decides the wording: a ``SiteError``
is its issues, one a line, each already carrying its severity; anything else is one line with a
single ``error:`` in front, however many layers added theirs on the way.
"""

from __future__ import annotations

import sys
from typing import TextIO

from controlroom.core.issues import SiteError

_PREFIX = "error: "


class CliError(Exception):
    """A command's refusal with its exit code: ``raise CliError("--width 9: expected 400..8000", 2)``."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def error_lines(problem: BaseException | str) -> list[str]:
    """The lines to print for a problem: each starts with exactly one severity word."""
    if isinstance(problem, SiteError):
        return [str(issue) for issue in problem.issues]
    if isinstance(problem, KeyError) and problem.args:  # str(KeyError) would add quotes
        problem = str(problem.args[0])
    lines = []
    for line in str(problem).splitlines() or [""]:
        while line.startswith(_PREFIX):
            line = line[len(_PREFIX) :]
        lines.append(line if line.startswith("warning: ") else _PREFIX + line)
    return lines


def print_error(problem: BaseException | str, *, hint: str = "", file: TextIO | None = None) -> None:
    """Print a problem (and an optional next step on its own line) to stderr."""
    out = file or sys.stderr
    for line in error_lines(problem):
        print(line, file=out)
    if hint:
        print(hint, file=out)
