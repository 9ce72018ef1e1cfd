"""``controlroom bench sources``: our MQTT and NATS bridges against each broker's own client.

Real servers (mosquitto, nats-server) are started on free loopback ports in a temporary folder,
with a temporary site whose extent covers the benchmark's positions. For each broker, the same
publisher *process* sends the same pre-encoded JSON position messages (one entity per message,
10,000 ids cycling) to two consumers, each a separate process:

* the broker's own Python client in a bare loop that only counts (``mqtt_bare_msgs_s``,
  ``nats_bare_msgs_s``: paho-mqtt's network thread, nats-py's event loop);
* our bridge (``controlroom bridge``: decode, map, convert, extent check, publish our protocol)
  and on into our own subscriber and pump (``*_bridge_msgs_s``: records arrived, validated and
  applied at the app's side).

The consumer is stopped (SIGSTOP) while the messages are published and let go afterwards, so it
drains a full backlog at its own speed, whatever the publisher's pace; rates are timed from its
first to its last message. Rounds alternate bare and bridge and the best of each counts (a shared
machine's noise hits both); ``*_ratio`` is bridge / bare. ``*_lost`` counts messages that never
arrived (QoS 0 and core NATS may drop under overload by design). Then ``latency_ms_p50/p99``:
10,000 entities × 1 Hz through the MQTT bridge, spread evenly over each second, from the
publisher's send to the pump applying the update to the entity model (the app's ``PUMP_HZ``).
Last, columnar fleet frames socket → models against a plain recv loop (``bench_fleet``:
``fleet_records_s``, ``fleet_bare_records_s``, ``fleet_ratio``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from controlroom.app.commands.bridge import bridge_argv
from controlroom.feed.pump import PUMP_HZ

ENTITIES = 10_000
_BBOX = (113.30, 23.10, 113.34, 23.14)
_LON0, _LAT0 = 113.31, 23.11
_STEP = 1e-6  # lon advances this much per latency tick, so an update names the tick it was sent in


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 10.0) -> None:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{proc.args!r} did not listen on {port}")


def _binary(name: str) -> str:
    path = shutil.which(name) or (f"/usr/sbin/{name}" if os.path.exists(f"/usr/sbin/{name}") else None)
    if path is None:
        raise RuntimeError(f"{name} is not installed (Debian package '{name}', scripts/apt-packages.txt)")
    return path


def _start_brokers(folder: Path) -> tuple[list[subprocess.Popen[bytes]], int, int]:
    import pwd

    mqtt_port, nats_port = _free_port(), _free_port()
    conf = folder / "mosquitto.conf"
    conf.write_text(
        f"listener {mqtt_port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 0\nmax_queued_bytes 0\n"
        f"user {pwd.getpwuid(os.getuid()).pw_name}\n"
    )
    log = (folder / "brokers.log").open("ab")
    procs = [
        subprocess.Popen([_binary("mosquitto"), "-c", str(conf)], stdout=log, stderr=log),
        subprocess.Popen(
            [_binary("nats-server"), "-a", "127.0.0.1", "-p", str(nats_port)], stdout=log, stderr=log
        ),
    ]
    _wait_port(mqtt_port, procs[0])
    _wait_port(nats_port, procs[1])
    return procs, mqtt_port, nats_port


def _write_site(folder: Path, mqtt_port: int, nats_port: int) -> tuple[Path, int, int]:
    d = 0.0001
    x0, y0, x1, y1 = _BBOX

    def box(lon: float, lat: float) -> dict[str, Any]:
        ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
        return {
            "type": "Feature",
            "properties": {"height": 10},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }

    city = {"type": "FeatureCollection", "features": [box(x0, y0), box(x1 - d, y1 - d)]}
    (folder / "city.geojson").write_text(json.dumps(city))
    mqtt_out, nats_out = _free_port(), _free_port()
    maps = """
