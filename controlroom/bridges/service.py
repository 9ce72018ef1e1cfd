"""One bridge process: the site's source, its upstream client, its publisher, until stopped.

``controlroom bridge --site S --source NAME`` calls ``run_bridge``; tests call it too (in a real
subprocess). The publisher is secured like our own feed (the site's ``[feed]`` CURVE keys, or
plain text on loopback / ``insecure``), so the app subscribes to a bridge as to any publisher.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from controlroom.bridges.runtime import Bridge, status_path
from controlroom.core.site import Site
from controlroom.core.source_config import SourceConfig
from controlroom.feed.validate import Extent

if TYPE_CHECKING:
    from controlroom.feed.publisher import FeedPublisher

log = logging.getLogger(__name__)


class Upstream(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


def make_upstream(source: SourceConfig, bridge: Bridge) -> Upstream:
    if source.kind == "mqtt":
        from controlroom.bridges.mqtt import MqttUpstream

        return MqttUpstream(source, bridge)
    if source.kind == "nats":
        from controlroom.bridges.nats import NatsUpstream

        return NatsUpstream(source, bridge)
    from controlroom.bridges.gtfs import GtfsUpstream

    return GtfsUpstream(source, bridge)


def run_bridge(
    site: Site, source: SourceConfig, stop: threading.Event, extent: Extent | None = None
) -> Bridge | None:
    """Bridge until ``stop`` is set (``None``: stopped before the feed broker answered); raises
    ``BridgeFailedError`` when the upstream refuses us for good."""
    from controlroom.feed.site_feed import open_site_publisher, site_extent

    extent = extent if extent is not None else site_extent(site)
    status_file = status_path(site.site.name, source.name)
    # ZeroMQ: its own PUB socket at ``publish``; NATS / MQTT: the site's subjects, beside every other
    # publisher, once the feed broker is there
    publisher = _until_published(
        lambda: open_site_publisher(
            site, source.name, endpoint=source.publish, snapshot_endpoint=source.snapshot
        ),
        source,
        status_file,
        stop,
    )
    if publisher is None:  # stopped while the feed broker was down
        return None
    bridge = Bridge(source, extent, publisher, status_file=status_file)
    upstream = make_upstream(source, bridge)
    try:
        upstream.start()
        bridge.run(stop)
    finally:
        upstream.stop()
        publisher.close()
    return bridge


def _until_published(
    open_publisher: Callable[[], FeedPublisher],
    source: SourceConfig,
    status_file: Path,
    stop: threading.Event,
) -> FeedPublisher | None:
    """The feed publisher, once the site's feed broker (NATS / MQTT transport) answers.

    A bridge started before its feed broker waits for it, trying again after 1, 2, 4 … s (up to
    the source's ``reconnect_max_s``), with the reason in its status file ("down", which
    ``bridge list`` shows) instead of exiting; a refused login is raised. ``None`` if stopped first.
    """
    from controlroom.feed.broker_errors import FeedBrokerError

    delay = 1.0
    while True:
        try:
            return open_publisher()
        except FeedBrokerError as exc:
            if not exc.unreachable:
                raise
            detail = f"feed broker: {exc}; retrying in {delay:g} s"
            log.warning("source %s: %s", source.name, detail)
            status = {"source": source.name, "kind": source.kind, "pid": os.getpid(), "state": "down"}
            status.update({"detail": detail, "rate_hz": 0.0})
            retry_at = time.monotonic() + delay
            while True:  # the status is rewritten each heartbeat, so `bridge list` sees it running
                status["updated"] = time.time()
                with contextlib.suppress(OSError):  # a convenience, as in Bridge.write_status
                    status_file.parent.mkdir(parents=True, exist_ok=True)
                    status_file.write_text(json.dumps(status), encoding="utf-8")
                left = retry_at - time.monotonic()
                if left <= 0:
                    break
                if stop.wait(min(left, source.heartbeat_s)):
                    return None
            delay = min(delay * 2, max(1.0, source.reconnect_max_s))


def source_states(site: Site, now: float | None = None) -> list[dict[str, Any]]:
    """Each declared source with what its bridge last wrote: live / silent / down / stale / not running.

    A bridge writes its status every heartbeat; one not updated for 3 heartbeats (or its process
    gone) is "not running". "silent": connected, but nothing arrived in the last heartbeat.
    """
    now = time.time() if now is None else now
    out: list[dict[str, Any]] = []
    for s in site.sources:
        row: dict[str, Any] = {
            "source": s.name,
            "kind": s.kind,
            "url": ", ".join(s.urls),
            "publish": s.publish if site.feed.transport == "zmq" else f"{site.feed.transport} feed",
        }
        path = status_path(site.site.name, s.name)
        try:
            status = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            status = None
        state = "not running"
        if status is not None:
            alive = now - float(status.get("updated", 0)) <= 3 * s.heartbeat_s + 1
            pid = int(status.get("pid", 0))
            try:
                os.kill(pid, 0)
            except (OSError, ValueError):
                alive = False
            up = str(status.get("state", ""))
            if not alive:
                state = "not running" if up != "failed" else "failed"
            elif up == "live":
                state = "live" if float(status.get("rate_hz", 0)) > 0 else "silent"
            else:
                state = up
            row.update({k: status.get(k) for k in ("detail", "rate_hz", "published", "rejected", "entities")})
        row["state"] = state
        out.append(row)
    return out
