"""Feed benchmark parts (a) and (b): how close our pipeline gets to raw pyzmq, and its latency.

(a) The same pre-encoded position messages are sent by a publisher *process* (as in a real
room, where the feed is another process): to a plain ``recv()`` loop (``raw_msgs_s``), and to
our pipeline (subscriber thread: receive + decode + validate + coalesce; main thread: the app's
pump, ``PUMP_HZ``, applying to the models). Both are timed from the publisher's first send to the last message
received / applied, with lossless high-water marks, and every message is accounted for:
``lost = sent - (applied + skipped + rejected)``. A message is one ZeroMQ frame holding a
position batch of ``records_per_msg`` records (default 1: 92 bytes, 10,000 entity ids cycling),
the size where per-message costs dominate; bigger batches favour the raw loop further, since it
does nothing per record. Both sides use the same SUB options (RCVHWM 0, subscribe to all).
The live raw loop keeps pace with the publisher, so ``raw_msgs_s`` is the publisher's speed more
than pyzmq's; ``raw_drain_msgs_s`` times the same loop on a queue filled beforehand, the
ceiling of pyzmq itself, and ``ratio_vs_drain`` compares the pipeline with that.

(b) The publisher sends 10,000 entities at 10 Hz in 100-record batches stamped with the publish
time, the batches spread evenly over each 100 ms (GPS units do not report in step), so they land
at every phase of the pump's clock; the pump, at the app's rate (``PUMP_HZ``), measures now -
publish time for every update it applies.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from controlroom.feed.pump import PUMP_HZ

TICK_S = 1 / PUMP_HZ  # the app's pump rate (qt.live uses the same constant)
_BBOX = (113.30, 23.10, 113.34, 23.14)


def _frames(n: int, per_msg: int, source: str) -> list[bytes]:
    from controlroom.core.protocol import SCHEMA_VERSION, Position, PositionBatch
    from controlroom.feed.codec import encode

    rng = np.random.default_rng(7)
    lon = rng.uniform(113.305, 113.335, 10_000)
    lat = rng.uniform(23.105, 23.135, 10_000)
    recs = [Position(f"veh-{i}", "taxi", float(lon[i]), float(lat[i]), 90.0, 8.0) for i in range(10_000)]
    now = time.time()
    out = []
    for m in range(n):
        base = m * per_msg
        batch = [recs[(base + j) % 10_000] for j in range(per_msg)]
        out.append(encode(PositionBatch(SCHEMA_VERSION, source, m + 1, now, batch)))
    return out


def _publisher_main(conn: Connection) -> None:
    """Child process: an XPUB (so it knows when the subscriber has joined) serving commands."""
    import zmq

    from controlroom.core.protocol import SCHEMA_VERSION, Position, PositionBatch
    from controlroom.feed.codec import encode

    ctx = zmq.Context()
    pub = ctx.socket(zmq.XPUB)
    pub.setsockopt(zmq.SNDHWM, 0)
    pub.setsockopt(zmq.LINGER, 2000)
    pub.setsockopt(zmq.XPUB_VERBOSE, 1)
    pub.bind("tcp://127.0.0.1:*")
    conn.send(pub.getsockopt_string(zmq.LAST_ENDPOINT))
    frames: list[bytes] = []
    while True:
        cmd, arg = conn.recv()
        if cmd == "quit":
            break
        if cmd == "frames":
            frames = _frames(*arg)
            conn.send("ready")
            continue
        joined = False
        while pub.poll(10_000):  # wait for the subscriber's subscribe (not an old unsubscribe)
            if pub.recv()[:1] == b"\x01":
                joined = True
                break
        if not joined:
            conn.send(("error", 0.0, 0))
            continue
        time.sleep(0.05)
        if cmd == "burst":
            t0 = time.time()
            send = pub.send
            for f in frames:
                send(f)
            conn.send(("sent", t0, len(frames)))
        elif cmd == "paced":
            entities, hz, seconds = arg
            rng = np.random.default_rng(3)
            lon = rng.uniform(113.305, 113.335, entities)
            lat = rng.uniform(23.105, 23.135, entities)
            seq = 0
            t0 = time.time()
            ticks = int(seconds * hz)
            starts = range(0, entities, 100)
            for k in range(ticks):
                lon += 1e-6
                for j, b in enumerate(starts):  # spread over the period, as unsynchronised units
                    delay = t0 + (k + j / len(starts)) / hz - time.time()
                    if delay > 0:
                        time.sleep(delay)
                    seq += 1
                    recs = [
                        Position(f"veh-{i}", "taxi", float(lon[i]), float(lat[i]), 90.0, 8.0)
                        for i in range(b, min(b + 100, entities))
                    ]
                    pub.send(encode(PositionBatch(SCHEMA_VERSION, "lat", seq, time.time(), recs)))
            conn.send(("sent", t0, seq))
    pub.close()
    ctx.term()


def _raw_loop(endpoint: str, conn: Connection, n: int, *, queued: bool) -> float:
    """Messages/s of a plain recv loop: on the live burst (from the publisher's first send to the
    last message received), or, ``queued``, on messages already in the SUB's queue (pyzmq alone)."""
    import zmq

    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.RCVHWM, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(endpoint)
    conn.send(("burst", None))
    if queued:
        conn.recv()  # everything sent
        time.sleep(0.5)  # and over loopback into the SUB's queue
    recv = sub.recv
    start = time.perf_counter()
    for _ in range(n):
        recv()
    t_end, elapsed = time.time(), time.perf_counter() - start
    if not queued:
        _, t0, sent = conn.recv()
        elapsed, n = t_end - t0, sent
    sub.close(0)
    ctx.term()
    return n / elapsed


