"""Every background thread is a named ServiceThread, and one call at shut-down joins them all."""

from __future__ import annotations

import threading
from pathlib import Path

import zmq

from controlroom.dispatch.client import DispatchClient
from controlroom.dispatch.outbox import Outbox
from controlroom.feed.clone import SnapshotServer, StateCache
from controlroom.feed.service_thread import running_service_threads, stop_all_service_threads


def test_shutdown_stops_and_joins_the_dispatch_client_and_the_snapshot_server(tmp_path: Path) -> None:
    ctx = zmq.Context()
    client = DispatchClient("tcp://127.0.0.1:9", Outbox(tmp_path / "outbox.sqlite"), retry_s=0.2)
    server = SnapshotServer(ctx, "tcp://127.0.0.1:*", StateCache(), "test")
    try:
        client.start()
        server.start()
        names = {t.name for t in running_service_threads()}
        assert {"dispatch-client", "feed-snapshot-server"} <= names
        assert {"dispatch-client", "feed-snapshot-server"} <= {t.name for t in threading.enumerate()}
        assert stop_all_service_threads(timeout_s=5.0) == []
        assert not client.running and not server.running
        assert not {"dispatch-client", "feed-snapshot-server"} & {t.name for t in threading.enumerate()}
    finally:
        client.close()
        server.stop()
        ctx.term()


def test_shutdown_stops_and_joins_the_clip_server_and_the_feed_subscriber(tmp_path: Path) -> None:
    from controlroom.app.video_server import ClipServer
    from controlroom.core.feed_stats import FeedStats
    from controlroom.feed.buffer import CoalescingBuffer
    from controlroom.feed.ingest import Ingestor
    from controlroom.feed.subscriber import FeedSubscriber

    server = ClipServer({"cam-1": "Gate"}, tmp_path / "clips").start_in_thread()
    subscriber = FeedSubscriber("tcp://127.0.0.1:9", Ingestor(CoalescingBuffer(), FeedStats()))
    try:
        subscriber.start()
        names = {t.name for t in running_service_threads()}
        assert {"clip-server", "feed-subscriber"} <= names
        assert stop_all_service_threads(timeout_s=5.0) == []
        assert not {"clip-server", "feed-subscriber"} & {t.name for t in threading.enumerate()}
    finally:
        subscriber.stop()
        server.close()
