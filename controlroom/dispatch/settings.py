"""Where a desk's outbox and a gateway's default store live on disk.

Durable state, not cache: ``$CONTROLROOM_STATE_DIR``, else ``$CONTROLROOM_CONFIG_DIR/state``
(tests and kiosks point that elsewhere), else the platform's per-user state folder; one
sub-folder per site so two sites on one machine never share an outbox.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from controlroom.core.site import Site


def state_dir() -> Path:
    from controlroom.core.user_dirs import state_dir as user_state

    return user_state()


def outbox_file(site: Site) -> Path:
    return state_dir() / site.site.name / "dispatch-outbox.sqlite"


def gateway_db_url(site: Site, override: str | None = None) -> str:
    """``--db`` if given, else the site's ``[dispatch] db``, else a SQLite file in the state folder.

    A relative SQLite path in the site file is relative to the site file's folder."""
    url = override or site.dispatch.db
    if not url:
        return str(state_dir() / site.site.name / "dispatch-gateway.sqlite")
    if url.startswith(("postgresql://", "postgres://")):
        return url
    path = Path(url.removeprefix("sqlite:///").removeprefix("sqlite://")).expanduser()
    if not path.is_absolute() and not override:
        path = site.folder / path
    return str(path)
