"""Files that ship inside the package (``controlroom/data/``): wall layouts and the sample site's
templates, found through ``importlib.resources`` so an installed wheel finds them as a checkout does.

Also where a source checkout is, for the developer tools that need files kept outside the package
(translation sources, the PyInstaller recipe); an installed package has none.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

DATA_PACKAGE = "controlroom"
DATA_FOLDER = "data"


def shipped_path(*parts: str) -> Path:
    """The shipped file or folder ``controlroom/data/<parts>`` as a real path (layout lookups,
    error messages and copies need one). Packages are installed unzipped (wheel, PyInstaller)."""
    resource = files(DATA_PACKAGE).joinpath(DATA_FOLDER, *parts)
    path = Path(str(resource))
    if not path.exists():
        raise FileNotFoundError(f"{path}: shipped file missing; this controlroom installation is incomplete")
    return path


def shipped_layouts() -> Path:
    """The folder of wall layouts every installation carries (``controlroom layout list`` shows them)."""
    return shipped_path("layouts")


def source_checkout() -> Path | None:
    """The source checkout this package is imported from, or None when it is installed (a wheel,
    a frozen build): the folder above the package, if it holds controlroom's pyproject.toml."""
    package = Path(str(files(DATA_PACKAGE)))
    root = package.parent
    pyproject = root / "pyproject.toml"
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return None
    return root if 'name = "controlroom"' in text else None