[[sources.map]]
match = "{match}"
record = "position"
fields = {{ id = "id", lon = "lon", lat = "lat" }}
static = {{ kind = "bus" }}
"""
    (folder / "site.toml").write_text(
        f"""schema = 1
[site]
name = "bench-sources"
title = "Bridge benchmark"
crs = "EPSG:32649"

[[city_model]]
path = "city.geojson"
crs = "EPSG:4326"
licence = "benchmark boxes"

[[sources]]
name = "mqtt"
kind = "mqtt"
url = "mqtt://127.0.0.1:{mqtt_port}"
publish = "tcp://127.0.0.1:{mqtt_out}"
{maps.format(match="bench/+")}
[[sources]]
name = "nats"
kind = "nats"
url = "nats://127.0.0.1:{nats_port}"
publish = "tcp://127.0.0.1:{nats_out}"
{maps.format(match="bench.*")}
""",
        encoding="utf-8",
    )
    return folder / "site.toml", mqtt_out, nats_out


def _payloads(n: int) -> list[tuple[int, bytes]]:
    rng = np.random.default_rng(11)
    lon = rng.uniform(_BBOX[0] + 0.005, _BBOX[2] - 0.005, ENTITIES)
    lat = rng.uniform(_BBOX[1] + 0.005, _BBOX[3] - 0.005, ENTITIES)
    return [
        (
            i % ENTITIES,
            json.dumps(
                {"id": f"e{i % ENTITIES}", "lon": lon[i % ENTITIES], "lat": lat[i % ENTITIES]}
            ).encode(),
        )
        for i in range(n)
    ]


# ---------------------------------------------------------------- publisher process


def _publisher_main(conn: Connection, kind: str, port: int) -> None:
    """Child process: publishes on command; answers with its first send time (and paced send times)."""
    if kind == "mqtt":
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-publisher")
        client.max_queued_messages_set(0)
        client.connect("127.0.0.1", port)
        client.loop_start()

        def send(topic: str, data: bytes) -> None:
            client.publish(topic, data)

        def flush() -> None:
            deadline = time.monotonic() + 60
            while client.want_write() and time.monotonic() < deadline:
                time.sleep(0.001)

        def close() -> None:
            client.disconnect()
            client.loop_stop()
    else:
        import nats

        loop = asyncio.new_event_loop()
        nc = loop.run_until_complete(nats.connect(f"nats://127.0.0.1:{port}", pending_size=64 * 1024 * 1024))
        pending: list[tuple[str, bytes]] = []

        def send(topic: str, data: bytes) -> None:  # queued, sent by flush() in one coroutine
            pending.append((topic.replace("/", "."), data))
            if len(pending) >= 1000:
                flush()

        async def _send_all(batch: list[tuple[str, bytes]]) -> None:
            for subject, data in batch:
                await nc.publish(subject, data)
            await nc.flush(timeout=60)

        def flush() -> None:
            batch = pending[:]
            pending.clear()
            loop.run_until_complete(_send_all(batch))

        def close() -> None:
            loop.run_until_complete(nc.close())
            loop.close()

    conn.send("ready")
    while True:
        cmd, arg = conn.recv()
        if cmd == "burst":
            n, prefix = arg  # "bench": the bridge's topics; "bare": the bare client's
            messages = _payloads(n)
            t0 = time.time()
            for i, data in messages:
                send(f"{prefix}/{i}", data)
            flush()
            conn.send((t0, time.time()))
        elif cmd == "paced":
            seconds = arg
            sent = np.zeros((seconds, ENTITIES))
            chunks = 100  # 10,000 entities per second in 100 chunks, one every 10 ms
            per = ENTITIES // chunks
            start = time.time() + 0.2
            rng = np.random.default_rng(3)
            lat = rng.uniform(_BBOX[1] + 0.005, _BBOX[3] - 0.005, ENTITIES)
            for tick in range(seconds):
                lon = _LON0 + (tick + 1) * _STEP
                for c in range(chunks):
                    due = start + tick + c / chunks
                    delay = due - time.time()
                    if delay > 0:
                        time.sleep(delay)
                    for i in range(c * per, (c + 1) * per):
                        sent[tick, i] = time.time()
                        send(
                            f"bench/{i}",
                            json.dumps({"id": f"e{i}", "lon": lon, "lat": float(lat[i])}).encode(),
                        )
                    if kind == "nats":
                        flush()
            flush()
            conn.send(sent)
        elif cmd == "quit":
            close()
            return


class _Publisher:
    def __init__(self, kind: str, port: int) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_publisher_main, args=(child, kind, port), daemon=True)
        self.proc.start()
        if not self.conn.poll(30):
            raise RuntimeError(f"the {kind} benchmark publisher did not start")
        self.conn.recv()

    def command(self, cmd: str, arg: Any, timeout_s: float = 120.0) -> Any:
        self.conn.send((cmd, arg))
        if not self.conn.poll(timeout_s):
            raise RuntimeError(f"the benchmark publisher did not finish '{cmd}' in {timeout_s:g} s")
        return self.conn.recv()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(("quit", None))
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()


# ---------------------------------------------------------------- the bare clients


class _Counter:
    def __init__(self) -> None:
        self.n = 0
        self.first = 0.0
        self.last = 0.0

    def hit(self) -> None:
        now = time.time()
        if not self.n:
            self.first = now
        self.n += 1
        self.last = now


def _bare_main(conn: Connection, kind: str, port: int, n: int) -> None:
    """Child process: the broker's own client, counting only; reports (count, first, last)."""
    counter = _Counter()
    if kind == "mqtt":
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        subscribed = threading.Event()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-bare")
        client.on_message = lambda c, u, m: counter.hit()
        client.on_subscribe = lambda *a: subscribed.set()
        client.on_connect = lambda c, *a: c.subscribe("bare/#")
        client.connect("127.0.0.1", port)
        client.loop_start()
        subscribed.wait(10)
    else:
        import nats

        ready = threading.Event()

        async def main() -> None:
            nc = await nats.connect(f"nats://127.0.0.1:{port}")

            async def on_message(msg: Any) -> None:
                counter.hit()

            await nc.subscribe("bare.>", cb=on_message, pending_msgs_limit=-1, pending_bytes_limit=-1)
            await nc.flush()
            ready.set()
            while True:
                await asyncio.sleep(0.05)

        threading.Thread(target=lambda: asyncio.run(main()), daemon=True).start()
        ready.wait(10)
    conn.send("ready")
    conn.recv()  # "go": the parent stopped us, published, and let us run again
    _wait_count(lambda: counter.n, n)
    conn.send((counter.n, counter.first, counter.last))


