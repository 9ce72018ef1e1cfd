"""The build's manifest: every file with its sha256, the app and dependency versions, the site.

Installers compare manifests to know two builds are the same and to check a copy on a PC is
complete (``controlroom package --verify``). Same inputs → byte-identical manifest: files are
sorted, paths are POSIX, and nothing time- or machine-dependent (dates, the build folder) goes in.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from controlroom import __version__

MANIFEST_NAME = "MANIFEST.json"
MANIFEST_VERSION = 1
# The libraries whose versions decide how a build behaves (what a bug report needs).
DEPENDENCIES = (
    "numpy",
    "msgspec",
    "pydantic",
    "PySide6-Essentials",
    "PySide6-Addons",
    "vtk",
    "pyvista",
    "pyvistaqt",
    "pyqtgraph",
    "geopandas",
    "shapely",
    "pyproj",
    "pyogrio",
    "rasterio",
    "pyarrow",
    "pandas",
    "pyzmq",
    "mapbox-earcut",
    "scipy",
    "matplotlib",
    "pyinstaller",
)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def dependency_versions() -> dict[str, str]:
    out = {}
    for name in DEPENDENCIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def list_files(root: Path) -> list[dict[str, Any]]:
    """Every regular file under ``root`` except the manifest, sorted by POSIX path."""
    files = []
    for path in sorted(root.rglob("*"), key=lambda p: p.relative_to(root).as_posix()):
        rel = path.relative_to(root).as_posix()
        if rel == MANIFEST_NAME or path.is_symlink() or not path.is_file():
            continue
        files.append({"path": rel, "size": path.stat().st_size, "sha256": sha256(path)})
    return files


def build_manifest(root: Path, site_name: str, site_title: str, secrets_included: bool) -> dict[str, Any]:
    files = list_files(root)
    return {
        "manifest_version": MANIFEST_VERSION,
        "app": "controlroom",
        "app_version": __version__,
        "site": site_name,
        "site_title": site_title,
        "secrets_included": secrets_included,
        "platform": f"{sys.platform}-{platform.machine()}",
        "python": platform.python_version(),
        "dependencies": dependency_versions(),
        "file_count": len(files),
        "total_bytes": sum(f["size"] for f in files),
        "files": files,
    }


def write_manifest(root: Path, manifest: dict[str, Any]) -> Path:
    out = root / MANIFEST_NAME
    out.write_text(
        json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return out


def verify_manifest(root: Path) -> list[str]:
    """What differs between a build folder and its manifest (missing, changed or extra files)."""
    manifest = json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8"))
    listed = {f["path"]: f for f in manifest["files"]}
    problems = []
    present = {f["path"]: f for f in list_files(root)}
    for rel, entry in listed.items():
        if rel not in present:
            problems.append(f"{rel}: missing")
        elif present[rel]["sha256"] != entry["sha256"]:
            problems.append(f"{rel}: changed (sha256 differs from the manifest)")
    problems += [f"{rel}: not in the manifest" for rel in sorted(set(present) - set(listed))]
    return problems
