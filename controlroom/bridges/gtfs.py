"""GTFS-Realtime upstream: polls each URL every ``poll_s``, honouring ETag and Last-Modified.

A ``304 Not Modified`` costs the agency nothing and us no decoding; the feed's header timestamp
(checked by the bridge) still decides whether what we show is live or stale. A failed poll
(refused, 5xx, timeout) marks the source down and the next try waits 1 s, 2 s, 4 s … up to
``reconnect_max_s``; a 401/403 is final (a wrong API key does not fix itself).
"""

from __future__ import annotations

import urllib.error
import urllib.request

from controlroom.bridges.runtime import Bridge
from controlroom.core.source_config import SourceConfig
from controlroom.feed.service_thread import ServiceThread


class GtfsUpstream(ServiceThread):
    """The poll loop runs on a named service thread (``gtfs-<source>``), joined at shut-down."""

    def __init__(self, source: SourceConfig, bridge: Bridge, timeout_s: float = 10.0) -> None:
        super().__init__(f"gtfs-{source.name}", supervise=False)
        self.source = source
        self.bridge = bridge
        self.timeout_s = timeout_s
        self._validators: dict[str, dict[str, str]] = {}
        #: Polls answered 200 / 304 (for tests and the status file).
        self.fetched = 0
        self.not_modified = 0

    def start(self) -> None:
        self.bridge.upstream("connecting", ", ".join(self.source.urls))
        self._start_unwaited()

    def stop(self, timeout_s: float | None = None) -> None:
        super().stop(self.timeout_s + 1 if timeout_s is None else timeout_s)

    def _headers(self, url: str) -> dict[str, str]:
        headers = {"Accept": "application/x-protobuf, application/octet-stream"}
        seen = self._validators.get(url, {})
        if "etag" in seen:
            headers["If-None-Match"] = seen["etag"]
        if "last-modified" in seen:
            headers["If-Modified-Since"] = seen["last-modified"]
        if self.source.username is not None and self.source.password is not None:
            import base64

            token = base64.b64encode(f"{self.source.username}:{self.source.password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        return headers

    def poll(self, url: str) -> None:
        """One request; raises ``OSError`` / ``urllib.error.URLError`` on failure."""
        req = urllib.request.Request(url, headers=self._headers(url))
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                body = resp.read()
                validators = {
                    k.lower(): v for k, v in resp.headers.items() if k.lower() in ("etag", "last-modified")
                }
        except urllib.error.HTTPError as exc:
            if exc.code == 304:
                self.not_modified += 1
                return
            raise
        if validators:
            self._validators[url] = validators
        self.fetched += 1
        self.bridge.deliver(url, body)

    def _run(self) -> None:
        delay = 1.0
        while not self._stop.is_set():
            failed = ""
            for url in self.source.urls:
                try:
                    self.poll(url)
                except urllib.error.HTTPError as exc:
                    if exc.code in (401, 403):
                        self.bridge.fail(
                            f"source '{self.source.name}': {url} refused us (HTTP {exc.code} {exc.reason});"
                            " check username / password (or the API key in the URL) in the site file"
                        )
                        return
                    failed = f"{url}: HTTP {exc.code} {exc.reason}"
                except (OSError, ValueError) as exc:
                    reason = getattr(exc, "reason", exc)
                    failed = f"{url}: {reason}"
            if failed:
                self.bridge.upstream("down", failed + f"; retrying in {delay:g} s")
                self._stop.wait(delay)
                delay = min(delay * 2, self.source.reconnect_max_s)
                continue
            delay = 1.0
            if self.bridge.state != "stale":
                self.bridge.upstream("live", ", ".join(self.source.urls))
            self._stop.wait(self.source.poll_s)
