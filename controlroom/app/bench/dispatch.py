"""``controlroom bench dispatch``: orders per second through a real gateway process, click →
acknowledged latency, and the crash test (``kill -9`` mid-stream, restart) counted as lost and
duplicated orders — both must be 0."""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np


def _spawn(site: Path, db: Path, eps: tuple[str, str, str]) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    cmd = [sys.executable, "-m", "controlroom", "gateway", "--site", str(site), "--db", str(db), "--no-feed",
           "--endpoint", eps[0], "--publish-endpoint", eps[1], "--snapshot-endpoint", eps[2]]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if sel.select(0.2):
                line = proc.stdout.readline()
                if line:
                    return proc, json.loads(line)
    proc.kill()
    raise RuntimeError("the gateway did not start (run 'controlroom gateway' by hand to see why)")


def _stop(proc: subprocess.Popen[bytes], kill9: bool = False) -> None:
    if proc.poll() is None:
        if kill9:
            os.kill(proc.pid, signal.SIGKILL)
        else:
            proc.terminate()
        proc.wait(10)
    if proc.stdout:
        proc.stdout.close()


def bench_dispatch(orders: int = 5000, clicks: int = 300, crash_orders: int = 1000) -> dict[str, Any]:
    from controlroom.app.sample_site import demo_site
    from controlroom.dispatch.client import DispatchClient, DispatchListener
    from controlroom.dispatch.outbox import OrderEntry, Outbox

    site = demo_site()
    work = Path(tempfile.mkdtemp(prefix="cr-bench-", dir="/tmp"))
    tcp = ("tcp://127.0.0.1:0",) * 3
    try:
        # ---- throughput and click latency
        proc, ready = _spawn(site, work / "gw.sqlite", tcp)
        answered = threading.Event()

        class Wake(DispatchListener):
            def on_order(self, entry: OrderEntry) -> None:
                answered.set()

        client = DispatchClient(str(ready["endpoint"]), Outbox(work / "outbox.sqlite"), user="demo-operator",
                                desk="bench", listener=Wake()).start()  # fmt: skip
        try:
            client.order("create", incident_id="B-1", type="road_damage", severity=2, lon=113.33, lat=23.09)
            client.wait_settled(10)
            from controlroom.core.dispatch_model import Command
            from controlroom.dispatch.client import new_command_id

            cmds = [Command(new_command_id(), "comment", "B-1", text=f"bulk {i}") for i in range(orders)]
            t0 = time.perf_counter()
            client.outbox.add_many(cmds)
            client._wake()
            settled = client.wait_settled(120)
            orders_s = orders / (time.perf_counter() - t0)
            lat_ms = []
            for i in range(clicks):
                answered.clear()
                t = time.perf_counter()
                client.order("comment", incident_id="B-1", text=f"click {i}")
                answered.wait(5)
                lat_ms.append((time.perf_counter() - t) * 1000)
        finally:
            client.close()
            _stop(proc)
        lost, duplicated, killed_at = _crash(site, work, crash_orders)
        return {
            "orders": orders,
            "orders_s": round(orders_s, 1),
            "settled": settled,
            "clicks": clicks,
            "ack_ms_p50": round(float(np.percentile(lat_ms, 50)), 2),
            "ack_ms_p99": round(float(np.percentile(lat_ms, 99)), 2),
            "crash_orders": crash_orders,
            "crash_killed_after": killed_at,
            "lost": lost,
            "duplicated": duplicated,
            "store": "sqlite WAL synchronous=FULL",
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _crash(site: Path, work: Path, n: int) -> tuple[int, int, int]:
    """kill -9 the gateway a third of the way through ``n`` orders, restart it, count."""
    from controlroom.dispatch.client import DispatchClient
    from controlroom.dispatch.outbox import Outbox

    eps = (f"ipc://{work}/r", f"ipc://{work}/p", f"ipc://{work}/s")
    db = work / "crash.sqlite"
    proc, _ = _spawn(site, db, eps)
    client = DispatchClient(eps[0], Outbox(work / "crash-outbox.sqlite"), user="demo-operator", desk="bench",
                            retry_s=0.5).start()  # fmt: skip
    killed_at = -1
    restarted = None
    try:
        client.order("create", incident_id="C-1", type="road_damage", severity=2, lon=113.33, lat=23.09)
        client.wait_settled(10)
        for i in range(n):
            client.order("comment", incident_id="C-1", text=f"order {i}")
            if killed_at < 0 and client.outbox.counts()["acknowledged"] >= 1 + n // 3:
                _stop(proc, kill9=True)
                killed_at = i
        restarted, _ = _spawn(site, db, eps)
        client.wait_settled(120)
    finally:
        client.close()
        _stop(proc)
        if restarted is not None:
            _stop(restarted)
    con = sqlite3.connect(db)
    texts = Counter(
        r[0] for r in con.execute("SELECT json_extract(detail, '$.text') FROM audit WHERE kind = 'comment'")
    )
    con.close()
    lost = sum(1 for i in range(n) if texts[f"order {i}"] == 0)
    duplicated = sum(texts[f"order {i}"] - 1 for i in range(n) if texts[f"order {i}"] > 1)
    return lost, duplicated, killed_at


def register_bench(bench_sub: Any, print_result: Any) -> None:
    """Add ``bench dispatch`` (called from cmd_bench)."""

    def run(args: Any) -> int:
        print_result(bench_dispatch(args.orders, args.clicks, args.crash_orders), args.json)
        return 0

    p = bench_sub.add_parser(
        "dispatch", help="orders/s through the gateway, ack latency, crash: lost/duplicated"
    )
    p.add_argument("--orders", type=int, default=5000, help="orders for the throughput run (default 5000)")
    p.add_argument(
        "--clicks", type=int, default=300, help="single orders timed click → acknowledged (default 300)"
    )
    p.add_argument("--crash-orders", type=int, default=1000, help="orders in the kill -9 run (default 1000)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=run)
