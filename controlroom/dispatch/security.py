"""Who is at the other end of a dispatch socket: desks authenticate with their CURVE key.

The site lists its dispatch users with a role and the public key of their desk. The gateway
admits only those keys (ZAP callback) and maps the key on each message (its ``User-Id``) back to
the user, so a command's author comes from the key, never from what the message claims. Without
keys (a loopback demo) the desk names its user, and the gateway trusts that name only there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import zmq
import zmq.auth

from controlroom.core.dispatch_model import Actor
from controlroom.feed.keys import (
    ClientSecurity,
    ServerSecurity,
    check_plaintext,
    client_security,
    load_public,
    site_path,
)

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from zmq.auth.thread import ThreadAuthenticator

    from controlroom.core.site import DispatchConfig, Site


class _KeyList:
    """The ZAP callback: admit the z85 keys in ``allowed``; log each refused key once (a denied
    desk reconnects every fraction of a second, and never reaches the gateway's audit trail)."""

    def __init__(self, allowed: set[bytes]) -> None:
        self.allowed = allowed
        self.refused: set[bytes] = set()

    def callback(self, domain: str, key: bytes) -> bool:
        if key in self.allowed:
            return True
        if key not in self.refused and len(self.refused) < 10_000:
            self.refused.add(key)
            log.warning(
                "gateway: refused a connection with key %s "
                "(not in [[dispatch.users]] nor [feed] authorized_keys)",
                key.decode(errors="replace"),
            )
        return False


@dataclass
class GatewaySecurity(ServerSecurity):
    """CURVE server side for the gateway: the site's users' keys (+ the feed's allow-list folder,
    so wall PCs that may watch the feed may also watch the gateway's incident records)."""

    users_by_key: dict[str, str] | None = None  # z85 public key → user name

    def start(self, context: zmq.Context) -> None:
        from zmq.auth.thread import ThreadAuthenticator

        allowed = {k.encode() for k in (self.users_by_key or {})}
        if self.authorized_keys.is_dir():
            for f in self.authorized_keys.glob("*.key"):
                allowed.add(load_public(f))
        auth: ThreadAuthenticator = ThreadAuthenticator(context)
        auth.start()
        auth.configure_curve_callback(domain="*", credentials_provider=_KeyList(allowed))
        self._auth = auth


def gateway_security(site: Site, endpoints: list[str]) -> GatewaySecurity | None:
    """CURVE for the gateway when ``[dispatch] server_secret_key`` is set, else the plain-text rule."""
    cfg = site.dispatch
    secret = site_path(site, cfg.server_secret_key)
    if secret is None:
        for e in endpoints:
            check_plaintext(e, cfg.insecure)
        return None
    users_by_key: dict[str, str] = {}
    for u in cfg.users:
        key_path = site_path(site, u.public_key)
        if key_path is None:
            continue
        users_by_key[load_public(key_path).decode()] = u.name  # already z85 text
    feed_allow = site_path(site, site.feed.authorized_keys) or Path("/nonexistent")
    return GatewaySecurity(secret, feed_allow, users_by_key=users_by_key)


def desk_security(site: Site, endpoints: list[str]) -> ClientSecurity | None:
    """The desk's CURVE client config from ``[dispatch]``, or None for plain text on loopback."""
    return client_security(site, endpoints, section="dispatch")


class UserRegistry:
    """Maps an authenticated key (or, without CURVE, a claimed name) to an ``Actor``."""

    def __init__(self, cfg: DispatchConfig, users_by_key: dict[str, str] | None, curve: bool) -> None:
        self.cfg = cfg
        self.users_by_key = users_by_key or {}
        self.curve = curve

    def actor(self, user_id: str | None, claimed_user: str, desk: str) -> Actor | str:
        """The actor, or a refusal reason."""
        if self.curve:
            name = self.users_by_key.get(user_id or "")
            if name is None:
                return "this desk's key belongs to no dispatch user of the site"
        else:
            name = claimed_user
            if not name:
                return "no user named: set [dispatch] user in the desk's site file"
        user = self.cfg.user_named(name)
        if user is None:
            known = ", ".join(u.name for u in self.cfg.users) or "none"
            return f"no dispatch user '{name}' in the site's [dispatch] users (known: {known})"
        return Actor(user.name, user.role, desk or "?")
