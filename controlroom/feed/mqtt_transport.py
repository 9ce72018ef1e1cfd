"""The feed through an MQTT broker (``[feed] transport = "mqtt"``), e.g. the city's mosquitto.

Publishers send each frame, unchanged, to ``<topic>/live/<source>/<kind>`` (QoS 0) and each
record alone, *retained*, to ``<topic>/last/<source>/<kind>/<id>``: the broker keeps the last
message per topic and hands all of them to a new subscriber, which is the late joiner's
snapshot. An app subscribes to the live topics first (frames held), then to the last values;
the retained ones that arrive (until the marker described at ``MqttFeedSubscriber`` is back)
are applied as a snapshot, then the held live frames, then live frames as they come. As in
the other modes the frames go through the same ``Ingestor``.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import msgspec
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from controlroom.core.protocol import (
    KINDS,
    FleetFrame,
    Incident,
    IncidentBatch,
    Message,
    Position,
    PositionBatch,
    SensorBatch,
    SensorReading,
)
from controlroom.feed.broker_errors import FeedBrokerError
from controlroom.feed.codec import decode, encode
from controlroom.feed.ingest import Ingestor
from controlroom.feed.nats_transport import token
from controlroom.feed.publisher import FeedPublisher
from controlroom.feed.service_thread import BROKER_RETRY_S, FeedThread

if TYPE_CHECKING:
    from controlroom.core.site import MqttFeedConfig

log = logging.getLogger(__name__)


class MqttFeedError(FeedBrokerError):
    """The broker cannot be used (not reachable, login refused); says which and where."""


def _client(cfg: MqttFeedConfig, name: str) -> tuple[mqtt.Client, str]:
    url = urlsplit(cfg.url)
    tls = url.scheme == "mqtts" or cfg.ca_file is not None
    host, port = url.hostname or "localhost", url.port or (8883 if tls else 1883)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{name}-{time.time_ns() % 10**9}")
    client.max_queued_messages_set(0)
    if cfg.credentials_file is not None:
        try:
            user, _, password = cfg.credentials_file.read_text(encoding="utf-8").strip().partition(":")
        except OSError as exc:
            raise MqttFeedError(
                f"[feed.mqtt] credentials_file {cfg.credentials_file}: {exc.strerror or exc}"
            ) from None
        client.username_pw_set(user, password)
    elif url.username:
        client.username_pw_set(url.username, url.password)
    if tls:
        client.tls_set(ca_certs=str(cfg.ca_file) if cfg.ca_file else None, cert_reqs=ssl.CERT_REQUIRED)
    return client, f"{host}:{port}"


def _connect(
    client: mqtt.Client,
    where: str,
    timeout_s: float,
    serve: Callable[[threading.Event, float], bool] | None = None,
) -> None:
    """Connect and wait for the broker's answer; ``MqttFeedError`` naming the broker if it refuses.

    ``serve(done, timeout_s)`` runs the client's network loop on the caller's thread until
    ``done`` (the subscriber); without it, paho's own thread does (``loop_start``, the publisher).
    """
    answer: list[Any] = []
    done = threading.Event()

    def on_connect(c: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        answer.append(reason)
        done.set()

    client.on_connect = on_connect
    host, _, port = where.rpartition(":")
    try:
        client.connect(host, int(port), keepalive=30)
    except OSError as exc:
        raise MqttFeedError(f"cannot reach the MQTT broker at {where}: {exc}", unreachable=True) from None
    if serve is None:
        client.loop_start()
    if not (done.wait(timeout_s) if serve is None else serve(done, timeout_s)):
        if serve is None:
            client.loop_stop()
        raise MqttFeedError(
            f"the MQTT broker at {where} did not answer within {timeout_s:g} s", unreachable=True
        )
    if answer[0].is_failure:
        if serve is None:
            client.loop_stop()
        raise MqttFeedError(
            f"the MQTT broker at {where} refused the login ({answer[0]});"
            " check [feed.mqtt] credentials_file in the site file"
        )


class MqttFeedPublisher(FeedPublisher):
    """A ``FeedPublisher`` whose frames go to MQTT topics; retained last values serve late joiners."""

    def __init__(
        self, cfg: MqttFeedConfig, *, source: str = "sim", codec: str = "msgpack", batch_size: int = 200
    ) -> None:
        from controlroom.core.protocol import new_epoch

        self.cfg = cfg
        self.source = source
        self.codec = codec
        self.batch_size = batch_size
        self.seq = 0
        self.epoch = new_epoch()
        self.sent = 0
        self.started = time.time()
        self.cache = None
        self._snapshots = None
        self._client, where = _client(cfg, f"controlroom-{source}")
        _connect(self._client, where, 10.0)
        base = f"{cfg.topic}/live/{token(source)}"
        self.endpoint = f"mqtt://{where} {base}/+"
        self.snapshot_endpoint = f"retained {cfg.topic}/last/{token(source)}/#"
        self._live = {kind: f"{base}/{kind}" for kind in KINDS}
        self._last = f"{cfg.topic}/last/{token(source)}"

    def send(self, msg: Message) -> None:
        """Each record's last value (retained), then the frame."""
        self.seq += 1
        msg.seq, msg.source, msg.epoch = self.seq, self.source, self.epoch
        kind = msg.KIND
        publish = self._client.publish
        if isinstance(msg, (PositionBatch, SensorBatch, IncidentBatch)):
            replace, codec, last = msgspec.structs.replace, self.codec, self._last
            records: list[Position | SensorReading | Incident] = list(msg.records)
            for r in records:
                publish(f"{last}/{kind}/{token(r.id)}", encode(replace(msg, records=[r]), codec), retain=True)
        elif isinstance(msg, FleetFrame):
            publish(f"{self._last}/{kind}/fleet", encode(msg, self.codec), retain=True)
        publish(self._live[kind], encode(msg, self.codec))
        self.sent += 1

    def send_raw(self, frame: bytes) -> None:
        self._client.publish(self._live[decode(frame).KIND], frame)
        self.sent += 1

    def flush(self, timeout_s: float = 10.0) -> None:
        """Wait until the broker has everything published so far: a QoS 1 message after it is
        acknowledged only once the broker has read what came before on this connection."""
        info = self._client.publish(f"{self.cfg.topic}/flush/{token(self.source)}", b"", qos=1)
        with contextlib.suppress(RuntimeError, ValueError):  # disconnected: nothing more to wait for
            info.wait_for_publish(timeout_s)

    def close(self) -> None:
        self.flush(2.0)
        self._client.disconnect()
        self._client.loop_stop()


