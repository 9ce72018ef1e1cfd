"""Record a live feed, replay it: the same frames, with the same spacing (scaled by --speed)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import zmq

from controlroom.core.issues import InputError
from controlroom.core.protocol import Position
from controlroom.feed.publisher import FeedPublisher
from controlroom.feed.recorder import MAGIC, read_recording, record, replay

from .conftest import wait_until

GAPS_S = [0.0, 0.05, 0.15, 0.02, 0.1]


def _record_some(tmp_path: Path) -> Path:
    out = tmp_path / "feed.crf"
    stop = threading.Event()
    ready = threading.Event()
    with FeedPublisher("tcp://127.0.0.1:*") as pub:
        t = threading.Thread(
            target=record, args=(pub.endpoint, out), kwargs={"stop": stop, "on_ready": ready.set}
        )
        t.start()
        ready.wait(2)
        # slow joiner: heartbeats until the recorder has at least one
        assert wait_until(lambda: (pub.heartbeat() or True) and out.stat().st_size > len(MAGIC) + 40, 5, 0.02)
        time.sleep(0.05)
        for i, gap in enumerate(GAPS_S):
            time.sleep(gap)
            pub.positions([Position(f"B{i}", "bus", 113.3157, 23.1226)])
        time.sleep(0.1)
        stop.set()
        t.join()
    return out


def _replay_and_listen(path: Path, speed: float, expect: int) -> list[tuple[float, bytes]]:
    ctx = zmq.Context.instance()
    bound: list[str] = []
    got: list[tuple[float, bytes]] = []
    ready = threading.Event()

    def on_bound(endpoint: str) -> None:
        bound.append(endpoint)
        ready.set()

    t = threading.Thread(
        target=replay, args=(path, "tcp://127.0.0.1:*", speed), kwargs={"on_bound": on_bound}
    )
    t.start()
    assert ready.wait(5)
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(bound[0])
    try:
        while len(got) < expect and sub.poll(2000):
            got.append((time.monotonic(), sub.recv()))
    finally:
        sub.close(0)
        t.join(5)
    return got


@pytest.mark.parametrize("speed", [1.0, 2.0])
def test_replay_reproduces_frames_and_timing(tmp_path: Path, speed: float) -> None:
    path = _record_some(tmp_path)
    recorded = list(read_recording(path))
    positions = [(t, f) for t, f in recorded if f.startswith(b"pos|")]
    assert len(positions) == len(GAPS_S)

    replayed = _replay_and_listen(path, speed, len(recorded))
    assert [f for _, f in replayed] == [f for _, f in recorded]  # byte for byte, in order
    rec_t = [t for t, f in recorded if f.startswith(b"pos|")]
    rep_t = [t for t, f in replayed if f.startswith(b"pos|")]
    for i in range(1, len(rec_t)):
        want = (rec_t[i] - rec_t[0]) / speed
        assert rep_t[i] - rep_t[0] == pytest.approx(want, abs=0.04)


def test_bad_recordings_are_reported(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a recording")
    with pytest.raises(InputError, match="not a controlroom feed recording"):
        list(read_recording(junk))
    path = _record_some(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:-3])  # recorder killed mid-write: the complete frames still replay
    assert len(list(read_recording(path))) >= len(GAPS_S)
    with pytest.raises(ValueError, match="positive"):
        replay(path, "tcp://127.0.0.1:*", speed=0)
