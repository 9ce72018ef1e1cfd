"""MQTT sources through a real mosquitto and a real bridge process into our own subscriber."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.bridges.conftest import LAB, LAB_MAPS, Server, free_port, wait_for, write_site

FLEET_MAP = """
[[sources.map]]
match = "fleet/+"
record = "position"
fields = { id = "$topic[1]", lon = "lon", lat = "lat", speed = "speed_kmh?" }
static = { kind = "sanitation" }
convert = { speed = "km/h->m/s" }
"""


def lab_source(
    broker: int,
    publish: int,
    password: str = "s3cret",
    version: str = "3.1.1",
    scheme: str = "mqtt",
    auth: str = "",
) -> str:
    auth = auth or f'username = "city"\npassword = "{password}"'
    return f"""[[sources]]
name = "lab"
kind = "mqtt"
url = "{scheme}://127.0.0.1:{broker}"
publish = "tcp://127.0.0.1:{publish}"
{auth}
client_id = "controlroom-test-lab"
mqtt_version = "{version}"
qos = 1
topics = ["#"]
heartbeat_s = 0.5
reconnect_max_s = 2
{LAB_MAPS}
{FLEET_MAP}"""


def log_entries(shared_data: Path) -> list[dict[str, Any]]:
    flat: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for x in node:
                walk(x)
        else:
            flat.append(node)

    walk(json.loads((shared_data / "mqtt/mozIoT-lab-mqtt-log-20200331.json").read_text()))
    return flat


def publisher(port: int) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-publisher")
    client.username_pw_set("city", "s3cret")
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def test_lab_log_round_trip_with_bad_input_counted(
    tmp_path: Path, shared_data: Path, mosquitto: Server, bridge_process: Any, pipeline: Any
) -> None:
    out = free_port()
    site = write_site(tmp_path / "site", LAB, lab_source(mosquitto.port, out))
    bridge = bridge_process(site, "lab")
    feed = pipeline(f"tcp://127.0.0.1:{out}", LAB)
    wait_for(lambda: "lab" in feed.stats.sources, "the bridge's first heartbeat", log=bridge)

    entries = log_entries(shared_data)
    client = publisher(mosquitto.port)
    try:
        infos = [client.publish(e["topic"], json.dumps(e["payload"]), qos=1) for e in entries]
        infos.append(client.publish("temp-hum-readings", b'{"node-id": "n9", "temp-C": 2', qos=1))
        infos.append(client.publish("temp-hum-readings", json.dumps({"node-id": "n9", "temp-F": 70}), qos=1))
        # a position in Web Mercator metres where the map expects degrees: outside the site
        infos.append(
            client.publish("fleet/truck-7", json.dumps({"lon": 12614000.0, "lat": 2647000.0}), qos=1)
        )
        infos.append(
            client.publish(
                "fleet/truck-8", json.dumps({"lon": 113.315, "lat": 23.122, "speed_kmh": 36}), qos=1
            )
        )
        for info in infos:
            info.wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()

    total = len(entries) + 4
    wait_for(
        lambda: bridge.read_status().get("messages") == total, f"{total} messages at the bridge", log=bridge
    )
    th = sum(e["topic"] == "temp-hum-readings" for e in entries)
    plugs = sum(e["topic"].startswith("sonoff/") for e in entries)
    status = bridge.read_status()
    assert status["rejected"] == {
        "field_missing": 2,  # the temp-F message: neither temp-C nor hum-percent
        "malformed_json": 1,
        "out_of_extent": 1,
        "unmatched": len(entries) - th - plugs,  # topics = ["#"]: motion, gas, lux, noise have no map
    }
    published = 2 * th + plugs + 1
    assert status["published"] == published

    # everything the bridge published arrived and passed our own ingest
    assert feed.pump_until(lambda: feed.stats.records == published, 10), feed.stats.snapshot(0)
    assert not feed.stats.rejected
    sensors = feed.pump.sensors
    assert {"SENSOR-NODE-3-MOZIoT:temp", "SENSOR-NODE-3-MOZIoT:hum", "sonoff-plug-1", "sonoff-lamp-1"} <= set(
        sensors.ids
    )
    entities = feed.pump.entities
    assert list(entities.ids) == ["truck-8"]
    assert float(entities.speed[0]) == pytest.approx(10.0)
    assert (float(entities.x[0]), float(entities.y[0])) == (pytest.approx(113.315), pytest.approx(23.122))


def test_broker_restart_bridge_goes_down_then_reconnects(
    tmp_path: Path, mosquitto: Server, bridge_process: Any, pipeline: Any
) -> None:
    out = free_port()
    site = write_site(tmp_path / "site", LAB, lab_source(mosquitto.port, out, version="5"))
    bridge = bridge_process(site, "lab")
    feed = pipeline(f"tcp://127.0.0.1:{out}", LAB)
    wait_for(lambda: "lab" in feed.stats.sources, "the bridge's first heartbeat", log=bridge)

    mosquitto.stop()
    wait_for(
        lambda: bridge.read_status().get("state") == "down", "the bridge to see the broker gone", log=bridge
    )
    heard = feed.stats.sources["lab"].last_heard
    seq = feed.stats.sources["lab"].last_seq
    mosquitto.start()
    wait_for(lambda: bridge.read_status().get("state") == "live", "the bridge to reconnect", log=bridge)
    wait_for(lambda: feed.stats.sources["lab"].last_seq > seq, "heartbeats again", log=bridge)
    # while the broker was away the bridge sent no heartbeat: the app saw the source go quiet
    assert feed.stats.sources["lab"].last_heard - heard > 1.0

    client = publisher(mosquitto.port)
    try:
        client.publish("fleet/truck-9", json.dumps({"lon": 113.316, "lat": 23.123}), qos=1).wait_for_publish(
            10
        )
    finally:
        client.disconnect()
        client.loop_stop()
    assert feed.pump_until(lambda: "truck-9" in feed.pump.entities, 15), bridge.stderr()[-2000:]
    assert "down" in bridge.stderr() and "lost 127.0.0.1" in bridge.stderr()


@pytest.mark.parametrize("version", ["3.1.1", "5"])
def test_wrong_password_stops_the_bridge_with_a_clear_error(
    tmp_path: Path, mosquitto: Server, bridge_process: Any, version: str
) -> None:
    site = write_site(tmp_path / "site", LAB, lab_source(mosquitto.port, free_port(), "wrong", version))
    bridge = bridge_process(site, "lab")
    assert bridge.proc.wait(20) == 1
    err = bridge.stderr()
    assert f"source 'lab': the MQTT broker at 127.0.0.1:{mosquitto.port} refused the login" in err
    assert "check username / password" in err and "Traceback" not in err


def test_the_app_feed_subscribes_to_the_site_feed_and_every_bridge(
    tmp_path: Path, mosquitto: Server, bridge_process: Any
) -> None:
    from controlroom.core.protocol import Position
    from controlroom.core.site import load_site
    from controlroom.feed.publisher import FeedPublisher
    from controlroom.feed.site_feed import open_site_feed
    from tests.feed.conftest import wait_until

    out, sim_port, snap_port = free_port(), free_port(), free_port()
    endpoints = f'endpoint = "tcp://127.0.0.1:{sim_port}"\nsnapshot_endpoint = "tcp://127.0.0.1:{snap_port}"'
    site_path = write_site(tmp_path / "site", LAB, lab_source(mosquitto.port, out), feed=endpoints)
    bridge = bridge_process(site_path, "lab")
    sim = FeedPublisher(
        f"tcp://127.0.0.1:{sim_port}", source="sim", snapshot_endpoint=f"tcp://127.0.0.1:{snap_port}"
    )
    app = open_site_feed(load_site(site_path)).start()
    try:

        def heard_both() -> bool:
            sim.heartbeat()  # our own publisher, as the simulator does once a second
            return {"lab", "sim"} <= set(app.stats.sources)

        wait_for(heard_both, "heartbeats from the simulator and the bridge")
        sim.positions([Position("bus-1", "bus", 113.314, 23.121)])
        client = publisher(mosquitto.port)
        client.publish("fleet/truck-1", json.dumps({"lon": 113.316, "lat": 23.123}), qos=1).wait_for_publish(
            10
        )
        client.disconnect()
        client.loop_stop()

        def both() -> bool:
            app.pump.apply_pending(time.time())
            return {"bus-1", "truck-1"} <= set(app.pump.entities.ids)

        assert wait_until(both, 15), (app.stats.snapshot(time.time()), bridge.stderr()[-2000:])
    finally:
        app.stop()
        sim.close()


def _tls_files(folder: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for 127.0.0.1 (openssl)."""
    import shutil
    import subprocess

    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    ca_key, ca, key, csr, cert = (
        folder / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem")
    )
    ext = folder / "san.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1\n")

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], check=True, capture_output=True)

    run(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=test CA",
        "-keyout",
        str(ca_key),
        "-out",
        str(ca),
    )
    run(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        str(key),
        "-out",
        str(csr),
    )
    run(
        "x509",
        "-req",
        "-in",
        str(csr),
        "-CA",
        str(ca),
        "-CAkey",
        str(ca_key),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        str(ext),
        "-out",
        str(cert),
    )
    return ca, cert, key


