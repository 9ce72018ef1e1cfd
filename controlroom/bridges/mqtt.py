"""MQTT upstream (paho-mqtt 2.x): MQTT 3.1.1 or 5, TLS, wildcards, reconnect with back-off.

paho's network thread (``loop_start``) retries the first connection and reconnects after a drop,
waiting 1 s, 2 s, 4 s … up to ``reconnect_max_s``; we resubscribe in ``on_connect`` because a
clean session forgets subscriptions. A refused login is final: retrying a wrong password only
fills the broker's log, so the bridge stops with a message naming the source and the broker.
"""

from __future__ import annotations

import ssl
from typing import Any, Literal
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from controlroom.bridges.runtime import Bridge
from controlroom.core.source_config import SourceConfig

#: MQTT 5 durable sessions: how long the broker keeps ours while the bridge is away.
SESSION_EXPIRY_S = 7 * 24 * 3600

#: CONNACK reasons that retrying will not fix (3.1.1 codes 4/5; MQTT 5 0x86, 0x87, 0x8C).
_AUTH_FAILURES = {"Bad user name or password", "Not authorized", "Bad authentication method"}


def read_credentials(source: SourceConfig) -> tuple[str | None, str | None]:
    """(username, password): from the site, or ``credentials_file`` holding ``user:password``."""
    if source.credentials_file is None:
        return source.username, source.password
    text = source.credentials_file.read_text(encoding="utf-8").strip()
    user, sep, password = text.partition(":")
    if not sep:
        raise ValueError(f"{source.credentials_file}: expected one line 'user:password'")
    return source.username or user, password


class MqttUpstream:
    def __init__(self, source: SourceConfig, bridge: Bridge) -> None:
        self.source = source
        self.bridge = bridge
        url = urlsplit(source.urls[0])
        self.tls = url.scheme in ("mqtts", "ssl", "wss") or source.tls is not None
        self.host = url.hostname or "localhost"
        self.port = url.port or (8883 if self.tls else 1883)
        self.v5 = source.mqtt_version == "5"
        transport: Literal["tcp", "websockets"] = "websockets" if url.scheme in ("ws", "wss") else "tcp"
        # durable: a persistent session under that client id; the broker keeps QoS 1/2 messages
        # for us while the bridge is away (restart, upgrade) and delivers them when it is back
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=source.durable or source.client_id or "",
            protocol=mqtt.MQTTv5 if self.v5 else mqtt.MQTTv311,
            transport=transport,
            clean_session=None if self.v5 else source.durable is None,
        )
        user, password = read_credentials(source)
        if user is not None:
            self.client.username_pw_set(user, password)
        if self.tls:
            t = source.tls
            self.client.tls_set(
                ca_certs=str(t.ca_file) if t and t.ca_file else None,
                certfile=str(t.cert_file) if t and t.cert_file else None,
                keyfile=str(t.key_file) if t and t.key_file else None,
                cert_reqs=ssl.CERT_NONE if t and t.insecure else ssl.CERT_REQUIRED,
            )
            if t and t.insecure:
                self.client.tls_insecure_set(True)
        self.client.reconnect_delay_set(1, max(1, int(source.reconnect_max_s)))
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self._awaiting: set[int] = set()
        self.client.on_connect_fail = self._on_connect_fail
        self.where = f"{self.host}:{self.port}"

    def start(self) -> None:
        self.bridge.upstream("connecting", self.where)
        if self.v5 and self.source.durable:
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties

            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = SESSION_EXPIRY_S
            self.client.connect_async(self.host, self.port, keepalive=30, clean_start=False, properties=props)
        else:
            self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    # paho callbacks (its network thread)

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            if str(reason) in _AUTH_FAILURES:
                self.bridge.fail(
                    f"source '{self.source.name}': the MQTT broker at {self.where} refused the login"
                    f" ({reason}); check username / password / credentials_file in the site file"
                )
                client.disconnect()
                return
            self.bridge.upstream("down", f"{self.where} refused the connection: {reason}")
            return
        # live only once the broker has acknowledged every subscription (``_on_subscribe``): until
        # then a message published upstream would not reach us, and a heartbeat would claim it does
        self._awaiting = set()
        for topic in self.source.subscriptions():
            mid = client.subscribe(topic, qos=self.source.qos)[1]
            if mid is not None:
                self._awaiting.add(mid)

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, props: Any) -> None:
        self._awaiting.discard(mid)
        if not self._awaiting:
            self.bridge.upstream("live", self.where)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if self.bridge.state != "failed":
            self.bridge.upstream("down", f"lost {self.where} ({reason}); reconnecting")

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        self.bridge.upstream(
            "down", f"cannot reach {self.where} (refused, unreachable or TLS failed); retrying"
        )

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.bridge.deliver(message.topic, bytes(message.payload))
