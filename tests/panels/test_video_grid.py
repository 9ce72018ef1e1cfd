"""The video grid plays real clips (file and HTTP), shows honest tile states and recovers on its own.

Frames are counted through each tile's ``QVideoSink`` (the decoder's output), never by grabbing
a video widget. Clips are rendered by the demo's generator and served by its real HTTP server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from controlroom.app.demo_clips import ensure_clip
from controlroom.app.video_server import ClipServer
from controlroom.core.cameras import Camera, CameraRegistry
from controlroom.core.video_tile import Backoff, TileMachine, TileState
from controlroom.panels.video_grid import LAYOUTS, VideoGridPanel, layout_for

pytestmark = pytest.mark.gui
IDS = [f"T{i:02d}" for i in range(16)]


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    for cid in IDS:
        ensure_clip(folder, cid, f"测试 {cid}", "sub")
    ensure_clip(folder, IDS[0], f"测试 {IDS[0]}", "main")
    return folder


@pytest.fixture(scope="module")
def server(clips: Path) -> Iterator[ClipServer]:
    srv = ClipServer({cid: cid for cid in IDS}, clips).start_in_thread()
    yield srv
    srv.close()


def _camera(cid: str, sub: str, main: str = "") -> Camera:
    return Camera(id=cid, name=f"测试 {cid}", x=0.0, y=0.0, lon=113.3, lat=23.1, sub_url=sub, main_url=main)


@pytest.fixture
def panel(qtbot) -> Iterator[VideoGridPanel]:  # type: ignore[no-untyped-def]
    p = VideoGridPanel()
    qtbot.addWidget(p)
    p.resize(1200, 760)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.close()


def _count_frames(tile) -> list[int]:  # type: ignore[no-untyped-def]
    seen = [0]
    tile.sink.videoFrameChanged.connect(lambda frame: seen.__setitem__(0, seen[0] + int(frame.isValid())))
    return seen


def test_plays_a_file_and_http(panel: VideoGridPanel, qtbot, clips: Path, server: ClipServer) -> None:  # type: ignore[no-untyped-def]
    panel.open_cameras(
        [_camera("F", str(clips / IDS[0] / "sub.mp4")), _camera("H", server.url(IDS[1]))], "two"
    )
    assert panel.layout_name == "4" and panel.title_label.text() == "two"
    file_tile, http_tile = panel.tiles[0], panel.tiles[1]
    counts = [_count_frames(file_tile), _count_frames(http_tile)]
    qtbot.waitUntil(lambda: counts[0][0] >= 20 and counts[1][0] >= 20, timeout=15000)
    assert file_tile.state == http_tile.state == TileState.LIVE
    image = http_tile.current_image()
    assert image is not None and (image.width(), image.height()) == (384, 216)
    age = http_tile.machine.frame_age(http_tile._clock())
    assert age is not None and age < 1.0
    assert [t.is_decoding() for t in panel.tiles[2:4]] == [False, False]  # empty tiles decode nothing


def test_bad_url_shows_the_error_and_retries_while_others_play(
    panel: VideoGridPanel, qtbot, server: ClipServer
) -> None:  # type: ignore[no-untyped-def]
    panel.open_cameras([_camera("ok", server.url(IDS[2])), _camera("bad", "http://127.0.0.1:9/none.mp4")])
    good, bad = panel.tiles[0], panel.tiles[1]
    qtbot.waitUntil(lambda: bad.state == TileState.ERROR and good.state == TileState.LIVE, timeout=15000)
    assert bad.machine.reason  # FFmpeg's reason, shown on the tile
    qtbot.waitUntil(lambda: bad.machine.backoff.failures >= 2, timeout=8000)  # retried on its own
    assert good.state == TileState.LIVE and panel.isVisible()
    no_url = _camera("nourl", "")
    panel.open_cameras([no_url])
    assert panel.tiles[0].state == TileState.ERROR and "no stream URL" in panel.tiles[0].machine.reason


class _StallingHandler(BaseHTTPRequestHandler):
    """First request: the clip's first third, then silence until released, then a dropped connection."""

    data = b""
    requests = 0
    release = threading.Event()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        cls = type(self)
        cls.requests += 1
        first = cls.requests == 1
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(len(cls.data)))
        self.end_headers()
        try:
            if first:
                self.wfile.write(cls.data[: len(cls.data) // 3])
                self.wfile.flush()
                cls.release.wait(20)
                return  # connection closed mid-stream
            self.wfile.write(cls.data)
        except (BrokenPipeError, ConnectionResetError):
            pass


def test_a_stream_that_stops_shows_stalled_then_reconnects(panel: VideoGridPanel, qtbot, clips: Path) -> None:  # type: ignore[no-untyped-def]
    _StallingHandler.data = (clips / IDS[3] / "sub.mp4").read_bytes()
    _StallingHandler.requests = 0
    _StallingHandler.release.clear()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _StallingHandler)
    thread = threading.Thread(target=httpd.serve_forever, name="stalling-server")
    thread.start()
    try:
        tile = panel.tiles[0]
        # Qt reports the dropped connection as an error at once, or (on a loaded machine, seen in
        # CI) shows one more buffered frame and goes quiet: then the stalled tile reconnects itself
        tile.machine = TileMachine(stall_after_s=0.6, reconnect_stalled_after_s=3.0, backoff=Backoff(0.2))
        panel.open_cameras([_camera("S", f"http://127.0.0.1:{httpd.server_address[1]}/s.mp4")])
        qtbot.waitUntil(lambda: tile.state == TileState.LIVE, timeout=10000)
        qtbot.waitUntil(lambda: tile.state == TileState.STALLED, timeout=10000)
        frames_before = tile.machine.frames
        _StallingHandler.release.set()  # the source drops the connection; the next one serves fully
        qtbot.waitUntil(lambda: tile.state == TileState.LIVE and tile.machine.frames > frames_before + 10,
                        timeout=15000)  # fmt: skip
        assert _StallingHandler.requests >= 2
    finally:
        _StallingHandler.release.set()
        panel.clear()
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_sixteen_tiles_enlarge_swap_and_snapshot(
    panel: VideoGridPanel, qtbot, server: ClipServer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    cams = [_camera(cid, server.url(cid), server.url(cid, "main") if cid == IDS[0] else "") for cid in IDS]
    panel.open_cameras(cams, "sixteen")
    assert panel.layout_name == "16" and len(panel.visible_tiles()) == 16
    qtbot.waitUntil(lambda: all(t.machine.frames >= 5 for t in panel.tiles), timeout=30000)
    assert all(t.state == TileState.LIVE for t in panel.tiles)

    first = panel.tiles[0]
    qtbot.mouseDClick(first, __import__("PySide6.QtCore").QtCore.Qt.MouseButton.LeftButton)
    assert panel.enlarged is first and first.main_stream and panel.visible_tiles() == [first]
    qtbot.waitUntil(lambda: not any(t.is_decoding() for t in panel.tiles[1:]), timeout=5000)
    qtbot.waitUntil(lambda: (first.current_image() or _Null()).width() == 960, timeout=15000)  # main stream
    path = first.snapshot(tmp_path / "snap.png")
    from PySide6.QtGui import QImage

    assert QImage(str(path)).size().toTuple() == (960, 540)
    panel.enlarge(None)
    assert not first.main_stream and len(panel.visible_tiles()) == 16
    qtbot.waitUntil(lambda: all(t.is_decoding() for t in panel.tiles), timeout=10000)

    a, b = panel.tiles[0], panel.tiles[5]
    frames_b = b.machine.frames
    panel.swap(0, 5)
    assert panel.tiles[0] is b and panel.tiles[5] is a and (a.slot, b.slot) == (5, 0)
    qtbot.waitUntil(lambda: b.machine.frames > frames_b + 5, timeout=5000)  # kept playing, no reconnect
    assert b.state == TileState.LIVE and panel._grid.getItemPosition(panel._grid.indexOf(b))[:2] == (0, 0)


class _Null:
    def width(self) -> int:
        return 0


def test_layouts_and_cameras_from_the_registry(panel: VideoGridPanel, server: ClipServer) -> None:
    assert [layout_for(n) for n in (1, 2, 4, 5, 6, 7, 9, 10, 30)] == [
        "1",
        "4",
        "4",
        "1+5",
        "1+5",
        "9",
        "9",
        "16",
        "16",
    ]
    for name, cells in LAYOUTS.items():
        panel.set_layout(name)
        assert len(panel.visible_tiles()) == len(cells)
    ids = IDS[:8]
    reg = CameraRegistry(
        ids, ids, [float(i * 100) for i in range(8)], [0.0] * 8, [0.0] * 8, [0.0] * 8,
        sub_urls=[server.url(c) for c in ids], nearest_n=3,
    )  # fmt: skip
    panel._registry = lambda: reg
    opened = panel.open_nearest(210.0, 0.0, "Incident 42")
    assert [c.id for c in opened] == ["T02", "T03", "T01"] and panel.layout_name == "4"
    assert [t.camera.id if t.camera else None for t in panel.tiles[:4]] == ["T02", "T03", "T01", None]
    panel.open_camera_ids(["T05", "NOPE"], "picked")
    assert panel.tiles[0].camera is not None and panel.tiles[0].camera.id == "T05"
    assert "NOPE" in panel.message_label.text() and panel.layout_name == "1"


def test_an_idle_grid_follows_the_most_severe_new_incident(qtbot, tmp_path: Path, server: ClipServer) -> None:  # type: ignore[no-untyped-def]
    """A wall's grid at start: nobody chose cameras, so a new incident's cameras come up by themselves;
    once cameras are showing, a later incident leaves them alone."""
    from controlroom.core.protocol import Incident
    from tests.panels.live_city import Clock, live_city

    with live_city(tmp_path, Clock()) as (live, pub):
        grid = VideoGridPanel()
        qtbot.addWidget(grid)
        ids = IDS[:6]
        lon, lat = (float(v[0]) for v in live.frame.to_wgs84([0.0], [0.0]))
        reg = CameraRegistry(
            ids, ids, [float(i * 100) for i in range(6)], [0.0] * 6, [0.0] * 6, [0.0] * 6,
            sub_urls=[server.url(c) for c in ids], nearest_n=2,
        )  # fmt: skip
        grid._registry = lambda: reg
        grid.attach_live(live)
        assert grid.is_idle()

        def publish(incident: Incident) -> None:
            def arrived() -> bool:
                pub.incidents([incident])
                live.pump_now()
                return live.incidents is not None and incident.id in live.incidents

            qtbot.waitUntil(arrived, timeout=5_000)

        publish(Incident("INC-1", "garbage_piled_up", 1, lon, lat, text="Garbage piled up"))
        assert [t.camera.id for t in grid.tiles if t.camera] == ["T00", "T01"], "the 2 nearest cameras"
        assert grid.title_label.text() == "Garbage piled up · INC-1"  # our words, not the feed text
        publish(Incident("INC-2", "illegal_parking", 3, lon, lat, camera_ids=["T05"]))
        assert [t.camera.id for t in grid.tiles if t.camera] == ["T00", "T01"], "a busy grid is left alone"
        grid.clear()
        grid.shutdown()


def test_in_replay_a_clip_seeks_to_the_instant_and_a_camera_without_recording_says_so(
    panel: VideoGridPanel, qtbot, clips: Path
) -> None:  # type: ignore[no-untyped-def]
    from controlroom.core.video_playback import VideoPlaybackSource, replay_source

    groups = [VideoPlaybackSource(cameras="F*", url="{sub_url}", seek="loop")]
    panel.open_cameras(
        [_camera("F1", str(clips / IDS[0] / "sub.mp4")), _camera("N1", str(clips / IDS[1] / "sub.mp4"))]
    )
    recorded, unrecorded = panel.tiles[0], panel.tiles[1]
    t = 1_796_536_923.0  # the clip loops: its length divides this instant somewhere inside
    for tile in (recorded, unrecorded):
        assert tile.camera is not None
        tile.set_replay(replay_source(tile.camera, t, groups, "UTC"), replaying=True, playing=False)
    qtbot.waitUntil(lambda: unrecorded.machine.state == TileState.ERROR, timeout=5000)
    assert unrecorded.machine.reason == "no recording of this camera at this time"
    qtbot.waitUntil(lambda: recorded.player.duration() > 0 and recorded.player.position() > 0, timeout=15000)
    duration = recorded.player.duration()
    assert abs(recorded.player.position() - int(t * 1000) % duration) < 600  # at the instant, paused
    recorded.set_replay(None, replaying=False)  # back to live: the live stream again
    unrecorded.set_replay(None, replaying=False)
    qtbot.waitUntil(lambda: unrecorded.machine.state != TileState.ERROR, timeout=5000)


def test_tile_captions_name_each_camera_in_the_apps_language(panel: VideoGridPanel) -> None:
    """A site naming its cameras per language: the tile reads "Heng 6 Road No. 1" in English and
    "横6路 1号" in Chinese; a camera with no English name keeps the data's name in both."""
    from controlroom.qt.i18n import install_language

    reg = CameraRegistry(
        ["C1", "C2"], ["横6路 1号", "纵2路 2号"], [0.0, 50.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0],
        names_in={"en": ["Heng 6 Road No. 1", ""], "zh_CN": ["横6路 1号", "纵2路 2号"]},
    )  # fmt: skip
    panel._registry = lambda: reg
    panel.open_camera_ids(["C1", "C2"], "picked")
    try:
        install_language("zh_CN")
        assert [t.caption() for t in panel.tiles[:2]] == ["横6路 1号", "纵2路 2号"]
        install_language("en")
        assert [t.caption() for t in panel.tiles[:2]] == ["Heng 6 Road No. 1", "纵2路 2号"]
    finally:
        install_language("en")
