"""``kill -9`` of the gateway in the middle of 1,000 orders: after a restart every order is
applied exactly once (the outbox resends; the command id makes a resend harmless)."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

from controlroom.dispatch.client import DispatchClient
from controlroom.dispatch.outbox import Outbox

from .conftest import start_gateway

N = 1000


def test_kill_9_mid_stream_then_restart_applies_every_order_once(
    sample_site: Path, tmp_path: Path, ipc_endpoints: tuple[str, str, str]
) -> None:
    eps = ipc_endpoints
    db = tmp_path / "gateway.sqlite"
    g = start_gateway(sample_site, db, endpoints=eps)
    client = DispatchClient(
        eps[0], Outbox(tmp_path / "outbox.sqlite"), user="demo-operator", desk="desk-1", retry_s=0.5
    ).start()
    restarted = None
    try:
        client.order("create", incident_id="INC-K", type="road_damage", severity=2, lon=113.33, lat=23.09)
        assert client.wait_settled(10)
        killed_at = None
        for i in range(N):
            client.order("comment", incident_id="INC-K", text=f"order {i}")
            if killed_at is None and client.outbox.counts()["acknowledged"] >= 1 + N // 3:
                g.kill9()  # mid-stream: some orders answered, some in flight, some not yet sent
                killed_at = i
        assert killed_at is not None and killed_at < N - 1, "the gateway was never killed mid-stream"
        pending_at_restart = client.outbox.counts()["pending"]
        restarted = start_gateway(sample_site, db, endpoints=eps)
        assert client.wait_settled(60), client.outbox.counts()
        counts = client.outbox.counts()
    finally:
        client.close()
        g.stop()
        if restarted is not None:
            restarted.stop()
    assert pending_at_restart > 0
    assert counts == {"pending": 0, "acknowledged": N + 1, "refused": 0, "retried": 0, "dropped": 0}
    con = sqlite3.connect(db)
    texts = Counter(
        r[0] for r in con.execute("SELECT json_extract(detail, '$.text') FROM audit WHERE kind = 'comment'")
    )
    commands = con.execute("SELECT COUNT(*) FROM commands").fetchone()[0]
    con.close()
    lost = [i for i in range(N) if texts[f"order {i}"] == 0]
    duplicated = [i for i in range(N) if texts[f"order {i}"] > 1]
    assert (lost, duplicated) == ([], [])
    assert sum(texts.values()) == N and commands == N + 1
