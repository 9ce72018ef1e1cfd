"""``controlroom bench faults``: does the wall stay truthful when publishers die and frames are hostile?

Real processes, real sockets:

* **restart series**: a real ``controlroom feed sim`` process is SIGKILLed and a new one started,
  (the test suite uses this module's minimal publisher process, which starts faster)
  ``restarts`` times, while a subscriber in this process applies what it accepts. Each new run
  must be recognised (``restarts_recognised``) and its data applied to the models quickly; the
  time from the new run's first frame arriving to its positions being in the entity store is
  ``reapply_s`` (worst: ``reapply_s_max``). Before publisher epochs a restarted simulator's data
  was refused as duplicates until its numbers passed the old run's.
* **big frame**: a ``controlroom feed stats`` process subscribes, a 256 MB frame is published to
  it, then ordinary frames; ``peak_rss_mb_bigframe`` is that process's peak resident memory (it
  stays near ``rss_mb_before_bigframe`` because ZeroMQ refuses the frame before reading it).
* **order faults**: 20 SIGKILLs of the dispatch gateway and 4 of a desk while desks order at
  40/s (``bench_order_faults.measure_order_faults``): ``orders_lost``, ``orders_duplicated``,
  ``orders_out_of_order``, ``orders_refused_extra``, ``incidents_wrong_state``.

The test suite runs the same series (tests/feed/test_faults.py) with its pass criteria.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: A restarted publisher's data must be on the wall this soon after its first frame arrives.
REAPPLY_BUDGET_S = 2.0
BIG_FRAME_BYTES = 256 * 1024 * 1024


@dataclass
class RestartSeries:
    """What a publisher kill/restart series showed."""

    restarts: int
    restarts_recognised: int = 0
    #: Per restart: seconds from the new run's first frame to its data in the models (None: never).
    reapply_s: list[float | None] = field(default_factory=list)
    rejected: dict[str, int] = field(default_factory=dict)
    received: int = 0
    applied: int = 0

    @property
    def reapply_s_max(self) -> float | None:
        if not self.reapply_s or any(r is None for r in self.reapply_s):
            return None
        return max(r for r in self.reapply_s if r is not None)


def free_tcp_endpoint() -> str:
    """A loopback endpoint on a port free right now (a publisher restarted on it binds it again)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"


