#!/usr/bin/python3
"""Serve an H.264 MP4 clip over RTSP, like an IP camera, for tests and demos.

Run with the SYSTEM python3 (Debian's ``python3-gi`` and ``gir1.2-gst-rtsp-server-1.0``; the
project venv has no GObject bindings):

    /usr/bin/python3 scripts/rtsp-test-server.py CLIP.mp4 --port 8554 [--path /cam]

The clip is sent as-is (no re-encoding: ``qtdemux ! h264parse ! rtph264pay``), so it must hold
H.264 video, which the demo clips (``controlroom.app.demo_clips``, libx264) do. Each client gets
its own pipeline from the start of the clip, paced in real time; at the clip's end the stream
ends (a client that reconnects sees it again), as a camera that drops its session would.
Prints ``READY rtsp://HOST:PORT/PATH`` on stdout once it listens; SIGTERM/SIGINT stop it.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def _launch_line(clip: Path) -> str:
    # config-interval=-1 repeats SPS/PPS with every key frame, so a client joining late decodes.
    location = str(clip).replace("\\", "\\\\").replace('"', '\\"')
    return (
        f'( filesrc location="{location}" ! qtdemux ! h264parse ! '
        "rtph264pay name=pay0 pt=96 config-interval=-1 )"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", type=Path, help="an MP4 file with H.264 video")
    parser.add_argument("--port", type=int, default=8554, help="TCP port (0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--path", default="/cam", help="mount point, e.g. /cam")
    args = parser.parse_args(argv)
    if not args.clip.is_file():
        print(f"{args.clip}: no such file; expected an MP4 clip with H.264 video", file=sys.stderr)
        return 2
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(_launch_line(args.clip.resolve()))
    factory.set_shared(False)
    path = args.path if args.path.startswith("/") else "/" + args.path
    server.get_mount_points().add_factory(path, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on {args.host}:{args.port}", file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"READY rtsp://{args.host}:{server.get_bound_port()}{path}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
