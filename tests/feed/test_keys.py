"""CURVE: only authorised clients hear the feed; plain text never leaves loopback by accident."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from controlroom.core.protocol import Position
from controlroom.feed.keys import (
    ClientSecurity,
    FeedSecurityError,
    ServerSecurity,
    authorize,
    check_plaintext,
    create_keypair,
    is_loopback,
    load_secret,
)
from controlroom.feed.publisher import FeedPublisher
from controlroom.feed.subscriber import FeedSubscriber


def test_keypair_secret_is_private(tmp_path: Path) -> None:
    public, secret = create_keypair("wall-1", tmp_path / "keys")
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert "secret-key" in secret.read_text() and "secret-key" not in public.read_text()
    pub_key, sec_key = load_secret(secret)
    assert len(pub_key) == 40 and len(sec_key) == 40
    with pytest.raises(FeedSecurityError, match="already exists"):
        create_keypair("wall-1", tmp_path / "keys")
    with pytest.raises(FeedSecurityError, match="plain name"):
        create_keypair("../evil", tmp_path / "keys")
    secret.chmod(0o644)
    with pytest.raises(FeedSecurityError, match="chmod 600"):
        load_secret(secret)


def test_unauthorised_client_receives_nothing(tmp_path: Path, make_pipeline) -> None:
    keys = tmp_path / "keys"
    allowed = tmp_path / "authorized"
    _, server_secret = create_keypair("server", keys)
    server_public = keys / "server.key"
    good_public, good_secret = create_keypair("wall", keys)
    _, intruder_secret = create_keypair("intruder", keys)
    authorize(good_public, allowed)

    server = ServerSecurity(server_secret, allowed)
    with FeedPublisher("tcp://127.0.0.1:*", security=server) as pub:
        good = make_pipeline(pub.endpoint, security=ClientSecurity(good_secret, server_public))
        intruder = make_pipeline(pub.endpoint, security=ClientSecurity(intruder_secret, server_public))
        plain = make_pipeline(pub.endpoint)
        assert good.pump_until(
            lambda: (
                (pub.positions([Position("B1", "bus", 113.3157, 23.1226)]) or True)
                and good.stats.received > 20
            )
        )
        for _ in range(20):  # the others had all this time and more to receive something
            pub.positions([Position("B1", "bus", 113.3157, 23.1226)])
            time.sleep(0.01)
    assert "B1" in good.pump.entities
    assert intruder.stats.received == 0 and plain.stats.received == 0
    intruder.pump.apply_pending(time.time())
    assert len(intruder.pump.entities) == 0


@pytest.mark.parametrize(
    ("endpoint", "loopback"),
    [
        ("tcp://127.0.0.1:7710", True),
        ("tcp://localhost:7710", True),
        ("tcp://[::1]:7710", True),
        ("ipc:///run/controlroom/feed", True),
        ("tcp://10.0.0.5:7710", False),
        ("tcp://*:7710", False),
        ("tcp://0.0.0.0:7710", False),
        ("tcp://feed.city.local:7710", False),
    ],
)
def test_plain_text_only_on_loopback(endpoint: str, loopback: bool) -> None:
    assert is_loopback(endpoint) is loopback
    check_plaintext(endpoint, insecure=True)  # the site explicitly accepts the risk
    if loopback:
        check_plaintext(endpoint, insecure=False)
    else:
        with pytest.raises(FeedSecurityError, match="refusing plain-text"):
            check_plaintext(endpoint, insecure=False)


def test_publisher_and_subscriber_refuse_plain_network_endpoints() -> None:
    with pytest.raises(FeedSecurityError):
        FeedPublisher("tcp://0.0.0.0:0")
    with pytest.raises(FeedSecurityError):
        FeedSubscriber("tcp://10.1.2.3:7710", None)  # type: ignore[arg-type]


def test_site_keys_resolve_and_half_configs_are_refused(tmp_path: Path, minimal_site: Path) -> None:
    from controlroom.core.site import load_site
    from controlroom.feed.keys import client_security, server_security

    create_keypair("server", tmp_path / "keys")
    create_keypair("wall", tmp_path / "keys")
    text = minimal_site.read_text().replace(
        'snapshot_endpoint = "tcp://127.0.0.1:0"',
        'snapshot_endpoint = "tcp://127.0.0.1:0"\nserver_secret_key = "keys/server.key_secret"\n'
        'authorized_keys = "authorized"\nclient_secret_key = "keys/wall.key_secret"\n'
        'server_public_key = "keys/server.key"',
    )
    minimal_site.write_text(text)
    site = load_site(minimal_site)
    srv = server_security(site, ["tcp://0.0.0.0:7710"])  # CURVE: any address is fine
    cli = client_security(site, ["tcp://10.0.0.5:7710"])
    assert srv is not None and srv.secret_key == tmp_path / "keys" / "server.key_secret"
    assert srv.authorized_keys == tmp_path / "authorized"
    assert cli is not None and cli.server_public_key == tmp_path / "keys" / "server.key"
    half = minimal_site.read_text().replace('server_public_key = "keys/server.key"', "")
    minimal_site.write_text(half)
    with pytest.raises(FeedSecurityError, match="both client_secret_key and server_public_key"):
        client_security(load_site(minimal_site), ["tcp://127.0.0.1:7710"])
