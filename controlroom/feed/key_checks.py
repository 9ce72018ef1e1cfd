"""Doctor check: every key file the site names is there, readable as a key, and secrets are private.

Fields are found by walking the site, so key settings added to new sections (wall, dispatch, …)
are checked without changes here: a path field named ``*secret*`` is a secret key file,
``*public_key`` a public one, ``authorized_keys`` a folder of public keys.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import zmq.auth
from pydantic import BaseModel

from controlroom.core.doctor import DoctorOptions
from controlroom.core.issues import Issue
from controlroom.core.site import Site


def _key_fields(node: object, key: str = "") -> list[tuple[str, str, Path]]:
    out: list[tuple[str, str, Path]] = []
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            value = getattr(node, name)
            sub = f"{key}.{name}" if key else name
            if isinstance(value, Path) and (
                "secret" in name or "public_key" in name or name == "authorized_keys"
            ):
                out.append((sub, name, value))
            else:
                out += _key_fields(value, sub)
    elif isinstance(node, list | tuple):
        for i, item in enumerate(node):
            out += _key_fields(item, f"{key}[{i}]")
    return out


def _check_secret(site: Site, key: str, path: Path) -> list[Issue]:
    issue = partial(Issue, str(site.path), key)
    if not path.is_file():
        return [
            issue(
                f"{path} (missing)",
                "a secret key file (.key_secret)",
                fix="create one with `controlroom keys new NAME` or copy it here; keep it mode 600",
            )
        ]
    issues = []
    mode = path.stat().st_mode & 0o777
    if os.name == "posix" and mode & 0o077:
        issues.append(
            issue(
                f"{path} has mode {mode:03o}",
                "mode 600 (readable by its owner only)",
                fix=f"chmod 600 {path}",
            )
        )
    try:
        _, secret = zmq.auth.load_certificate(str(path))
    except (ValueError, OSError) as exc:
        fix = "recreate it with `controlroom keys new NAME`"
        return [*issues, issue(f"{path}: {exc}", "a ZeroMQ certificate file", fix=fix)]
    if not secret:
        issues.append(
            issue(
                f"{path} holds only a public key",
                "a secret key file (.key_secret)",
                fix="point the key at the .key_secret file of the pair",
            )
        )
    return issues


def _check_public(site: Site, key: str, path: Path) -> list[Issue]:
    issue = partial(Issue, str(site.path), key)
    if not path.is_file():
        fix = "copy the server's .key file here (it is safe to share)"
        return [issue(f"{path} (missing)", "a public key file (.key)", fix=fix)]
    try:
        zmq.auth.load_certificate(str(path))
    except (ValueError, OSError) as exc:
        fix = "copy the .key file made by `controlroom keys new`"
        return [issue(f"{path}: {exc}", "a ZeroMQ public key file", fix=fix)]
    return []


def _check_folder(site: Site, key: str, path: Path) -> list[Issue]:
    if not path.is_dir() or not any(path.glob("*.key")):
        return [
            Issue(
                str(site.path),
                key,
                f"{path} (missing or no *.key files)",
                "a folder with one client public key (*.key) per authorised PC",
                fix="copy each desk and wall PC's public .key file into this folder",
            )
        ]
    return []


def check_keys(site: Site, options: DoctorOptions | None = None) -> list[Issue]:
    issues: list[Issue] = []
    for key, name, path in _key_fields(site):
        p = path if path.is_absolute() else site.folder / path
        if "secret" in name:
            issues += _check_secret(site, key, p)
        elif name == "authorized_keys":
            issues += _check_folder(site, key, p)
        else:
            issues += _check_public(site, key, p)
    return issues
