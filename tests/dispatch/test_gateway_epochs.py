"""The gateway's publish stream carries publisher epochs: a gateway SIGKILLed and restarted on the
same endpoints is recognised by a wall at its first frame, and its stream applied at once (issue 16)."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from controlroom.core.feed_stats import FeedStats
from controlroom.feed.buffer import CoalescingBuffer
from controlroom.feed.ingest import Ingestor
from controlroom.feed.subscriber import FeedSubscriber

from .conftest import start_gateway


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(predicate, timeout_s: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_a_restarted_gateway_is_a_new_run_on_the_wall(sample_site: Path, tmp_path: Path) -> None:
    eps = tuple(f"tcp://127.0.0.1:{_free_port()}" for _ in range(3))
    db = tmp_path / "gateway.sqlite"
    stats = FeedStats()
    wall = FeedSubscriber(eps[1], Ingestor(CoalescingBuffer(), stats)).start()
    first = start_gateway(sample_site, db, endpoints=eps)  # type: ignore[arg-type]
    second = None
    try:
        assert _wait(lambda: "gateway" in stats.sources and stats.applied > 0), "no gateway heartbeat"
        run = stats.sources["gateway"].epoch
        assert run, "the gateway's frames carry its run id"
        first.kill9()
        applied = stats.applied
        second = start_gateway(sample_site, db, endpoints=eps)  # type: ignore[arg-type]
        assert _wait(lambda: stats.sources["gateway"].epoch != run), "the new run was never seen"
        assert _wait(lambda: stats.applied > applied)
        src = stats.sources["gateway"]
        assert src.restarts == 1 and src.duplicates == 0 and not stats.rejected
    finally:
        wall.stop()
        first.stop()
        if second is not None:
            second.stop()
