"""NATS upstream (nats-py): core subjects with wildcards, or a JetStream durable consumer.

nats-py is asyncio; it runs on its own thread with its own event loop and hands each message to
the bridge's queue. The first connection is retried with back-off (1 s, 2 s … ``reconnect_max_s``);
after that nats-py reconnects by itself and tells us through its callbacks, so the source shows
down while the server is away. A refused login is final, as for MQTT.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from typing import Any

from controlroom.bridges.runtime import Bridge
from controlroom.core.source_config import SourceConfig
from controlroom.feed.service_thread import ServiceThread


class NatsUpstream(ServiceThread):
    """nats-py's event loop runs on a named service thread (``nats-<source>``), joined at shut-down."""

    def __init__(self, source: SourceConfig, bridge: Bridge) -> None:
        super().__init__(f"nats-{source.name}", supervise=False)
        self.source = source
        self.bridge = bridge
        self.url = source.urls[0]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._stop_requested = threading.Event()

    def start(self) -> None:
        self.bridge.upstream("connecting", self.url)
        self._start_unwaited()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop_requested.set()
        loop, stopping = self._loop, self._stopping
        if loop is not None and stopping is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended (a refused login)
                loop.call_soon_threadsafe(stopping.set)
        super().stop(timeout_s)

    def _run(self) -> None:
        asyncio.run(self._main())

    def _options(self) -> dict[str, Any]:
        s = self.source
        opts: dict[str, Any] = {
            "servers": [self.url],
            "name": s.client_id or f"controlroom-{s.name}",
            "allow_reconnect": True,
            "max_reconnect_attempts": -1,
            "reconnect_time_wait": min(2.0, s.reconnect_max_s),
            "connect_timeout": 2,
            "error_cb": self._on_error,
            "disconnected_cb": self._on_disconnected,
            "reconnected_cb": self._on_reconnected,
        }
        if s.username is not None:
            opts["user"] = s.username
            opts["password"] = s.password
        if s.credentials_file is not None:
            opts["user_credentials"] = str(s.credentials_file)
        if s.tls is not None or self.url.startswith("tls://"):
            ctx = ssl.create_default_context(cafile=str(s.tls.ca_file) if s.tls and s.tls.ca_file else None)
            if s.tls and s.tls.cert_file:
                ctx.load_cert_chain(str(s.tls.cert_file), str(s.tls.key_file) if s.tls.key_file else None)
            if s.tls and s.tls.insecure:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            opts["tls"] = ctx
        return opts

    async def _main(self) -> None:
        from nats.aio.client import Client
        from nats.errors import AuthorizationError

        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        if self._stop_requested.is_set():
            return
        delay = 1.0
        nc = Client()
        while not self._stopping.is_set():
            nc = Client()
            opts = self._options()
            opts["allow_reconnect"] = False  # the first connection: our own back-off, and errors we can read
            try:
                await nc.connect(**opts)
                break
            except AuthorizationError as exc:
                await _close_quietly(nc)
                self._refused(exc)
                return
            except Exception as exc:  # NoServersError, OSError, TimeoutError: the server is not there (yet)
                await _close_quietly(nc)
                if "authorization" in str(exc).lower():
                    self._refused(exc)
                    return
                self.bridge.upstream(
                    "down", f"{self.url}: {exc or type(exc).__name__}; retrying in {delay:g} s"
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
                delay = min(delay * 2, self.source.reconnect_max_s)
        else:
            return
        # connected: from now on nats-py reconnects by itself (the first connect ran without it)
        nc.options["allow_reconnect"] = True
        try:
            await self._subscribe(nc)
            self.bridge.upstream("live", self.url)
            await self._stopping.wait()
        finally:
            with contextlib.suppress(Exception):  # closing a connection that is already gone
                await nc.close()

    async def _subscribe(self, nc: Any) -> None:
        deliver = self.bridge.deliver

        async def on_message(msg: Any) -> None:
            deliver(msg.subject, msg.data)

        s = self.source
        if s.durable:
            js = nc.jetstream()
            for subject in s.subscriptions():
                await js.subscribe(subject, durable=s.durable, stream=s.stream, cb=on_message)
        else:
            for subject in s.subscriptions():
                await nc.subscribe(subject, cb=on_message)
        # a round trip to the server: once it answers, it has our subscriptions, so "live" (and
        # the heartbeats that say so) never goes out before a message published upstream reaches us
        await nc.flush()

    def _refused(self, exc: BaseException) -> None:
        self.bridge.fail(
            f"source '{self.source.name}': the NATS server at {self.url} refused the login"
            f" ({exc or 'authorization'}); check username / password / credentials_file in the site file"
        )

    async def _on_error(self, exc: Exception) -> None:
        from nats.errors import AuthorizationError

        if isinstance(exc, AuthorizationError):
            self._refused(exc)
            if self._stopping is not None:
                self._stopping.set()

    async def _on_disconnected(self) -> None:
        if self.bridge.state != "failed" and not self._stop_requested.is_set():
            self.bridge.upstream("down", f"lost {self.url}; reconnecting")

    async def _on_reconnected(self) -> None:
        self.bridge.upstream("live", self.url)


async def _close_quietly(nc: Any) -> None:
    """Close a connection whose first try failed: it still holds its socket."""
    with contextlib.suppress(Exception):
        await nc.close()