def start_publisher(site: Path | None, endpoint: str) -> subprocess.Popen[bytes]:
    """A real publisher process on ``endpoint``: ``controlroom feed sim`` driving 50 vehicles at
    10 Hz on ``site``'s roads, or without a site this module's own minimal publisher (the same
    ``FeedPublisher``, started in a third of the time, so the test suite can afford 20 restarts)."""
    if site is None:
        cmd = [sys.executable, "-m", "controlroom.app.bench.faults", "--publish", endpoint]
    else:
        cmd = [sys.executable, "-m", "controlroom", "feed", "sim", "--site", str(site)]
        cmd += ["--endpoint", endpoint, "--snapshot-endpoint", "tcp://127.0.0.1:*"]
        cmd += ["--entities", "50", "--hz", "10"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def publish_forever(endpoint: str, vehicles: int = 50, hz: float = 10.0) -> None:
    """The minimal publisher: ``vehicles`` buses creeping east, a batch every 1/``hz`` s, until killed."""
    from controlroom.core.protocol import Position
    from controlroom.feed.publisher import FeedPublisher

    publisher = FeedPublisher(endpoint, source="sim")
    step = 0
    while True:
        step += 1
        x = 113.3157 + step * 1e-6
        publisher.positions([Position(f"BUS{i:03d}", "bus", x, 23.12 + i * 1e-4) for i in range(vehicles)])
        if step % int(hz) == 0:
            publisher.heartbeat(hz, vehicles)
        time.sleep(1.0 / hz)


def kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL: no goodbye, no flush; the way a crashed or power-cut publisher goes."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(30)


def publisher_restart_series(
    site: Path | None, restarts: int = 20, *, run_s: float = 0.2, start_timeout_s: float = 30.0
) -> RestartSeries:
    """Start a publisher (``start_publisher``), then ``restarts`` times SIGKILL it and start a new
    one on the same port.

    Each run is watched until its data is in the entity store (or ``start_timeout_s`` passes),
    then kept ``run_s`` longer so later frames of the run are judged too.
    """
    from controlroom.core.feed_stats import FeedStats
    from controlroom.feed.buffer import CoalescingBuffer
    from controlroom.feed.ingest import Ingestor
    from controlroom.feed.pump import FeedPump
    from controlroom.feed.subscriber import FeedSubscriber

    endpoint = free_tcp_endpoint()
    stats = FeedStats()
    buffer = CoalescingBuffer()
    subscriber = FeedSubscriber(endpoint, Ingestor(buffer, stats), poll_ms=10).start()
    pump = FeedPump(buffer, stats, expire=False)
    result = RestartSeries(restarts=restarts)
    previous: int | None = None
    try:
        for run in range(restarts + 1):
            proc = start_publisher(site, endpoint)
            try:
                epoch, reapply = _watch_new_run(pump, stats, previous, start_timeout_s)
                if run > 0:
                    result.reapply_s.append(reapply)
                if epoch is not None:
                    previous = epoch
                    end = time.monotonic() + run_s
                    while time.monotonic() < end:
                        pump.apply_pending(time.time())
                        time.sleep(0.01)
            finally:
                kill(proc)
    finally:
        subscriber.stop()
    pump.apply_pending(time.time())
    snap = stats.snapshot(time.time())
    sim = stats.sources.get("sim")
    result.restarts_recognised = sim.restarts if sim else 0
    result.rejected = dict(snap["rejected"])  # type: ignore[call-overload]
    result.received = int(snap["received"])  # type: ignore[call-overload]
    result.applied = int(snap["applied"])  # type: ignore[call-overload]
    return result


def _watch_new_run(
    pump: Any, stats: Any, previous: int | None, timeout_s: float
) -> tuple[int | None, float | None]:
    """Pump until a run other than ``previous`` has positions in the store: (its epoch, seconds
    from its first frame to that), or (None, None) when it never does within ``timeout_s``."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        now = time.time()
        pump.apply_pending(now)
        src = stats.sources.get("sim")
        if src is not None and src.epoch not in (None, previous) and src.run_heard:
            entities = pump.entities
            if len(entities) and float(entities.last_seen.max()) >= src.run_heard:
                return src.epoch, max(0.0, now - src.run_heard)
        time.sleep(0.01)
    return None, None


def _status_mb(pid: int, field: str) -> float:
    """A memory figure of a live process from /proc (``VmRSS``: now, ``VmHWM``: its peak).

    Not ``wait4``'s ``ru_maxrss``: Linux carries the parent's peak into a child across
    fork/vfork + exec, so a child of a big test process would report the parent's peak.
    """
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def bigframe_peak_rss(size: int = BIG_FRAME_BYTES, timeout_s: float = 60.0) -> dict[str, Any]:
    """Publish one ``size``-byte frame, then ordinary ones, to a real ``feed stats`` process.

    Returns its resident memory before the frame, its peak (``VmHWM``) after the frame and a
    second of ordinary frames, and what it applied afterwards (it must go on applying: the
    frame costs a reconnect, nothing more).
    """
    import zmq

    from controlroom.core.protocol import SCHEMA_VERSION, Position, PositionBatch, new_epoch
    from controlroom.feed.codec import encode

    ctx = zmq.Context()
    pub = ctx.socket(zmq.XPUB)  # an XPUB sees (re)subscriptions: we know when the subscriber is there
    pub.setsockopt(zmq.XPUB_VERBOSE, 1)
    pub.setsockopt(zmq.LINGER, 0)
    pub.bind("tcp://127.0.0.1:*")
    endpoint = pub.getsockopt_string(zmq.LAST_ENDPOINT)
    cmd = [sys.executable, "-m", "controlroom", "feed", "stats", "--endpoint", endpoint]
    proc = subprocess.Popen(
        [*cmd, "--seconds", "600", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    epoch, seq = new_epoch(), 0

    def frame() -> bytes:
        nonlocal seq
        seq += 1
        rec = Position(f"BUS{seq % 10}", "bus", 113.3 + seq * 1e-5, 23.1, 0.0, 5.0)
        return encode(PositionBatch(SCHEMA_VERSION, "bench", seq, time.time(), [rec], epoch=epoch))

    def subscribed(wait_s: float) -> bool:
        """Wait for a subscription (skipping the unsubscription a dropped connection sends)."""
        end = time.monotonic() + wait_s
        while pub.poll(max(1, int((end - time.monotonic()) * 1000))):
            if pub.recv()[:1] == b"\x01":
                return True
        return False

    try:
        if not subscribed(timeout_s):
            raise RuntimeError("the feed stats process never subscribed")
        rss_before = _status_mb(proc.pid, "VmRSS")
        big = b"pos|" + bytes(size - 4)
        pub.send(big, copy=False)
        del big
        reconnected = subscribed(timeout_s)  # it dropped the connection with the frame, then came back
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            pub.send(frame())
            time.sleep(0.01)
        peak = _status_mb(proc.pid, "VmHWM")
        proc.send_signal(signal.SIGINT)  # feed stats prints its counters on Ctrl+C
        code, out, err = _finish(proc, timeout_s)
    finally:
        if proc.returncode is None:
            kill(proc)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None and not pipe.closed:
                pipe.close()
        pub.close(0)
        ctx.term()
    stats = json.loads(out or b"{}")
    return {
        "peak_rss_mb_bigframe": round(peak, 1),
        "rss_mb_before_bigframe": round(rss_before, 1),
        "bigframe_reconnected": reconnected,
        "applied_after_bigframe": int(stats.get("applied", 0)),
        "exit_code": code,
        "stderr": err.decode(errors="replace")[-500:],
    }


def _finish(proc: subprocess.Popen[bytes], timeout_s: float) -> tuple[int, bytes, bytes]:
    """Read a child's output to its end and reap it: (exit code, out, err); SIGKILL after ``timeout_s``."""
    assert proc.stdout is not None and proc.stderr is not None
    watchdog = threading.Timer(timeout_s, proc.send_signal, (signal.SIGKILL,))
    watchdog.start()
    try:
        out = proc.stdout.read()
        err = proc.stderr.read()
        code = proc.wait()
    finally:
        watchdog.cancel()
        watchdog.join()
    return code, out, err


def bench_faults(restarts: int = 20, site: Path | None = None) -> dict[str, Any]:
    """The figures issue 16 asks for, from real processes (see the module docstring); the
    publisher is ``feed sim`` on ``site`` (default: the sample site), as in the issue."""
    from controlroom.app.sample_site import demo_site

    series = publisher_restart_series(site or demo_site(), restarts)
    reapply_max = series.reapply_s_max
    result: dict[str, Any] = {
        "restarts": series.restarts,
        "restarts_recognised": series.restarts_recognised,
        "reapply_s_max": None if reapply_max is None else round(reapply_max, 3),
        "reapply_budget_s": REAPPLY_BUDGET_S,
        "restart_rejected": series.rejected,
    }
    big = bigframe_peak_rss()
    result["peak_rss_mb_bigframe"] = big["peak_rss_mb_bigframe"]
    result["rss_mb_before_bigframe"] = big["rss_mb_before_bigframe"]
    result["applied_after_bigframe"] = big["applied_after_bigframe"]
    from controlroom.app.bench.order_faults import measure_order_faults

    result.update(measure_order_faults())  # on the sample site: its users, units and boundaries
    return result


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="the restart series' minimal publisher")
    parser.add_argument("--publish", required=True, metavar="ENDPOINT")
    publish_forever(parser.parse_args().publish)
