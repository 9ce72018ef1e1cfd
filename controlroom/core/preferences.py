"""The user's own settings (language, …) and the choice of UI language.

The site file picks the language an installation speaks (``site.language``); a user may override
it for themselves (saved here) or for one run (``--lang``). Stored as versioned JSON in the config
folder (``CONTROLROOM_CONFIG_DIR`` or the platform's user config folder), so tests and kiosks
never touch a real user's settings. A damaged file is reported and ignored, never fatal.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

PREFS_VERSION = 1
#: UI languages this build has translations for ("en" is the source language).
LANGUAGES: tuple[str, ...] = ("en", "zh_CN")

log = logging.getLogger(__name__)


def config_dir() -> Path:
    """The user's config folder; tests and kiosks point ``CONTROLROOM_CONFIG_DIR`` elsewhere."""
    from controlroom.core.user_dirs import config_dir as user_config

    return user_config()


def prefs_path() -> Path:
    return config_dir() / "preferences.json"


@dataclass(frozen=True)
class Preferences:
    language: str | None = None  # None: follow the site


def check_language(value: str, where: str = "language") -> str:
    """``value`` if it is a known UI language, else a ValueError naming what is expected."""
    if value not in LANGUAGES:
        raise ValueError(f"{where} '{value}': expected one of {', '.join(LANGUAGES)}")
    return value


def load_preferences(path: Path | None = None) -> Preferences:
    """The saved preferences; defaults when the file is missing or unreadable (logged)."""
    path = path or prefs_path()
    if not path.is_file():
        return Preferences()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("version") != PREFS_VERSION:
            raise ValueError(f'expected an object with "version": {PREFS_VERSION}')
        language = data.get("language")
        if language is not None:
            check_language(language, "language")
        return Preferences(language=language)
    except (OSError, ValueError) as exc:
        log.warning("%s: ignoring saved preferences: %s", path, exc)
        return Preferences()


def save_preferences(prefs: Preferences, path: Path | None = None) -> Path:
    """Write atomically (a crash mid-write leaves the old file, never half a file)."""
    path = path or prefs_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"version": PREFS_VERSION, **asdict(prefs)}, indent=2), encoding="utf-8")
    tmp.replace(path)
    return path


def choose_language(cli: str | None, site_language: str, prefs: Preferences | None = None) -> str:
    """This run's UI language: ``--lang``, else the user's saved choice, else the site's."""
    if cli:
        return check_language(cli, "--lang")
    prefs = prefs if prefs is not None else load_preferences()
    return prefs.language or check_language(site_language, "site.language")
