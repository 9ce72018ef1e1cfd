"""CURVE keys and the rule that a city's feed never crosses a network in plain text.

A site's feed server holds its secret key and a folder of authorised client public keys (one
``*.key`` file per wall PC or desk); each client holds its own secret key and the server's public
key. ``zmq.auth``'s ThreadAuthenticator enforces the allow-list. A plain-text endpoint is allowed
on loopback, ipc and inproc only, unless the site says ``insecure = true``.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import zmq
import zmq.auth

if TYPE_CHECKING:
    from zmq.auth.thread import ThreadAuthenticator

    from controlroom.core.site import DispatchConfig, FeedConfig, Site


class FeedSecurityError(ValueError):
    """The endpoint/key configuration is unsafe or unusable; the message says what to change."""


def create_keypair(name: str, directory: Path) -> tuple[Path, Path]:
    """Write ``NAME.key`` (public, shareable) and ``NAME.key_secret`` (mode 600) into ``directory``."""
    if not name or any(c in name for c in "/\\") or name.startswith("."):
        raise FeedSecurityError(f"key name {name!r}: expected a plain name such as 'wall-1' or 'feed-server'")
    directory.mkdir(parents=True, exist_ok=True)
    public, secret = directory / f"{name}.key", directory / f"{name}.key_secret"
    for p in (public, secret):
        if p.exists():
            raise FeedSecurityError(f"{p} already exists; choose another name or remove the old key first")
    old_umask = os.umask(0o077)  # the secret file is never readable by others, not even briefly
    try:
        made_public, made_secret = zmq.auth.create_certificates(str(directory), name)
    finally:
        os.umask(old_umask)
    os.chmod(made_secret, 0o600)
    os.chmod(made_public, 0o644)
    return Path(made_public), Path(made_secret)


def load_secret(path: Path) -> tuple[bytes, bytes]:
    """(public, secret) from a ``.key_secret`` file, refusing files others can read."""
    if not path.is_file():
        raise FeedSecurityError(f"{path}: no such key file; create one with 'controlroom keys new NAME'")
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise FeedSecurityError(f"{path}: secret key is readable by other users; run 'chmod 600 {path}'")
    public, secret = zmq.auth.load_certificate(str(path))
    if not secret:
        raise FeedSecurityError(f"{path}: holds no secret key; expected a '.key_secret' file")
    return public, secret


def load_public(path: Path) -> bytes:
    if not path.is_file():
        raise FeedSecurityError(f"{path}: no such public key file")
    public, _ = zmq.auth.load_certificate(str(path))
    return public


def is_loopback(endpoint: str) -> bool:
    """ipc/inproc, or tcp on 127.0.0.0/8, ::1 or localhost."""
    if endpoint.startswith(("ipc://", "inproc://")):
        return True
    if not endpoint.startswith("tcp://"):
        return False
    host = endpoint[len("tcp://") :].rsplit(":", 1)[0].strip("[]")
    if ";" in host:  # tcp://src;dst form: the destination is what matters
        host = host.split(";")[-1]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # '*', an interface name or a DNS name: may reach the network


def check_plaintext(endpoint: str, insecure: bool) -> None:
    if not insecure and not is_loopback(endpoint):
        raise FeedSecurityError(
            f"refusing plain-text ZeroMQ on {endpoint}: set the site's [feed] server_secret_key / "
            "client_secret_key + server_public_key (see 'controlroom keys new'), or insecure = true"
        )


@dataclass
class ServerSecurity:
    """CURVE server side: our secret key and the folder of authorised client public keys."""

    secret_key: Path
    authorized_keys: Path
    _auth: ThreadAuthenticator | None = None

    def start(self, context: zmq.Context) -> None:
        """Start the allow-list authenticator on the context the server sockets will use."""
        from zmq.auth.thread import ThreadAuthenticator

        if not self.authorized_keys.is_dir():
            raise FeedSecurityError(
                f"{self.authorized_keys}: expected a folder of authorised client '*.key' files"
            )
        load_secret(self.secret_key)
        self._auth = ThreadAuthenticator(context)
        self._auth.start()
        self._auth.configure_curve(domain="*", location=str(self.authorized_keys))

    def reload(self) -> None:
        """Re-read the authorised keys folder (key rotation without a restart)."""
        if self._auth is not None:
            self._auth.configure_curve(domain="*", location=str(self.authorized_keys))

    def apply(self, socket: zmq.Socket) -> None:
        public, secret = load_secret(self.secret_key)
        socket.curve_secretkey = secret
        socket.curve_publickey = public
        socket.curve_server = True

    def stop(self) -> None:
        if self._auth is not None:
            self._auth.stop()
            self._auth = None


@dataclass(frozen=True)
class ClientSecurity:
    """CURVE client side: our keypair and the server's public key."""

    secret_key: Path
    server_public_key: Path

    def apply(self, socket: zmq.Socket) -> None:
        public, secret = load_secret(self.secret_key)
        socket.curve_secretkey = secret
        socket.curve_publickey = public
        socket.curve_serverkey = load_public(self.server_public_key)


def authorize(public_key: Path, authorized_keys: Path) -> Path:
    """Copy a client's public key into the server's allow-list folder."""
    load_public(public_key)
    authorized_keys.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy2(public_key, authorized_keys / public_key.name))


def site_path(site: Site, p: Path | None) -> Path | None:
    """A key path from the site file, relative paths taken from the site's folder."""
    if p is None:
        return None
    return p if p.is_absolute() else (site.folder / p).resolve()


def curve_pair(
    site: Site,
    section: str,
    first: tuple[str, Path | None],
    second: tuple[str, Path | None],
    endpoints: list[str],
    insecure: bool,
) -> tuple[Path, Path] | None:
    """Both key paths of one CURVE side (``(field name, value)`` each), or None once the endpoints
    pass the plain-text rule; one key without the other is refused rather than silently ignored."""
    (name_a, raw_a), (name_b, raw_b) = first, second
    a, b = site_path(site, raw_a), site_path(site, raw_b)
    if a and b:
        return a, b
    if a or b:
        raise FeedSecurityError(
            f"{site.path}: [{section}] needs both {name_a} and {name_b} for CURVE (found only one)"
        )
    for e in endpoints:
        check_plaintext(e, insecure)
    return None


def server_security(site: Site, endpoints: list[str]) -> ServerSecurity | None:
    """The site's CURVE server config, or None for plain text (allowed on loopback or if insecure)."""
    cfg = site.feed
    pair = curve_pair(
        site,
        "feed",
        ("server_secret_key", cfg.server_secret_key),
        ("authorized_keys", cfg.authorized_keys),
        endpoints,
        cfg.insecure,
    )
    return ServerSecurity(*pair) if pair else None


def client_security(
    site: Site, endpoints: list[str], section: Literal["feed", "dispatch"] = "feed"
) -> ClientSecurity | None:
    """The CURVE client config from the site's ``[feed]`` (or ``[dispatch]``) section, or None for
    plain text (allowed on loopback or if insecure)."""
    cfg: FeedConfig | DispatchConfig = site.dispatch if section == "dispatch" else site.feed
    pair = curve_pair(
        site,
        section,
        ("client_secret_key", cfg.client_secret_key),
        ("server_public_key", cfg.server_public_key),
        endpoints,
        cfg.insecure,
    )
    return ClientSecurity(*pair) if pair else None
