"""Which of a site's files travel with a build, and which must not.

The site is copied as the installer wrote it (``site.toml`` verbatim, every referenced file at the
same relative place), so the built app reads it exactly as ``doctor`` did. Secret keys stay
behind unless asked for, and data marked ``internal_only`` stops the build: both are decided by
walking the validated site, so sections other helpers add (with their own paths and flags) are
covered without touching this module.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel

from controlroom.core.issues import Issue
from controlroom.core.site import Site

# A path field whose name holds one of these words is a secret (CURVE secret keys, passwords).
SECRET_WORDS = ("secret", "password", "private")
# Files that belong to one layer although only the main one is named (shapefile sidecars).
_SIDECARS = (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml")


@dataclass
class Staged:
    """What a build will carry: files relative to the site folder, and what was left out."""

    files: list[Path] = field(default_factory=list)
    left_out_secrets: list[str] = field(default_factory=list)


def walk(node: object, key: str = "") -> Iterator[tuple[str, str, object]]:
    """(dotted key, field name, value) of every field in a validated site, nested models included."""
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            value = getattr(node, name)
            sub = f"{key}.{name}" if key else name
            yield sub, name, value
            yield from walk(value, sub)
    elif isinstance(node, list | tuple):
        for i, item in enumerate(node):
            yield from walk(item, f"{key}[{i}]")


def is_secret(field_name: str) -> bool:
    return any(word in field_name.lower() for word in SECRET_WORDS)


def internal_only_issues(site: Site) -> list[Issue]:
    """Every section flagged ``internal_only = true``: such data may not leave the building."""
    issues = []
    for key, name, value in walk(site):
        if name == "internal_only" and value is True:
            issues.append(
                Issue(
                    str(site.path),
                    key,
                    "internal_only = true",
                    "no data marked for internal tests only in a delivered build",
                    fix=f"replace the data of {key.rsplit('.', 1)[0]} with data licensed for delivery, "
                    "or remove the section from the site for this build",
                )
            )
    return issues


def _with_sidecars(path: Path) -> list[Path]:
    if path.suffix.lower() != ".shp":
        return [path]
    stem = path.with_suffix("")
    return [path, *(p for ext in _SIDECARS if (p := Path(str(stem) + ext)).exists())]


def _files_under(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    return _with_sidecars(path) if path.exists() else []


def stage_plan(site: Site, include_secrets: bool) -> tuple[Staged, list[Issue]]:
    """The files to copy (relative to the site folder) and every reason the build cannot go on."""
    root = site.folder
    staged = Staged(files=[Path(site.path.name)])
    issues = internal_only_issues(site)
    layouts = root / "layouts"
    seen: set[Path] = set()
    for key, name, value in walk(site):
        if (name == "path" and key == "path") or not isinstance(value, Path):
            continue
        if is_secret(name) and not include_secrets:
            staged.left_out_secrets.append(f"{key} = {value}")
            continue
        if not value.exists():
            issues.append(
                Issue(
                    str(site.path),
                    key,
                    f"{value} (missing)",
                    "an existing file",
                    fix="run controlroom doctor",
                )
            )
            continue
        for file in _files_under(value):
            try:
                rel = file.resolve().relative_to(root)
            except ValueError:
                issues.append(
                    Issue(
                        str(site.path),
                        key,
                        str(file),
                        f"a file inside the site folder {root}",
                        fix="move the file under the site folder and point the key at it with a "
                        "relative path (the build carries the site folder only)",
                    )
                )
                continue
            if rel not in seen:
                seen.add(rel)
                staged.files.append(rel)
    if layouts.is_dir():
        for file in _files_under(layouts):
            rel = file.relative_to(root)
            if rel not in seen:
                seen.add(rel)
                staged.files.append(rel)
    staged.files.sort(key=lambda p: p.as_posix())
    return staged, issues


def copy_site(site: Site, staged: Staged, dest: Path) -> None:
    """Copy the staged files to ``dest`` keeping their places; secret keys stay owner-only (600)."""
    for rel in staged.files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(site.folder / rel, target)
        if is_secret(target.name):
            target.chmod(0o600)