class MqttFeedSubscriber(FeedThread):
    """The app's feed thread in MQTT mode; the same surface as ``FeedSubscriber``.

    The thread runs the client's network loop itself (paho's ``loop``; no ``loop_start`` thread),
    so the subscriber is one service thread, stopped and joined at shut-down like the others,
    and every wait in it (the broker's answer, the snapshot) ends at a stop. It reconnects by
    itself (1, 2, 4 … 30 s apart) and subscribes again.

    The late joiner's snapshot ends when a marker comes back: after the broker acknowledges the
    subscription to the last values (and so has queued every retained one for us), we publish a
    non-retained marker on a topic under that subscription; the broker hands it over after what
    it queued before, so when it arrives every retained value is in. ``snapshot_timeout_s`` only
    bounds a broker that never answers.
    """

    start_wait_s = 10.0
    #: Frames read before they are ingested as one batch (paho reads one packet per ``loop``).
    max_batch = 1000

    def __init__(
        self,
        cfg: MqttFeedConfig,
        ingestor: Ingestor,
        *,
        snapshot: bool = True,
        poll_ms: int = 50,
    ) -> None:
        super().__init__("feed-subscriber-mqtt", ingestor, [cfg.url])
        self.cfg = cfg
        self.snapshot = snapshot
        #: The longest the retained last values may take to arrive (then: live only).
        self.snapshot_timeout_s = 5.0
        self.poll_ms = poll_ms

    def _run(self) -> None:
        self.state = "connecting"
        live: list[bytes] = []  # paho calls on_message on this thread (inside ``client.loop``)
        retained: list[bytes] = []
        acked: dict[int, threading.Event] = {}
        live_prefix = f"{self.cfg.topic}/live/"
        marker = f"{self.cfg.topic}/last/~snapshot/{time.time_ns()}"
        marked = threading.Event()
        client: mqtt.Client | None = None

        def on_message(c: mqtt.Client, userdata: Any, m: mqtt.MQTTMessage) -> None:
            if m.topic.startswith(live_prefix):
                live.append(bytes(m.payload))
            elif m.retain:  # last values only as the broker hands them to a new subscriber
                retained.append(bytes(m.payload))
            elif m.topic == marker:
                marked.set()

        def on_subscribe(c: mqtt.Client, userdata: Any, mid: int, reasons: Any, props: Any) -> None:
            acked.setdefault(mid, threading.Event()).set()

        def serve(done: threading.Event, timeout_s: float) -> bool:
            """The network loop, here, until ``done``; False after ``timeout_s`` or on a stop."""
            deadline = time.monotonic() + timeout_s
            while not done.is_set():
                if self._stop.is_set() or time.monotonic() > deadline:
                    return False
                assert client is not None
                if client.loop(self.poll_ms / 1000) != mqtt.MQTT_ERR_SUCCESS:
                    self._stop.wait(self.poll_ms / 1000)
            return True

        def connect() -> tuple[mqtt.Client, str]:
            nonlocal client
            client, where = _client(self.cfg, "controlroom-app")
            client.on_message = on_message
            client.on_subscribe = on_subscribe
            try:
                _connect(client, where, 10.0, serve)
            except BaseException:
                with contextlib.suppress(Exception):  # a failed try must not keep its socket
                    client.disconnect()
                raise
            return client, where

        try:
            connected = self._until_connected(connect)
            if connected is None:
                return
            client, where = connected

            def subscribe(topic: str) -> None:
                assert client is not None
                mid = client.subscribe(topic)[1]
                assert mid is not None
                if not serve(acked.setdefault(mid, threading.Event()), 10) and not self._stop.is_set():
                    raise MqttFeedError(
                        f"the MQTT broker at {where} did not acknowledge the subscription to {topic}"
                    )

            subscribe(f"{self.cfg.topic}/live/#")  # first: nothing published from now on is missed

            def resubscribe(c: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
                if not reason.is_failure:  # a reconnect: a clean session forgot our topics
                    c.subscribe(f"{self.cfg.topic}/live/#")

            client.on_connect = resubscribe
            if self.snapshot and not self._stop.is_set():
                self.state = "snapshot"
                subscribe(f"{self.cfg.topic}/last/#")
                client.publish(marker, b"")  # comes back after every retained value (class docstring)
                if not serve(marked, self.snapshot_timeout_s) and not self._stop.is_set():
                    log.warning(
                        "MQTT broker at %s: the retained last values did not end within %g s;"
                        " continuing with what arrived",
                        where,
                        self.snapshot_timeout_s,
                    )
                client.unsubscribe(f"{self.cfg.topic}/last/#")
                frames = list(retained)
                counts = self.ingestor.ingest(frames, snapshot=True)
                self.snapshot_records = counts.records
            self.state = "live"
            self._ready.set()
            self._serve_live(client, where, live)
        except BaseException as exc:  # reported to start(), or logged and restarted by the supervisor
            self._failed(exc)
        finally:
            if client is not None:
                with contextlib.suppress(Exception):
                    client.disconnect()  # sent at once from this thread; the socket closes
            self._ended()

    def _serve_live(self, client: mqtt.Client, where: str, live: list[bytes]) -> None:
        """Read and ingest live frames in batches until stopped; reconnect when the broker goes."""
        ingest, stats = self.ingestor.ingest, self.ingestor.stats
        timeout = self.poll_ms / 1000
        delay = BROKER_RETRY_S[0]
        ok, gone = mqtt.MQTT_ERR_SUCCESS, (mqtt.MQTT_ERR_NO_CONN, mqtt.MQTT_ERR_CONN_LOST)
        while not self._stop.is_set():
            rc = client.loop(timeout)
            while rc == ok and len(live) < self.max_batch:  # paho reads one packet a call: read on
                read = len(live)
                rc = client.loop(0.0)
                if len(live) == read:
                    break
            if live:
                frames = live.copy()
                live.clear()
                ingest(frames, time.time())
            up = client.is_connected()
            if up != (self.state == "live"):
                self.state = "live" if up else "down"
                stats.note_link("up" if up else "down", "" if up else f"lost {where}; reconnecting")
            if up:
                delay = BROKER_RETRY_S[0]
            elif rc in gone:
                try:
                    client.reconnect()  # the broker's answer comes in a later ``loop``: subscribed again then
                except OSError:
                    self._stop.wait(delay)
                    delay = min(delay * 2, BROKER_RETRY_S[1])