def test_tls_with_a_site_ca_and_a_credentials_file(
    tmp_path: Path, bridge_process: Any, pipeline: Any
) -> None:
    import os
    import pwd
    import subprocess

    from tests.bridges.conftest import need_binary

    ca, cert, key = _tls_files(tmp_path)
    port = free_port()
    passwd = tmp_path / "passwd"
    subprocess.run([need_binary("mosquitto_passwd"), "-b", "-c", str(passwd), "city", "s3cret"], check=True)
    conf = tmp_path / "tls.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\ncafile {ca}\ncertfile {cert}\nkeyfile {key}\n"
        f"allow_anonymous false\npassword_file {passwd}\npersistence false\n"
        f"user {pwd.getpwuid(os.getuid()).pw_name}\n"
    )
    broker = Server([need_binary("mosquitto"), "-c", str(conf)], port, tmp_path / "tls.log").start()
    try:
        (tmp_path / "site").mkdir()
        (tmp_path / "site" / "lab.creds").write_text("city:s3cret\n")
        auth = f'credentials_file = "lab.creds"\ntls = {{ ca_file = "{ca}" }}'
        source = lab_source(port, out := free_port(), scheme="mqtts", auth=auth)
        site = write_site(tmp_path / "site", LAB, source)
        bridge = bridge_process(site, "lab")
        feed = pipeline(f"tcp://127.0.0.1:{out}", LAB)
        wait_for(lambda: "lab" in feed.stats.sources, "the bridge's heartbeat over TLS", log=bridge)
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="tls-publisher")
        client.username_pw_set("city", "s3cret")
        client.tls_set(ca_certs=str(ca))
        client.connect("127.0.0.1", port)
        client.loop_start()
        try:
            client.publish(
                "fleet/truck-tls", json.dumps({"lon": 113.314, "lat": 23.12}), qos=1
            ).wait_for_publish(10)
        finally:
            client.disconnect()
            client.loop_stop()
        assert feed.pump_until(lambda: "truck-tls" in feed.pump.entities, 15), bridge.stderr()[-2000:]
    finally:
        broker.stop()


