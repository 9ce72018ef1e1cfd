"""The PyInstaller run: the site-independent frozen app, from the recipe in ``packaging/``.

The frozen part does not depend on the site (the site is copied beside it afterwards), so its
work folder is kept in the user's cache and a second build of any site reuses the analysis.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from controlroom.core.issues import InputError
from controlroom.core.shipped import source_checkout

EXE_NAME = "controlroom"


def pyinstaller_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("PyInstaller") is not None


def default_work_dir() -> Path:
    """The platform's user cache, even where ``CONTROLROOM_CACHE_DIR`` points elsewhere (tests):
    the analysis takes minutes and is the same for every build of this source."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("controlroom")) / "pyinstaller"


SNAPSHOT_PARTS = ("controlroom", "packaging", "translations")


def recipe() -> Path | None:
    """``packaging/controlroom.spec`` in the source checkout; None for an installed package."""
    repo = source_checkout()
    return None if repo is None else repo / "packaging" / "controlroom.spec"


def snapshot_source(dest: Path, repo: Path) -> Path:
    """Copy the sources PyInstaller reads, so edits made while it runs (minutes) cannot mix in."""
    if dest.exists():
        shutil.rmtree(dest)
    for part in SNAPSHOT_PARTS:
        if (repo / part).is_dir():
            shutil.copytree(repo / part, dest / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def compile_translations(out: Path) -> Path:
    """The Chinese (and any other) translation compiled to .qm for the build to carry."""
    from controlroom.qt.translations import TS_DIR, build_all

    if TS_DIR.is_dir():
        try:
            build_all(out)
        except (OSError, RuntimeError) as exc:
            raise InputError(f"compiling the translations in {TS_DIR} failed: {exc}") from None
    return out


def freeze(dist: Path, work: Path, icon: Path | None = None, log: Path | None = None) -> Path:
    """Run PyInstaller; return the one-folder app (``dist/controlroom``). Raises InputError on failure."""
    if not pyinstaller_available():
        raise InputError(
            "PyInstaller is not installed in this Python; install it with "
            f"`{sys.executable} -m pip install 'controlroom[package]'` (or pip install pyinstaller)"
        )
    spec = recipe()
    if spec is None or not spec.is_file():
        where = "this installed controlroom has none" if spec is None else f"{spec} is missing"
        raise InputError(
            f"the PyInstaller build recipe (packaging/controlroom.spec) is needed and {where}; "
            "run package from a controlroom source checkout"
        )
    work.mkdir(parents=True, exist_ok=True)
    src = snapshot_source(work / "src", spec.parents[1])
    env = dict(os.environ, CONTROLROOM_REPO=str(src), CONTROLROOM_EXE_NAME=EXE_NAME, PYTHONPATH=str(src))
    env["CONTROLROOM_I18N_DIR"] = str(compile_translations(work / "i18n"))
    if icon is not None:
        env["CONTROLROOM_ICON"] = str(icon)
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        str(src / "packaging" / spec.name),
    ]
    with open(log or work / "pyinstaller.log", "w", encoding="utf-8") as fh:
        result = subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        tail = (log or work / "pyinstaller.log").read_text(encoding="utf-8", errors="replace")[-3000:]
        raise InputError(f"PyInstaller failed (exit {result.returncode}); the end of its log:\n{tail}")
    app = dist / EXE_NAME
    if not app.is_dir():
        raise InputError(f"PyInstaller finished but {app} was not made")
    return app


def move_into(app: Path, target: Path) -> Path:
    """Put the frozen folder at ``target`` (replacing an older build there)."""
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(app), str(target))
    return target
