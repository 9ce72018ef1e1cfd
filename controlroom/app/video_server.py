"""The demo's local camera server: ``GET /cam/<camera id>/<sub|main>.mp4`` over HTTP on loopback.

It stands where a site's video platform would be (an NVR/VMS gateway handing out per-camera
stream URLs), so the app's video path (QtMultimedia over HTTP) is the real one. Clips are
rendered on first request (``demo_clips``) and cached; byte ranges are honoured because media
players probe and seek with them. Run with ``controlroom cameras serve`` or from the demo.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from controlroom.app.demo_clips import STREAMS, ensure_clip
from controlroom.feed.service_thread import ServiceThread

log = logging.getLogger(__name__)

DEFAULT_PORT = 8090
_PATH_RE = re.compile(r"^/cam/([^/]+)/(sub|main)\.mp4$")
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 64 * 1024


class _Handler(BaseHTTPRequestHandler):
    server: ClipServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        log.debug("video server: " + format, *args)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    def _serve(self, *, body: bool) -> None:
        from urllib.parse import unquote

        m = _PATH_RE.match(unquote(self.path.split("?", 1)[0]))
        if not m:
            self._fail(HTTPStatus.NOT_FOUND, "expected /cam/<camera id>/sub.mp4 or /cam/<camera id>/main.mp4")
            return
        camera_id, stream = m.groups()
        name = self.server.names.get(camera_id)
        if name is None:
            self._fail(HTTPStatus.NOT_FOUND, f"no camera '{camera_id}' on this server")
            return
        try:
            path = ensure_clip(self.server.folder, camera_id, name, stream)
        except Exception as exc:  # a broken encoder must not kill the server
            log.exception("video server: cannot render %s/%s", camera_id, stream)
            self._fail(HTTPStatus.INTERNAL_SERVER_ERROR, f"cannot render the clip: {exc}")
            return
        size = path.stat().st_size
        start, end = 0, size - 1
        status = HTTPStatus.OK
        rng = _RANGE_RE.match(self.headers.get("Range", "").strip())
        if rng and (rng.group(1) or rng.group(2)):
            if rng.group(1):
                start = int(rng.group(1))
                end = min(int(rng.group(2)), size - 1) if rng.group(2) else size - 1
            else:
                start = max(0, size - int(rng.group(2)))
            if start >= size or start > end:
                self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = HTTPStatus.PARTIAL_CONTENT
        self.send_response(status)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start + 1))
        if status == HTTPStatus.PARTIAL_CONTENT:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if not body:
            return
        try:
            with path.open("rb") as fh:
                fh.seek(start)
                left = end - start + 1
                while left > 0:
                    chunk = fh.read(min(_CHUNK, left))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    left -= len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the player closed the connection (tile hidden, stream switched)

    def _fail(self, status: HTTPStatus, message: str) -> None:
        data = (message + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


class ClipServer(ThreadingHTTPServer):
    """Serves each known camera's demo clip; ``names`` maps camera id → name burned into the clip."""

    daemon_threads = True

    def __init__(self, names: Mapping[str, str], folder: Path, host: str = "127.0.0.1", port: int = 0):
        self.names = dict(names)
        self.folder = Path(folder)
        self._thread: _Serving | None = None
        super().__init__((host, port), _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, camera_id: str, stream: str = "sub") -> str:
        if stream not in STREAMS:
            raise ValueError(f"unknown stream '{stream}'")
        return f"http://127.0.0.1:{self.port}/cam/{camera_id}/{stream}.mp4"

    def start_in_thread(self) -> ClipServer:
        """Serve from a named service thread (``clip-server``, joined by
        ``stop_all_service_threads`` at shut-down); ``close()`` stops it."""
        self._thread = _Serving(self)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
        self.server_close()


class _Serving(ServiceThread):
    """``serve_forever`` on a service thread; ``stop`` asks the server to shut down, then joins."""

    def __init__(self, server: ClipServer) -> None:
        super().__init__("clip-server", supervise=False)
        self.server = server

    def start(self) -> None:
        self._start_unwaited()

    def _run(self) -> None:
        self.server.serve_forever(poll_interval=0.1)

    def stop(self, timeout_s: float = 5.0) -> None:
        if self.running:
            self.server.shutdown()
        super().stop(timeout_s)


def site_camera_names(site_path: Path) -> dict[str, str]:
    """Camera id → name from a site's registry (positions are not needed to serve clips)."""
    from controlroom.core.site import load_site
    from controlroom.geo.cameras import load_cameras
    from controlroom.geo.crs import LocalFrame

    site = load_site(site_path)
    if site.cameras is None:
        return {}
    registry = load_cameras(site.cameras, LocalFrame(site.site.crs, 0.0, 0.0))
    return dict(zip(registry.ids, registry.names, strict=True))