def _drain_rate(count: int, first: float, last: float) -> float:
    return (count - 1) / (last - first) if count > 1 and last > first else 0.0


def _paused(pid: int, publisher: _Publisher, n: int, prefix: str) -> None:
    """Publish ``n`` messages while process ``pid`` is stopped, so it then drains a full backlog."""
    os.kill(pid, signal.SIGSTOP)
    try:
        publisher.command("burst", (n, prefix))
        time.sleep(0.3)  # let the broker hand the last ones to the consumer's socket / queue
    finally:
        os.kill(pid, signal.SIGCONT)


def _bare(kind: str, port: int, publisher: _Publisher, n: int) -> tuple[float, int]:
    ctx = mp.get_context("spawn")
    conn, child = ctx.Pipe()
    proc = ctx.Process(target=_bare_main, args=(child, kind, port, n), daemon=True)
    proc.start()
    try:
        if not conn.poll(30):
            raise RuntimeError(f"the bare {kind} client did not start")
        conn.recv()
        assert proc.pid is not None
        _paused(proc.pid, publisher, n, "bare")
        conn.send("go")
        if not conn.poll(150):
            raise RuntimeError(f"the bare {kind} client did not finish")
        count, first, last = conn.recv()
        return _drain_rate(count, first, last), n - count
    finally:
        proc.kill()
        proc.join(5)


