"""Where controlroom keeps a user's files, in one place so every part agrees on the folders.

Three kinds, each with its override variable (tests, kiosks and portable installs point them
elsewhere) and otherwise the platform's per-user folder from platformdirs:

- cache (``CONTROLROOM_CACHE_DIR``, e.g. ``~/.cache/controlroom``): anything made again on demand:
  meshes, tiles, fonts, compiled translations, demo clips, the generated sample site;
- config (``CONTROLROOM_CONFIG_DIR``, e.g. ``~/.config/controlroom``): the user's choices;
- state (``CONTROLROOM_STATE_DIR``, else ``$CONTROLROOM_CONFIG_DIR/state``, else e.g.
  ``~/.local/state/controlroom``): durable records such as outboxes, audit trails and history.

Nothing here creates the folder; whoever writes does.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "controlroom"


def _override(variable: str) -> Path | None:
    value = os.environ.get(variable)
    return Path(value).expanduser() if value else None


def cache_dir(*parts: str) -> Path:
    """``$CONTROLROOM_CACHE_DIR/<parts>``, else the platform's per-user cache folder."""
    base = _override("CONTROLROOM_CACHE_DIR")
    if base is None:
        import platformdirs

        base = Path(platformdirs.user_cache_dir(APP_NAME))
    return base.joinpath(*parts)


def config_dir(*parts: str) -> Path:
    """``$CONTROLROOM_CONFIG_DIR/<parts>``, else the platform's per-user config folder."""
    base = _override("CONTROLROOM_CONFIG_DIR")
    if base is None:
        import platformdirs

        base = Path(platformdirs.user_config_dir(APP_NAME))
    return base.joinpath(*parts)


def state_dir(*parts: str) -> Path:
    """``$CONTROLROOM_STATE_DIR``, else ``$CONTROLROOM_CONFIG_DIR/state`` (so pointing the config
    elsewhere moves durable state with it), else the platform's per-user state folder."""
    base = _override("CONTROLROOM_STATE_DIR")
    if base is None:
        config = _override("CONTROLROOM_CONFIG_DIR")
        if config is not None:
            base = config / "state"
        else:
            import platformdirs

            base = Path(platformdirs.user_state_dir(APP_NAME))
    return base.joinpath(*parts)
