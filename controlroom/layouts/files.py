"""Reading layout files: parse and validate one (the schema, then the cross-field checks), and
find one by name among the site's and the shipped layout folders.

Kept apart from :mod:`controlroom.layouts.spec` (the model) because validation needs the checks
and the checks need the geometry, which needs the model: with reading here, the package's imports
run one way (files → checks → geometry → spec; pyproject's layouts contract keeps it so).
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from controlroom.core.issues import Issue, SiteError
from controlroom.core.site import issues_from_validation
from controlroom.layouts.checks import cross_check
from controlroom.layouts.spec import SCHEMA_VERSION, LayoutSpec


def _schema_issue(path: Path, raw: dict[str, Any]) -> Issue | None:
    version = raw.get("schema")
    if version == SCHEMA_VERSION:
        return None
    found = "(missing)" if version is None else repr(version)
    return Issue(
        str(path),
        "schema",
        found,
        f"schema = {SCHEMA_VERSION} (this app reads layout format version {SCHEMA_VERSION})",
        fix="see docs/layouts.md for the format of this version",
    )


def parse_layout(text: str, path: Path) -> LayoutSpec:
    """Validate layout TOML text; raise ``SiteError`` listing every problem found."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SiteError([Issue(str(path), "(syntax)", str(exc), "valid TOML")]) from None
    version_issue = _schema_issue(path, raw)
    if version_issue is not None:
        raise SiteError([version_issue])
    raw["path"] = str(path)
    raw["digest"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    try:
        spec = LayoutSpec.model_validate(raw)
    except ValidationError as exc:
        raise SiteError(
            [
                Issue(
                    i.file, i.key, i.found, i.expected.replace("docs/site.md", "docs/layouts.md"), i.severity
                )
                for i in issues_from_validation(path, exc)
            ]
        ) from None
    problems = [i for i in cross_check(spec) if i.severity == "error"]
    if problems:
        raise SiteError(problems)
    return spec


def load_layout(path: str | Path) -> LayoutSpec:
    """Read and validate one layout file."""
    p = Path(path).expanduser().resolve()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SiteError([Issue(str(p), "(file)", "no such file", "a layout .toml file")]) from None
    except IsADirectoryError:
        raise SiteError([Issue(str(p), "(file)", "a folder", "a layout .toml file")]) from None
    except UnicodeDecodeError as exc:
        raise SiteError([Issue(str(p), "(file)", f"not UTF-8 ({exc.reason})", "UTF-8 TOML text")]) from None
    return parse_layout(text, p)


def check_layout(path: str | Path) -> list[Issue]:
    """Every problem (errors and warnings) in one layout file; an empty list means it is fine."""
    try:
        spec = load_layout(path)
    except SiteError as exc:
        return exc.issues
    return [i for i in cross_check(spec) if i.severity == "warning"]


def layout_names(search_dirs: list[Path]) -> dict[str, Path]:
    """Every layout name the folders offer (``wall-3x2`` → its file), the first folder winning."""
    names: dict[str, Path] = {}
    for folder in search_dirs:
        if folder.is_dir():
            for p in sorted(folder.glob("*.toml")):
                names.setdefault(p.stem, p)
    return names


def find_layout(name_or_path: str | Path, search_dirs: list[Path]) -> Path:
    """A layout by file path, or by name (``wall-3x2``) in the given folders, first match wins."""
    candidate = Path(name_or_path).expanduser()
    if candidate.suffix == ".toml" or candidate.exists():
        return candidate
    for folder in search_dirs:
        p = folder / f"{name_or_path}.toml"
        if p.is_file():
            return p
    where = ", ".join(str(d) for d in search_dirs) or "no folders"
    known = ", ".join(layout_names(search_dirs)) or "none"
    raise SiteError(
        [
            Issue(
                str(name_or_path),
                "(layout)",
                f"no layout named '{name_or_path}' (not found in {where})",
                f"one of: {known}; or a path to a layout .toml file",
                fix="pick a name above; `controlroom layout list` shows where each comes from",
            )
        ]
    )