def _wait_count(count: Any, n: int, quiet_s: float = 3.0, limit_s: float = 120.0) -> None:
    """Until ``count() == n``, or nothing new for ``quiet_s`` (what is missing is lost)."""
    end = time.monotonic() + limit_s
    last, last_change = -1, time.monotonic()
    while time.monotonic() < end:
        c = count()
        if c >= n:
            return
        if c != last:
            last, last_change = c, time.monotonic()
        elif time.monotonic() - last_change > quiet_s:
            return
        time.sleep(0.002)


# ---------------------------------------------------------------- through our bridge


class _BridgeRun:
    """A bridge process and our own subscriber + pump on its endpoint."""

    def __init__(self, site: Path, source: str, endpoint: str, folder: Path) -> None:
        from controlroom.core.feed_stats import FeedStats
        from controlroom.feed.buffer import CoalescingBuffer
        from controlroom.feed.ingest import Ingestor
        from controlroom.feed.pump import FeedPump
        from controlroom.feed.subscriber import FeedSubscriber
        from controlroom.feed.validate import Extent

        env = {**os.environ, "CONTROLROOM_STATE_DIR": str(folder / "state")}
        self.log = folder / f"bridge-{source}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                bridge_argv(site, source),
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        self.stats = FeedStats()
        self.buffer = CoalescingBuffer()
        ingestor = Ingestor(self.buffer, self.stats, Extent.from_bbox(_BBOX))
        self.sub = FeedSubscriber(endpoint, ingestor).start()
        self.pump = FeedPump(self.buffer, self.stats)
        self.source = source
        end = time.monotonic() + 60
        while source not in self.stats.sources:
            if time.monotonic() > end or self.proc.poll() is not None:
                raise RuntimeError(f"bridge {source} did not come up: {self.log.read_text()[-1000:]}")
            time.sleep(0.02)

    def close(self) -> None:
        self.sub.stop()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _through_bridge(run: _BridgeRun, publisher: _Publisher, n: int) -> tuple[float, int]:
    """The same backlog drained by the bridge into our subscriber; timed first → last record."""
    base = run.stats.records
    seen = _Counter()

    def count() -> int:
        run.pump.apply_pending(time.time())  # keep the buffer drained, as the app does
        c = run.stats.records - base
        if c != seen.n:
            now = time.time()
            if not seen.n:
                seen.first = now
            seen.n, seen.last = c, now
        return c

    _paused(run.proc.pid, publisher, n, "bench")
    _wait_count(count, n)
    return _drain_rate(seen.n, seen.first, seen.last), n - seen.n


def _latency(run: _BridgeRun, publisher: _Publisher, seconds: int) -> np.ndarray:
    """Publish → applied to the entity model, per update, for 10,000 entities × 1 Hz."""
    entities = run.pump.entities
    conn = publisher.conn
    conn.send(("paced", seconds))
    events: list[tuple[np.ndarray, np.ndarray, float]] = []  # (entity index, tick, applied at)
    tick_s = 1.0 / PUMP_HZ
    state = {"prev": np.zeros(0), "index": np.zeros(0, np.int64)}

    def observe() -> None:
        """Apply the buffer; note which entities moved (and to which tick's position) and when."""
        run.pump.apply_pending(time.time())
        now = time.time()
        x = np.asarray(entities.x, np.float64)
        prev = state["prev"]
        if len(state["index"]) < len(x):  # entities seen for the first time this tick
            state["index"] = np.array([int(i[1:]) for i in entities.ids], np.int64)
            prev = np.concatenate([prev, np.full(len(x) - len(prev), np.nan)])
        changed = ~(x == prev)
        if changed.any():
            ticks = np.rint((x[changed] - _LON0) / _STEP).astype(np.int64) - 1
            events.append((state["index"][changed], ticks, now))
            prev = x.copy()
        state["prev"] = prev

    end = time.monotonic() + seconds + 30
    while time.monotonic() < end:
        time.sleep(tick_s)
        observe()
        if conn.poll():
            break
    sent: np.ndarray = conn.recv()
    settle = time.monotonic() + 2  # let the last second land
    while time.monotonic() < settle:
        time.sleep(tick_s)
        observe()
    out = []
    for idx, ticks, applied in events:
        ok = (ticks >= 0) & (ticks < sent.shape[0])
        out.append(applied - sent[ticks[ok], idx[ok]])
    return np.concatenate(out) if out else np.zeros(0)


