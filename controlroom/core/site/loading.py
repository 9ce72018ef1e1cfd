"""Reading a site file: TOML, paths made absolute, every validation problem named at once."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from controlroom.core.issues import Issue, SiteError
from controlroom.core.site.fields import SCHEMA_VERSION
from controlroom.core.site.model import Site

_PATH_KEYS = {
    "path",
    "logo",
    "icon",
    "server_public_key",
    "client_secret_key",
    "server_secret_key",
    "authorized_keys",
    "public_key",
    "dir",
    "sample",
    "credentials_file",
    "ca_file",
    "cert_file",
    "key_file",
}


def _resolve_paths(node: Any, base: Path) -> Any:
    """Make every path-valued key absolute against the site folder (before validation)."""
    if isinstance(node, dict):
        return {
            k: (
                str((base / v).resolve())
                if k in _PATH_KEYS and isinstance(v, str)
                else _resolve_paths(v, base)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_resolve_paths(v, base) for v in node]
    return node


def _key(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _expected(err: Any) -> str:
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    if err["type"] == "extra_forbidden":
        return "no such key (check the spelling; see docs/site.md)"
    if err["type"] == "missing":
        return "this key is required"
    return msg


def issues_from_validation(path: Path, exc: ValidationError) -> list[Issue]:
    issues = []
    for err in exc.errors():
        found = "(missing)" if err["type"] == "missing" else repr(err.get("input"))
        if len(found) > 80:
            found = found[:77] + "..."
        issues.append(Issue(file=str(path), key=_key(err["loc"]), found=found, expected=_expected(err)))
    return issues


def parse_site(text: str, path: Path) -> Site:
    """Validate site TOML text; raise ``SiteError`` listing every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SiteError([Issue(str(path), "(syntax)", str(exc), "valid TOML")]) from None
    version = raw.get("schema")
    if version != SCHEMA_VERSION:
        raise SiteError(
            [
                Issue(
                    str(path),
                    "schema",
                    repr(version),
                    f"schema = {SCHEMA_VERSION} (this app reads version 1)",
                )
            ]
        )
    raw = _resolve_paths(raw, path.parent)
    raw["path"] = str(path)
    try:
        return Site.model_validate(raw)
    except ValidationError as exc:
        raise SiteError(issues_from_validation(path, exc)) from None


def load_site(path: str | Path) -> Site:
    """Read and validate a site file (or a folder holding ``site.toml``)."""
    p = Path(path).expanduser()
    if p.is_dir():
        p = p / "site.toml"
    p = p.resolve()
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SiteError(
            [Issue(str(p), "(file)", "no such file", "a site.toml file or a folder holding one")]
        ) from None
    except UnicodeDecodeError as exc:
        raise SiteError([Issue(str(p), "(file)", f"not UTF-8 ({exc.reason})", "UTF-8 TOML text")]) from None
    return parse_site(text, p)
