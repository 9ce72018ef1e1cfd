"""Real NATS operator-mode credentials for tests: operator, system and feed accounts, user .creds.

What ``nsc`` would make, written with the nkeys library (``nsc`` is not packaged here): ed25519
nkeys, and JWTs signed by their issuer (operator → accounts → users).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

nkeys = pytest.importorskip("nkeys")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _pair(prefix: int) -> tuple[bytes, Any, str]:
    seed = nkeys.encode_seed(os.urandom(32), prefix)
    key = nkeys.from_seed(seed)
    return seed, key, key.public_key.decode()


def _jwt(issuer: Any, issuer_pub: str, subject: str, name: str, nats: dict[str, Any]) -> str:
    claims: dict[str, Any] = {
        "iat": int(time.time()),
        "iss": issuer_pub,
        "name": name,
        "sub": subject,
        "nats": nats,
    }
    claims["jti"] = (
        base64.b32encode(hashlib.sha256(json.dumps(claims).encode()).digest()).decode().rstrip("=")
    )
    head = _b64(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"}).encode())
    body = _b64(json.dumps(claims).encode())
    return f"{head}.{body}.{_b64(issuer.sign(f'{head}.{body}'.encode()))}"


_UNLIMITED = {"subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1, "wildcards": True}


class Operator:
    """An operator with a system account and a feed account (JetStream enabled)."""

    def __init__(self) -> None:
        _, self.key, self.pub = _pair(nkeys.PREFIX_BYTE_OPERATOR)
        _, _, self.sys_pub = _pair(nkeys.PREFIX_BYTE_ACCOUNT)
        _, self.account, self.account_pub = _pair(nkeys.PREFIX_BYTE_ACCOUNT)
        self.jwt = _jwt(
            self.key,
            self.pub,
            self.pub,
            "city",
            {"type": "operator", "version": 2, "system_account": self.sys_pub},
        )
        limits = {**_UNLIMITED, "conn": -1, "leaf": -1}
        self.sys_jwt = _jwt(
            self.key, self.pub, self.sys_pub, "SYS", {"type": "account", "version": 2, "limits": limits}
        )
        js = {**limits, "mem_storage": -1, "disk_storage": -1, "streams": -1, "consumer": -1}
        self.account_jwt = _jwt(
            self.key, self.pub, self.account_pub, "feed", {"type": "account", "version": 2, "limits": js}
        )

    def server_conf(self, port: int, store: Path) -> str:
        return (
            f'listen: "127.0.0.1:{port}"\noperator: "{self.jwt}"\nresolver: MEMORY\n'
            f"system_account: {self.sys_pub}\n"
            f'resolver_preload: {{ {self.account_pub}: "{self.account_jwt}",'
            f' {self.sys_pub}: "{self.sys_jwt}" }}\n'
            f'jetstream {{ store_dir: "{store}" }}\n'
        )

    def user_creds(self, path: Path, name: str, signer: Any = None, signer_pub: str = "") -> Path:
        """A .creds file for a new user of the feed account (or signed by ``signer``, e.g. a stranger)."""
        seed, _, pub = _pair(nkeys.PREFIX_BYTE_USER)
        nats = {"type": "user", "version": 2, "pub": {}, "sub": {}, "subs": -1, "data": -1, "payload": -1}
        token = _jwt(signer or self.account, signer_pub or self.account_pub, pub, name, nats)
        path.write_text(
            f"-----BEGIN NATS USER JWT-----\n{token}\n------END NATS USER JWT------\n\n"
            f"-----BEGIN USER NKEY SEED-----\n{seed.decode()}\n------END USER NKEY SEED------\n"
        )
        return path


def stranger() -> tuple[Any, str]:
    """An account key the server does not know."""
    _, key, pub = _pair(nkeys.PREFIX_BYTE_ACCOUNT)
    return key, pub
