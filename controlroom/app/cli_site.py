"""Site loading for CLI commands: every schema problem on stderr, one line each, no traceback."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from controlroom.core.site import Site


def load_site_or_report(path: str | Path) -> Site | None:
    """The validated site, or None after printing each issue, so a command can exit non-zero."""
    from controlroom.core.issues import SiteError
    from controlroom.core.site import load_site

    try:
        return load_site(path)
    except SiteError as exc:
        for issue in exc.issues:
            print(str(issue), file=sys.stderr)
        return None
