"""With ``[feed] transport = "nats"`` the history recorder consumes the JetStream stream: a real
nats-server with JetStream, a publisher, the recorder joining late, and the state read back."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from controlroom.core.protocol import Position
from controlroom.core.site import load_site
from controlroom.feed.site_feed import open_site_publisher
from controlroom.geo.city_loader import site_frame
from controlroom.history.query import HistoryReader
from controlroom.history.recorder import Recorder
from tests.bridges.conftest import LAB, Server, free_port, nats_feed, wait_for, write_site

pytestmark = pytest.mark.slow


def test_the_recorder_records_from_the_jetstream_stream_and_the_state_reads_back(
    tmp_path: Path, nats_server: Server
) -> None:
    history = tmp_path / "history"
    feed = nats_feed(nats_server.port) + (
        f'\n[history]\nendpoint = "tcp://127.0.0.1:{free_port()}"\ndir = "{history}"\n'
        "keyframe_s = 1\nflush_s = 0.5\n"
    )
    site = load_site(write_site(tmp_path / "site", LAB, "", feed=feed))
    pub = open_site_publisher(site, "fleet")
    lon = [113.311 + 0.001 * i for i in range(3)]

    def send(lat: float) -> None:
        pub.positions([Position(f"BUS-{i}", "bus", lon[i], lat, 90.0, 5.0, "normal") for i in range(3)])

    send(23.120)  # before the recorder exists: it must find these in the stream
    rec = Recorder(site, gateway=False).start()
    runner = threading.Thread(target=rec.run, kwargs={"seconds": 60.0}, name="recorder")
    runner.start()
    try:
        frame = site_frame(site)
        wait_for(lambda: len(rec.feed.pump.entities) == 3, "the recorder to read the stream")
        time.sleep(2.5)  # a keyframe and a flush with the first positions
        t_first = time.time()
        time.sleep(1.5)
        send(23.122)  # live, while recording
        wait_for(lambda: float(rec.feed.pump.entities.y.max()) > frame.from_wgs84([lon[0]], [23.121])[1][0],
                 "the move to reach the recorder")  # fmt: skip
        time.sleep(2.5)
        t_moved = time.time()
        time.sleep(1.5)
    finally:
        rec.stop()
        runner.join(30)
        rec.close()
        pub.close()

    reader = HistoryReader(history)
    try:
        first, moved = reader.state_at(t_first), reader.state_at(t_moved)
    finally:
        reader.close()
    for state, lat in ((first, 23.120), (moved, 23.122)):
        rows = {r["id"]: r for r in state.entities.to_pylist()}
        assert sorted(rows) == ["BUS-0", "BUS-1", "BUS-2"]
        for i in range(3):
            x, y = frame.from_wgs84([lon[i]], [lat])
            assert rows[f"BUS-{i}"]["x"] == pytest.approx(x[0], abs=0.02)
            assert rows[f"BUS-{i}"]["y"] == pytest.approx(y[0], abs=0.02)
