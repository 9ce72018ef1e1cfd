"""Bridge fixtures: a site around the sample data's city, and real brokers on free loopback ports."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from controlroom.app.commands.bridge import bridge_argv
from controlroom.core.feed_stats import FeedStats
from controlroom.feed.buffer import CoalescingBuffer
from controlroom.feed.ingest import Ingestor
from controlroom.feed.pump import FeedPump
from controlroom.feed.subscriber import FeedSubscriber
from controlroom.feed.validate import Extent
from controlroom.geo.crs import wgs84_to_gcj02
from tests.feed.conftest import Pipeline, wait_until
from tests.net import free_port

#: (min_lon, min_lat, max_lon, max_lat) around each sample's service area.
BAY_AREA = (-122.55, 37.20, -121.75, 37.95)  # Caltrain and BART
MINNEAPOLIS = (-93.35, 44.90, -93.15, 45.05)  # Metro Transit route 2
#: The mozIoT lab log has no coordinates; the maps give the lab a place (Huacheng, Guangzhou).
LAB = (113.3105, 23.1186, 113.3209, 23.1267)


def write_site(
    folder: Path,
    bbox: tuple[float, float, float, float],
    sources: str,
    crs: str = "EPSG:3857",
    feed: str = "",
) -> Path:
    """A site whose city model is two 10 m boxes at the corners of ``bbox`` (so its extent is the bbox)."""
    folder.mkdir(parents=True, exist_ok=True)
    d = 0.0001

    def box(lon: float, lat: float) -> dict[str, object]:
        ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
        return {
            "type": "Feature",
            "properties": {"height": 10},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }

    features = [box(bbox[0], bbox[1]), box(bbox[2] - d, bbox[3] - d)]
    (folder / "city.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    site = folder / "site.toml"
    site.write_text(
        f"""schema = 1
[site]
name = "bridge-test"
title = "Bridge test site"
crs = "{crs}"

[[city_model]]
path = "city.geojson"
crs = "EPSG:4326"
licence = "test boxes"

[feed]
extent_margin_m = 500
{feed}

{sources}
""",
        encoding="utf-8",
    )
    return site


# ---------------------------------------------------------------- real servers and bridge processes


ROOT = Path(__file__).resolve().parents[2]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Server:
    """A broker process on a loopback port; ``kill`` / ``restart`` for reconnect tests."""

    argv: list[str]
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT)
        proc = self.proc
        if not wait_until(lambda: port_open(self.port) or proc.poll() is not None, 10.0, 0.05) or proc.poll():
            self.stop()
            raise RuntimeError(
                f"{self.argv[0]} did not listen on {self.port}: {self.log.read_text()[-2000:]}"
            )
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


def need_binary(binary: str) -> str:
    path = shutil.which(binary) or next((p for p in (f"/usr/sbin/{binary}",) if os.path.exists(p)), None)
    if path is None:
        pytest.skip(f"{binary} is not installed (scripts/apt-packages.txt)")
    return path


def mosquitto_server(folder: Path, port: int | None = None) -> Server:
    """mosquitto (not started) on ``port`` or a free loopback port; user ``city`` / password ``s3cret``."""
    binary = need_binary("mosquitto")
    port = free_port() if port is None else port
    passwd = folder / "mosquitto.passwd"
    subprocess.run([need_binary("mosquitto_passwd"), "-b", "-c", str(passwd), "city", "s3cret"], check=True)
    conf = folder / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {passwd}\npersistence false\n"
        # as root, mosquitto would switch to user 'mosquitto', who cannot read pytest's tmp_path
        f"user {pwd.getpwuid(os.getuid()).pw_name}\n"
    )
    return Server([binary, "-c", str(conf)], port, folder / "mosquitto.log")


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Server]:
    """mosquitto on a free loopback port; user ``city`` / password ``s3cret``, anonymous refused."""
    server = mosquitto_server(tmp_path).start()
    yield server
    server.stop()


def nats_server_of(folder: Path, port: int | None = None) -> Server:
    """nats-server (not started; JetStream on) on ``port`` or a free one; user ``city`` / ``s3cret``."""
    binary = need_binary("nats-server")
    port = free_port() if port is None else port
    store = folder / "jetstream"
    argv = [
        binary,
        "-a",
        "127.0.0.1",
        "-p",
        str(port),
        "--user",
        "city",
        "--pass",
        "s3cret",
        "-js",
        "-sd",
        str(store),
    ]
    return Server(argv, port, folder / "nats.log")


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[Server]:
    """nats-server (with JetStream) on a free loopback port; user ``city`` / password ``s3cret``."""
    server = nats_server_of(tmp_path).start()
    yield server
    server.stop()


@dataclass
class BridgeProcess:
    proc: subprocess.Popen[bytes]
    log: Path
    status: Path
    extra: dict[str, object] = field(default_factory=dict)

    def read_status(self) -> dict[str, object]:
        try:
            return json.loads(self.status.read_text())  # type: ignore[no-any-return]
        except (OSError, ValueError):
            return {}

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def bridge_process(tmp_path: Path) -> Iterator[Callable[[Path, str], BridgeProcess]]:
    """Start ``controlroom bridge --site S --source NAME`` as a real process; stopped at the end."""
    started: list[BridgeProcess] = []
    state = tmp_path / "state"

    def start(site: Path, source: str) -> BridgeProcess:
        log = tmp_path / f"bridge-{source}-{len(started)}.log"
        env = {**os.environ, "CONTROLROOM_STATE_DIR": str(state), "PYTHONPATH": str(ROOT)}
        with log.open("wb") as out:
            proc = subprocess.Popen(
                bridge_argv(site, source),
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        b = BridgeProcess(proc, log, state / "bridges" / "bridge-test" / f"{source}.json")
        started.append(b)
        return b

    yield start
    for b in started:
        if b.proc.poll() is None:
            b.proc.terminate()
            try:
                b.proc.wait(10)
            except subprocess.TimeoutExpired:
                b.proc.kill()
                b.proc.wait(5)


@pytest.fixture
def pipeline() -> Iterator[Callable[[str, tuple[float, float, float, float]], Pipeline]]:
    """Our own subscriber + pump on a bridge's endpoint, validating against the site's bbox."""
    made: list[Pipeline] = []

    def make(endpoint: str, bbox: tuple[float, float, float, float]) -> Pipeline:
        stats = FeedStats()
        buffer = CoalescingBuffer()
        sub = FeedSubscriber(endpoint, Ingestor(buffer, stats, Extent.from_bbox(bbox, margin_m=500)))
        p = Pipeline(sub, FeedPump(buffer, stats), stats, buffer)
        made.append(p)
        sub.start()
        return p

    yield make
    for p in made:
        p.subscriber.stop()


def wait_for(
    predicate: Callable[[], bool], what: str, timeout_s: float = 20.0, log: BridgeProcess | None = None
) -> None:
    if not wait_until(predicate, timeout_s, 0.05):
        extra = f"\nbridge log:\n{log.stderr()[-3000:]}\nstatus: {log.read_status()}" if log else ""
        raise AssertionError(f"timed out after {timeout_s} s waiting for {what}{extra}")


_ = time  # used by the test modules through this conftest


#: The lab's MQTT topics mapped to sensor records (test_mapping, test_bridge_mqtt).
LAB_MAPS = """
[[sources.map]]
match = "temp-hum-readings"
record = "sensor"
fields = { id = "node-id", value = "temp-C" }
static = { kind = "temperature", unit = "°C", lon = 113.3157, lat = 23.1226 }
id_format = "{}:temp"

