"""``package_site``: from a site folder to a delivered build (folder, tar.zst or zip)."""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from controlroom.app.packager.archive import write_archive
from controlroom.app.packager.entry import SITE_FOLDER
from controlroom.app.packager.freeze import default_work_dir, freeze, move_into
from controlroom.app.packager.manifest import build_manifest, write_manifest
from controlroom.app.packager.staging import copy_site, stage_plan
from controlroom.core.issues import SiteError
from controlroom.core.site import load_site

FORMATS = ("dir", "tar.zst", "zip")


@dataclass(frozen=True)
class BuildResult:
    folder: Path
    artefact: Path
    manifest: dict[str, Any]
    left_out_secrets: list[str]
    freeze_s: float
    total_s: float

    def summary(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "artefact": str(self.artefact),
            "artefact_bytes": self.artefact.stat().st_size if self.artefact.is_file() else None,
            "site": self.manifest["site"],
            "file_count": self.manifest["file_count"],
            "total_bytes": self.manifest["total_bytes"],
            "secrets_included": self.manifest["secrets_included"],
            "left_out_secrets": self.left_out_secrets,
            "freeze_s": round(self.freeze_s, 1),
            "total_s": round(self.total_s, 1),
        }


def build_name(site_name: str) -> str:
    return f"controlroom-{site_name}"


def package_site(
    site_path: str | Path,
    out: Path,
    fmt: str = "dir",
    include_secrets: bool = False,
    work: Path | None = None,
) -> BuildResult:
    """Check the site, freeze the app, add the site and manifest, archive. Raises SiteError/InputError."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
    start = time.perf_counter()
    site = load_site(site_path)
    staged, issues = stage_plan(site, include_secrets)
    if issues:
        raise SiteError(issues)
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    icon = site.branding.icon
    with tempfile.TemporaryDirectory(prefix="controlroom-dist-", dir=out) as tmp:
        t0 = time.perf_counter()
        app = freeze(Path(tmp), work or default_work_dir(), icon=icon)
        freeze_s = time.perf_counter() - t0
        folder = move_into(app, out / build_name(site.site.name))
    copy_site(site, staged, folder / SITE_FOLDER)
    manifest = build_manifest(folder, site.site.name, site.title, include_secrets)
    write_manifest(folder, manifest)
    artefact = write_archive(folder, fmt)
    if fmt != "dir":
        shutil.rmtree(folder)
    return BuildResult(
        folder, artefact, manifest, staged.left_out_secrets, freeze_s, time.perf_counter() - start
    )
