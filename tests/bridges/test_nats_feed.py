"""``[feed] transport = "nats"``: the simulator, bridges and the app on a real nats-server with JetStream."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from controlroom.core.protocol import Position
from controlroom.core.site import NatsFeedConfig, load_site
from controlroom.feed.fleet import fleet_frame
from controlroom.feed.nats_transport import NatsFeedError, NatsFeedPublisher, NatsFeedSubscriber
from controlroom.feed.site_feed import open_site_feed
from tests.bridges.conftest import (
    LAB,
    ROOT,
    Server,
    city_source,
    free_port,
    gcj,
    nats_feed,
    need_binary,
    publish_nats,
    wait_for,
    write_site,
)
from tests.feed.conftest import Pipeline, write_huacheng_site


def test_bridge_publishes_to_nats_and_a_late_joiner_starts_from_the_stream(
    tmp_path: Path, nats_server: Server, bridge_process: Any
) -> None:
    """The bridge publishes to the site's subjects; an app started later gets the picture from the
    stream, then live updates, with no gap and nothing counted as rejected."""
    site_path = write_site(
        tmp_path / "site", LAB, city_source(nats_server.port, free_port()), feed=nats_feed(nats_server.port)
    )
    bridge = bridge_process(site_path, "city-bus")
    first = [
        (f"city.fleet.cm-{i}", json.dumps({"pos": gcj(113.312 + i * 0.001, 23.12)}).encode())
        for i in range(5)
    ]
    wait_for(lambda: bridge.read_status().get("state") == "live", "the bridge to be live", log=bridge)
    asyncio.run(publish_nats(nats_server.port, first))
    wait_for(lambda: bridge.read_status().get("published") == 5, "5 records published", log=bridge)

    feed = open_site_feed(load_site(site_path)).start()  # joins late: the records went out before it existed
    try:
        p = Pipeline(feed.subscriber, feed.pump, feed.stats, feed.pump.buffer)  # type: ignore[arg-type]
        entities = feed.pump.entities
        assert feed.subscriber.snapshot_records == 5
        assert p.pump_until(lambda: len(entities) == 5, 10)
        x0 = float(entities.x[entities.row("cm-0")])
        moved = [("city.fleet.cm-0", json.dumps({"pos": gcj(113.318, 23.121)}).encode())]
        asyncio.run(publish_nats(nats_server.port, moved))
        assert p.pump_until(lambda: float(entities.x[entities.row("cm-0")]) != x0, 15), bridge.stderr()[
            -2000:
        ]
        snap = feed.stats.snapshot(time.time())
        assert snap["rejected"] == {} and snap["gaps"] == 0
        assert "city-bus" in snap["sources"]
    finally:
        feed.stop()


def test_simulator_through_nats_looks_as_through_zeromq(
    tmp_path: Path, nats_server: Server, shared_data: Path
) -> None:
    """``feed sim`` with the NATS transport: the app sees every simulated entity and the source's
    heartbeats, as it does over our own sockets."""
    site_path = write_huacheng_site(tmp_path, shared_data)
    text = site_path.read_text().replace(
        "[feed]\n", f"[feed]\n{nats_feed(nats_server.port).split('[feed.nats]')[0]}"
    )
    site_path.write_text(text + f'\n[feed.nats]\nurl = "nats://city:s3cret@127.0.0.1:{nats_server.port}"\n')
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [
        sys.executable,
        "-m",
        "controlroom",
        "feed",
        "sim",
        "--site",
        str(site_path),
        "--entities",
        "40",
        "--hz",
        "4",
    ]
    sim = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    feed = open_site_feed(load_site(site_path)).start()
    try:
        entities = feed.pump.entities

        def heard() -> bool:
            feed.pump.apply_pending(time.time())
            return len(entities) == 40 and bool(feed.pump.heartbeats)

        wait_for(heard, "40 simulated entities and a heartbeat over NATS", timeout_s=30)
        assert feed.stats.snapshot(time.time())["rejected"] == {}
    finally:
        feed.stop()
        sim.terminate()
        out = sim.communicate(timeout=10)[0].decode(errors="replace")
    assert "JetStream stream CONTROLROOM_FEED" in out, out


def test_wrong_password_or_bad_credentials_file_is_one_clear_error(
    tmp_path: Path, nats_server: Server
) -> None:
    cfg = NatsFeedConfig(url=f"nats://city:wrong@127.0.0.1:{nats_server.port}")
    refused = r"NATS server at nats://city:\*\*\*@127\.0\.0\.1:\d+ refused the login"  # password hidden
    with pytest.raises(NatsFeedError, match=refused):
        NatsFeedPublisher(cfg, source="sim")
    junk = tmp_path / "feed.creds"
    junk.write_text("user:password\n")
    cfg = NatsFeedConfig(url=f"nats://127.0.0.1:{nats_server.port}", credentials_file=junk)
    with pytest.raises(NatsFeedError, match=r"credentials_file .*feed\.creds: expected a \.creds file"):
        NatsFeedPublisher(cfg, source="sim")
    cfg = NatsFeedConfig(url=f"nats://127.0.0.1:{free_port()}")
    with pytest.raises(NatsFeedError, match=r"cannot reach the NATS server at nats://127\.0\.0\.1:\d+"):
        NatsFeedPublisher(cfg, source="sim")


def test_nkey_user_logs_in_with_its_seed_and_others_are_refused(tmp_path: Path) -> None:
    """A server that lists one nkey user: the publisher and the app log in with that user's seed
    file (the secret never leaves this machine; the server checks a signature)."""
    nkeys = pytest.importorskip("nkeys")
    seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    public = nkeys.from_seed(seed).public_key.decode()
    (tmp_path / "app.nk").write_bytes(seed + b"\n")
    port = free_port()
    conf = tmp_path / "nats.conf"
    conf.write_text(
        f'listen: "127.0.0.1:{port}"\njetstream {{ store_dir: "{tmp_path / "js"}" }}\n'
        f'authorization {{ users = [ {{ nkey: "{public}" }} ] }}\n'
    )
    server = Server([need_binary("nats-server"), "-c", str(conf)], port, tmp_path / "nats.log").start()
    try:
        cfg = NatsFeedConfig(url=f"nats://127.0.0.1:{port}", credentials_file=tmp_path / "app.nk")
        with NatsFeedPublisher(cfg, source="sim") as pub:
            pub.positions([Position(f"b{i}", "bus", 113.312, 23.12, 0.0, 0.0, "normal") for i in range(3)])
            pub.send(fleet_frame([f"f{i}" for i in range(5)], np.full(5, 113.313), np.full(5, 23.121)))
            pub.flush()
            from controlroom.core.feed_stats import FeedStats
            from controlroom.feed.buffer import CoalescingBuffer
            from controlroom.feed.ingest import Ingestor
            from controlroom.feed.validate import Extent

            stats = FeedStats()
            sub = NatsFeedSubscriber(cfg, Ingestor(CoalescingBuffer(), stats, Extent.from_bbox(LAB))).start()
            assert sub.snapshot_records == 3 + 5 and sub.state == "live"  # records and the last fleet frame
            sub.stop()
            # the user the server admitted is named: the seed's public nkey
            assert pub.login == public and stats.link_detail == f"logged in as {public}"
        stranger = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
        (tmp_path / "other.nk").write_bytes(stranger + b"\n")
        cfg = NatsFeedConfig(url=f"nats://127.0.0.1:{port}", credentials_file=tmp_path / "other.nk")
        with pytest.raises(NatsFeedError, match="refused the login"):
            NatsFeedPublisher(cfg, source="sim")
    finally:
        server.stop()


def test_demo_via_nats_site_keeps_the_sample_and_switches_the_transport(
    tmp_path: Path, shared_data: Path
) -> None:
    from controlroom.app.demo_brokers import site_via_nats

    original = write_huacheng_site(tmp_path, shared_data)
    via = site_via_nats(original, "nats://127.0.0.1:4999")
    site, base = load_site(via), load_site(original)
    assert via.parent == original.parent  # relative paths in the sample still resolve
    assert site.feed.transport == "nats" and site.feed.nats.url == "nats://127.0.0.1:4999"
    assert site.city_model == base.city_model and base.feed.transport == "zmq"


def test_a_source_without_publish_is_refused_with_the_zeromq_feed_only(tmp_path: Path) -> None:
    from controlroom.core.issues import SiteError

    source = city_source(4222, free_port()).replace("publish = ", "# publish = ")
    with pytest.raises(SiteError, match="publish is required with the ZeroMQ feed"):
        load_site(write_site(tmp_path / "zmq", LAB, source))
    assert (
        load_site(write_site(tmp_path / "nats", LAB, source, feed=nats_feed(4222))).sources[0].publish is None
    )


def test_a_bridge_with_a_snapshot_server_gives_a_late_app_the_picture_over_zeromq(
    tmp_path: Path, nats_server: Server, bridge_process: Any
) -> None:
    """ZeroMQ feed: the bridge keeps its last records (``snapshot = …``), so an app that starts
    after the vehicles were sent shows them at once, not at their next update."""
    snap = free_port()
    source = city_source(nats_server.port, free_port()).replace(
        "heartbeat_s", f'snapshot = "tcp://127.0.0.1:{snap}"\nheartbeat_s'
    )
    site_path = write_site(
        tmp_path / "site", LAB, source, feed=f'snapshot_endpoint = "tcp://127.0.0.1:{free_port()}"'
    )
    bridge = bridge_process(site_path, "city-bus")
    wait_for(lambda: bridge.read_status().get("state") == "live", "the bridge to be live", log=bridge)
    sent = [
        (f"city.fleet.cm-{i}", json.dumps({"pos": gcj(113.312 + i * 0.001, 23.12)}).encode())
        for i in range(4)
    ]
    asyncio.run(publish_nats(nats_server.port, sent))
    wait_for(lambda: bridge.read_status().get("published") == 4, "4 records published", log=bridge)
    feed = open_site_feed(load_site(site_path))
    feed.subscriber.snapshot_timeout_s = 1.0  # the site's own feed server is not running in this test
    feed.start()
    try:
        assert feed.subscriber.snapshot_records == 4
        feed.pump.apply_pending(time.time())
        assert sorted(feed.pump.entities.ids) == [f"cm-{i}" for i in range(4)]
    finally:
        feed.stop()


def test_creds_files_in_operator_mode_log_in_and_a_stranger_is_refused(tmp_path: Path) -> None:
    """The deployment case: a server in operator (JWT) mode; each machine holds a .creds file."""
    from tests.bridges.nats_creds import Operator, stranger

    operator = Operator()
    port = free_port()
    conf = tmp_path / "nats.conf"
    conf.write_text(operator.server_conf(port, tmp_path / "js"))
    server = Server([need_binary("nats-server"), "-c", str(conf)], port, tmp_path / "nats.log").start()
    try:
        url = f"nats://127.0.0.1:{port}"
        feed = NatsFeedConfig(url=url, credentials_file=operator.user_creds(tmp_path / "sim.creds", "sim"))
        wall = NatsFeedConfig(
            url=url, credentials_file=operator.user_creds(tmp_path / "wall.creds", "wall-07")
        )
        with NatsFeedPublisher(feed, source="sim") as pub:
            pub.positions([Position(f"b{i}", "bus", 113.312, 23.12, 0.0, 0.0, "normal") for i in range(4)])
            pub.flush()
            from controlroom.core.feed_stats import FeedStats
            from controlroom.feed.buffer import CoalescingBuffer
            from controlroom.feed.ingest import Ingestor
            from controlroom.feed.validate import Extent

            stats = FeedStats()
            sub = NatsFeedSubscriber(wall, Ingestor(CoalescingBuffer(), stats, Extent.from_bbox(LAB))).start()
            assert sub.snapshot_records == 4 and sub.state == "live"
            sub.stop()
            # named as the .creds file's user: its JWT's name and public nkey
            assert re.fullmatch(r"sim \(U[A-Z0-9]{55}\)", pub.login), pub.login
            assert re.fullmatch(r"logged in as wall-07 \(U[A-Z0-9]{55}\)", stats.link_detail), (
                stats.link_detail
            )
        key, pub_key = stranger()
        forged = NatsFeedConfig(
            url=url, credentials_file=operator.user_creds(tmp_path / "forged.creds", "x", key, pub_key)
        )
        with pytest.raises(NatsFeedError, match="refused the login"):
            NatsFeedPublisher(forged, source="sim")
    finally:
        server.stop()


@pytest.mark.slow  # two CLI processes
def test_feed_commands_name_an_unreachable_broker_in_one_line(tmp_path: Path, shared_data: Path) -> None:
    site_path = write_huacheng_site(tmp_path, shared_data)
    text = site_path.read_text().replace("[feed]\n", '[feed]\ntransport = "nats"\n')
    site_path.write_text(text + f'\n[feed.nats]\nurl = "nats://127.0.0.1:{free_port()}"\n')
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for args in (["feed", "sim", "--entities", "5"], ["feed", "stats", "--seconds", "1"]):
        done = subprocess.run(
            [sys.executable, "-m", "controlroom", *args, "--site", str(site_path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert "error: cannot reach the NATS server at nats://127.0.0.1:" in done.stderr
        assert "Traceback" not in done.stderr