def _pipeline(endpoint: str, conn: Connection, n: int, extent: Any) -> tuple[float, int, dict[str, Any]]:
    from controlroom.core.feed_stats import MESSAGE_REASONS, FeedStats
    from controlroom.feed.buffer import CoalescingBuffer
    from controlroom.feed.ingest import Ingestor
    from controlroom.feed.pump import FeedPump
    from controlroom.feed.subscriber import FeedSubscriber

    stats = FeedStats()
    buffer = CoalescingBuffer()
    pump = FeedPump(buffer, stats)
    sub = FeedSubscriber(endpoint, Ingestor(buffer, stats, extent)).start()
    conn.send(("burst", None))
    cpu0 = time.thread_time()
    deadline = time.monotonic() + 60
    next_tick = time.monotonic()
    while time.monotonic() < deadline:
        next_tick += TICK_S
        time.sleep(max(0.0, next_tick - time.monotonic()))
        pump.apply_pending(time.time())
        if stats.received >= n and not len(buffer):
            break
    t_end = time.time()
    pump_cpu = time.thread_time() - cpu0
    _, t0, sent = conn.recv()
    sub.stop()
    snap = stats.snapshot(time.time())
    snap["cpu_us_per_msg"] = {"feed_thread": sub.cpu_s / sent * 1e6, "pump": pump_cpu / sent * 1e6}
    rejected = snap["rejected"]
    assert isinstance(rejected, dict)
    accounted = int(snap["applied"]) + int(snap["skipped"]) + sum(rejected.get(r, 0) for r in MESSAGE_REASONS)  # type: ignore[call-overload]
    return sent / (t_end - t0), sent - accounted, snap