def bench_sources(
    messages: int = 30_000, seconds: int = 5, rounds: int = 2, fleet_frames: int = 300
) -> dict[str, Any]:
    """Run both brokers' comparisons and the latency run; returns the figures (keys in the docstring)."""
    result: dict[str, Any] = {"messages": messages, "rounds": rounds}
    with tempfile.TemporaryDirectory(prefix="controlroom-bench-sources-") as tmp:
        folder = Path(tmp)
        procs, mqtt_port, nats_port = _start_brokers(folder)
        runs: list[_BridgeRun] = []
        pubs: list[_Publisher] = []
        try:
            site, mqtt_out, nats_out = _write_site(folder, mqtt_port, nats_port)
            for kind, port, out in (("mqtt", mqtt_port, mqtt_out), ("nats", nats_port, nats_out)):
                pub = _Publisher(kind, port)
                pubs.append(pub)
                run = _BridgeRun(site, kind, f"tcp://127.0.0.1:{out}", folder)
                runs.append(run)
                bare_rates, bridge_rates, bare_lost, bridge_lost = [], [], 0, 0
                for _ in range(rounds):  # alternating, best of each: a shared machine's noise hits both
                    rate, lost = _bare(kind, port, pub, messages)
                    bare_rates.append(rate)
                    bare_lost += lost
                    rate, lost = _through_bridge(run, pub, messages)
                    bridge_rates.append(rate)
                    bridge_lost += lost
                bare_rate, bridge_rate = max(bare_rates), max(bridge_rates)
                result.update(
                    {
                        f"{kind}_bare_msgs_s": round(bare_rate),
                        f"{kind}_bridge_msgs_s": round(bridge_rate),
                        f"{kind}_ratio": round(bridge_rate / bare_rate, 3) if bare_rate else 0.0,
                        f"{kind}_bare_lost": bare_lost,
                        f"{kind}_bridge_lost": bridge_lost,
                    }
                )
                if kind == "mqtt":
                    lat = _latency(run, pub, seconds) * 1000.0
                    result.update(
                        {
                            "latency_entities": ENTITIES,
                            "latency_hz": 1,
                            "latency_ms_p50": round(float(np.percentile(lat, 50)), 1) if lat.size else -1.0,
                            "latency_ms_p99": round(float(np.percentile(lat, 99)), 1) if lat.size else -1.0,
                            "latency_samples": int(lat.size),
                        }
                    )
            from controlroom.app.bench.fleet import bench_fleet

            result.update(bench_fleet(frames=fleet_frames, rounds=rounds))
        finally:
            for run in runs:
                run.close()
            for pub in pubs:
                pub.close()
            for p in procs:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
    return result


def register_bench(bench_sub: Any, print_result: Any) -> None:
    """Add ``bench sources`` (called from cmd_bench)."""

    def run(args: Any) -> int:
        print_result(bench_sources(args.messages, args.seconds, fleet_frames=args.fleet_frames), args.json)
        return 0

    p = bench_sub.add_parser(
        "sources", help="MQTT/NATS bridges vs each broker's own client; publish → model latency at 10k × 1 Hz"
    )
    p.add_argument("--messages", type=int, default=30_000, help="messages per throughput run (default 30000)")
    p.add_argument("--seconds", type=int, default=5, help="seconds of the 10k × 1 Hz latency run (default 5)")
    p.add_argument(
        "--fleet-frames",
        type=int,
        default=300,
        help="10,000-vehicle fleet frames per fleet run (default 300)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=run)