[[sources.map]]
match = "temp-hum-readings"
record = "sensor"
fields = { id = "node-id", value = "hum-percent" }
static = { kind = "humidity", unit = "%", lon = 113.3157, lat = 23.1226 }
id_format = "{}:hum"

[[sources.map]]
match = "sonoff/tele/+/STATE"
record = "sensor"
fields = { id = "$topic[2]", value = "POWER | power", status = "POWER | power" }
static = { kind = "plug", lon = 113.3160, lat = 23.1230 }
lookup.value = { ON = 1, OFF = 0, "1" = 1, "0" = 0 }
lookup.status = { ON = "warning", OFF = "ok", "1" = "warning", "0" = "ok" }
"""


def city_source(port: int, publish: int, password: str = "s3cret", jetstream: bool = False) -> str:
    durable = 'durable = "controlroom"\nstream = "CITY"\n' if jetstream else ""
    return f"""[[sources]]
name = "city-bus"
kind = "nats"
url = "nats://127.0.0.1:{port}"
publish = "tcp://127.0.0.1:{publish}"
username = "city"
password = "{password}"
heartbeat_s = 0.5
reconnect_max_s = 2
{durable}
[[sources.map]]                      # AMap-style coordinates: GCJ-02
match = "city.fleet.*"
record = "position"
fields = {{ id = "$topic[2]", lon = "pos.lng", lat = "pos.lat", heading = "dir?", status = "state?" }}
static = {{ kind = "city_management" }}
lookup.status = {{ busy = "dispatched", free = "available" }}
crs = "gcj02"
"""


async def publish_nats(port: int, messages: list[tuple[str, bytes]], stream: bool = False) -> None:
    import nats

    nc = await nats.connect(f"nats://127.0.0.1:{port}", user="city", password="s3cret")
    if stream:
        js = nc.jetstream()
        await js.add_stream(name="CITY", subjects=["city.>"])
        for subject, data in messages:
            await js.publish(subject, data)
    else:
        for subject, data in messages:
            await nc.publish(subject, data)
    await nc.flush()
    await nc.close()


def gcj(lon: float, lat: float) -> dict[str, float]:
    glon, glat = wgs84_to_gcj02(lon, lat)
    return {"lng": float(glon), "lat": float(glat)}


def nats_feed(port: int, auth: str = "city:s3cret@") -> str:
    return f'transport = "nats"\n\n[feed.nats]\nurl = "nats://{auth}127.0.0.1:{port}"\n'