def _latency(
    endpoint: str, conn: Connection, entities: int, hz: float, seconds: float, extent: Any
) -> np.ndarray:
    from controlroom.core.feed_stats import FeedStats
    from controlroom.feed.buffer import CoalescingBuffer
    from controlroom.feed.ingest import Ingestor
    from controlroom.feed.pump import FeedPump
    from controlroom.feed.subscriber import FeedSubscriber

    stats = FeedStats()
    buffer = CoalescingBuffer()
    pump = FeedPump(buffer, stats)
    sub = FeedSubscriber(endpoint, Ingestor(buffer, stats, extent)).start()
    conn.send(("paced", (entities, hz, seconds)))
    lat: list[np.ndarray] = []
    end = time.monotonic() + seconds + 5
    next_tick = time.monotonic()
    while time.monotonic() < end:
        next_tick += TICK_S
        time.sleep(max(0.0, next_tick - time.monotonic()))
        change = pump.apply_pending(time.time())
        if change.position_ts.size:
            lat.append(time.time() - change.position_ts)
        if conn.poll() and not len(buffer) and stats.received >= 0:
            _, _, sent = conn.recv()
            if stats.received >= sent:
                break
            end = min(end, time.monotonic() + 2)
    sub.stop()
    return np.concatenate(lat) if lat else np.zeros(0)


def bench_feed(
    messages: int = 200_000,
    records_per_msg: int = 1,
    entities: int = 10_000,
    hz: float = 10.0,
    seconds: float = 4.0,
    rounds: int = 2,
) -> dict[str, float | int]:
    """Run (a) and (b); returns raw_msgs_s, pipeline_msgs_s, ratio, lost, latency_ms_p50/p99."""
    from controlroom.feed.validate import Extent

    extent = Extent.from_bbox(_BBOX)
    mpc = mp.get_context("spawn")
    parent, child = mpc.Pipe()
    proc = mpc.Process(target=_publisher_main, args=(child,), name="bench-feed-publisher", daemon=True)
    proc.start()
    try:
        endpoint = parent.recv()
        parent.send(("frames", (messages, records_per_msg, "bench")))
        parent.recv()
        raw: list[float] = []
        drain: list[float] = []
        pipe: list[float] = []
        lost = 0
        snap: dict[str, Any] = {}
        for _ in range(rounds):
            raw.append(_raw_loop(endpoint, parent, messages, queued=False))
            drain.append(_raw_loop(endpoint, parent, messages, queued=True))
            rate, missing, snap = _pipeline(endpoint, parent, messages, extent)
            pipe.append(rate)
            lost += missing
        latencies = _latency(endpoint, parent, entities, hz, seconds, extent) * 1000.0
        parent.send(("quit", None))
    finally:
        proc.join(5)
        if proc.is_alive():
            proc.kill()
    raw_best, pipe_best = max(raw), max(pipe)
    return {
        "raw_msgs_s": round(raw_best),
        "pipeline_msgs_s": round(pipe_best),
        "ratio": round(pipe_best / raw_best, 3),
        # the same recv loop on a pre-filled queue: pyzmq's own ceiling, above any publisher's pace
        "raw_drain_msgs_s": round(max(drain)),
        "ratio_vs_drain": round(pipe_best / max(drain), 3),
        "lost": int(lost),
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 1) if latencies.size else -1.0,
        "latency_ms_p99": round(float(np.percentile(latencies, 99)), 1) if latencies.size else -1.0,
        "records_per_msg": records_per_msg,
        "messages": messages,
        "latency_samples": int(latencies.size),
        "coalesced": int(snap.get("coalesced", 0)),
        # where the time goes (last round): wall time per message of the raw loop vs CPU time
        # per message of the pipeline's two threads (they share one GIL, so these add up)
        "raw_us_per_msg": round(1e6 / raw_best, 2),
        **{f"{k}_cpu_us_per_msg": round(v, 2) for k, v in snap.get("cpu_us_per_msg", {}).items()},
        **_frame_part(),
    }


def _frame_part() -> dict[str, float | int]:
    """(c) frame_ratio_50k: the sample site with 50,000 live entities vs static (frame.py)."""
    from controlroom.app.bench.frame import bench_frame

    return bench_frame()


if __name__ == "__main__":
    import json

    print(json.dumps(bench_feed(), indent=2))
