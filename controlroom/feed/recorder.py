"""Record a feed to a file and play it back on the same wire with its original timing.

For rehearsals, bug reports and tests: what the wall saw during an incident can be replayed
exactly (same frames, same gaps between them, optionally faster). The file is a small header
(``CRFEED1\\n``) followed by records of receive time (float64 seconds), frame length (uint32) and
the frame bytes, little-endian; frames are stored raw, so even bad ones replay as they came.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import zmq

from controlroom.core.issues import InputError
from controlroom.feed.keys import ClientSecurity, ServerSecurity, check_plaintext

MAGIC = b"CRFEED1\n"
_HEAD = struct.Struct("<dI")
MAX_FRAME = 256 * 1024 * 1024


def read_recording(path: Path) -> Iterator[tuple[float, bytes]]:
    """(receive time, frame) pairs; a truncated tail (recorder killed mid-write) is ignored."""
    with path.open("rb") as fh:
        if fh.read(len(MAGIC)) != MAGIC:
            raise InputError(
                f"{path}: not a controlroom feed recording (expected it to start with {MAGIC!r})"
            )
        while True:
            head = fh.read(_HEAD.size)
            if len(head) < _HEAD.size:
                return
            t, n = _HEAD.unpack(head)
            if n > MAX_FRAME:
                raise InputError(f"{path}: corrupt record (frame length {n} bytes)")
            frame = fh.read(n)
            if len(frame) < n:
                return
            yield t, frame


def record(
    endpoint: str,
    out: Path,
    seconds: float | None = None,
    stop: threading.Event | None = None,
    security: ClientSecurity | None = None,
    insecure: bool = False,
    on_ready: Callable[[], None] | None = None,
) -> int:
    """Subscribe to everything on ``endpoint`` and append frames to ``out``; returns frames written."""
    if security is None:
        check_plaintext(endpoint, insecure)
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.RCVHWM, 0)
    if security:
        security.apply(sub)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(endpoint)
    stop = stop or threading.Event()
    n = 0
    deadline = None if seconds is None else time.monotonic() + seconds
    try:
        with out.open("wb") as fh:
            fh.write(MAGIC)
            if on_ready:
                on_ready()
            while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
                if not sub.poll(50):
                    continue
                try:
                    while True:
                        frame = sub.recv(zmq.NOBLOCK)
                        fh.write(_HEAD.pack(time.time(), len(frame)))
                        fh.write(frame)
                        n += 1
                except zmq.Again:
                    pass
                fh.flush()  # a recorder killed later still leaves everything drained so far
    finally:
        sub.close(0)
        ctx.term()
    return n


def replay(
    path: Path,
    bind: str,
    speed: float = 1.0,
    wait_for_subscriber_s: float = 5.0,
    stop: threading.Event | None = None,
    security: ServerSecurity | None = None,
    insecure: bool = False,
    on_bound: Callable[[str], None] | None = None,
) -> int:
    """Publish a recording on ``bind`` with the recorded spacing divided by ``speed``.

    An XPUB is used so playback starts once a subscriber has joined (nothing is lost to the
    slow-joiner window), waiting at most ``wait_for_subscriber_s``. Returns frames sent.
    """
    if speed <= 0:
        raise ValueError(f"speed {speed}: expected a positive factor (2 = twice as fast)")
    if security is None:
        check_plaintext(bind, insecure)
    frames = read_recording(path)
    ctx = zmq.Context()
    if security:
        security.start(ctx)
    pub = ctx.socket(zmq.XPUB)
    pub.setsockopt(zmq.LINGER, 1000)
    pub.setsockopt(zmq.SNDHWM, 0)
    if security:
        security.apply(pub)
    stop = stop or threading.Event()
    sent = 0
    try:
        pub.bind(bind)
        if on_bound:
            on_bound(pub.getsockopt_string(zmq.LAST_ENDPOINT))
        if pub.poll(int(wait_for_subscriber_s * 1000)):
            pub.recv()
        t_first: float | None = None
        start = time.monotonic()
        for t, frame in frames:
            if stop.is_set():
                break
            if t_first is None:
                t_first = t
            due = start + (t - t_first) / speed
            delay = due - time.monotonic()
            if delay > 0 and stop.wait(delay):
                break
            pub.send(frame)
            sent += 1
    finally:
        pub.close()
        if security:
            security.stop()
        ctx.term()
    return sent