def test_a_broker_not_up_yet_shows_down_then_live(
    tmp_path: Path, mosquitto: Server, bridge_process: Any, pipeline: Any
) -> None:
    mosquitto.stop()  # the bridge starts first, as after a power cut
    out = free_port()
    bridge = bridge_process(write_site(tmp_path / "site", LAB, lab_source(mosquitto.port, out)), "lab")
    wait_for(
        lambda: bridge.read_status().get("state") == "down",
        "the bridge to report the broker down",
        log=bridge,
    )
    assert "cannot reach 127.0.0.1" in str(bridge.read_status()["detail"])
    feed = pipeline(f"tcp://127.0.0.1:{out}", LAB)
    mosquitto.start()
    wait_for(lambda: "lab" in feed.stats.sources, "heartbeats once the broker is up", log=bridge)
    # the status file is rewritten on the bridge's own clock: it says live soon after, not at once
    wait_for(lambda: bridge.read_status().get("state") == "live", "the bridge to report live", log=bridge)


@pytest.mark.parametrize("version", ["3.1.1", "5"])
def test_a_durable_session_gets_what_was_sent_while_the_bridge_was_away(
    tmp_path: Path, mosquitto: Server, bridge_process: Any, version: str
) -> None:
    source = lab_source(mosquitto.port, free_port(), version=version).replace(
        "qos = 1\n", 'qos = 1\ndurable = "controlroom-lab"\n'
    )
    site = write_site(tmp_path / "site", LAB, source)
    first = bridge_process(site, "lab")
    wait_for(lambda: first.read_status().get("state") == "live", "the first run to subscribe", log=first)
    first.proc.terminate()
    assert first.proc.wait(10) == 0
    client = publisher(mosquitto.port)
    try:
        for i in range(5):
            client.publish(
                f"fleet/away-{i}", json.dumps({"lon": 113.315, "lat": 23.121}), qos=1
            ).wait_for_publish(10)
    finally:
        client.disconnect()
        client.loop_stop()
    second = bridge_process(site, "lab")
    wait_for(
        lambda: second.read_status().get("published") == 5, "the 5 messages kept by the broker", log=second
    )
