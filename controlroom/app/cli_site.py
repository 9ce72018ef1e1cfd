"""Site loading for CLI commands: every schema problem on stderr, one line each, no traceback."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from controlroom.core.site import Site


def load_site_or_report(path: str | Path) -> Site | None:
    """The validated site, or None after printing each issue, so a command can exit non-zero."""
    from controlroom.app.cli_errors import print_error
    from controlroom.core.issues import SiteError
    from controlroom.core.site import load_site

    try:
        return load_site(path)
    except SiteError as exc:
        print_error(exc)
        return None
