"""A video tile plays a real RTSP camera: Debian's gst-rtsp-server serves a demo clip, Qt decodes it.

The server is ``scripts/rtsp-test-server.py`` under the system python3 (GObject bindings live
there, not in the venv); frames are counted at the tile's ``QVideoSink``, the decoder's output.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from controlroom.app.demo_clips import ensure_clip
from controlroom.core.cameras import Camera
from controlroom.core.video_tile import TileState
from controlroom.qt.video_tile import VideoTile

pytestmark = pytest.mark.gui
SYSTEM_PYTHON = "/usr/bin/python3"
SERVER = Path(__file__).resolve().parents[2] / "scripts" / "rtsp-test-server.py"
PROBE = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"
APT = "gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-good gstreamer1.0-plugins-bad"


def _require_gst_rtsp_server() -> None:
    try:
        probe = subprocess.run([SYSTEM_PYTHON, "-c", PROBE], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"RTSP test needs {SYSTEM_PYTHON} with GstRtspServer ({exc}); apt-get install {APT}")
    if probe.returncode != 0:
        reason = (probe.stderr.strip().splitlines() or ["import failed"])[-1]
        pytest.skip(f"{SYSTEM_PYTHON} cannot import gi's GstRtspServer ({reason}); apt-get install {APT}")


@pytest.fixture(scope="module")
def rtsp_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_gst_rtsp_server()
    clip = ensure_clip(tmp_path_factory.mktemp("rtsp-clips"), "RTSP-1", "RTSP 摄像机", "sub")
    proc = subprocess.Popen(
        [SYSTEM_PYTHON, str(SERVER), str(clip), "--port", "0", "--path", "/cam"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()))  # type: ignore[union-attr]
        reader.start()
        reader.join(20)
        if not line or not line[0].startswith("READY "):
            proc.kill()
            _, err = proc.communicate(timeout=10)
            reader.join(5)
            pytest.fail(f"rtsp-test-server did not start: {line[0] if line else 'no output'} {err.strip()}")
        yield line[0].split()[1]
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_an_rtsp_camera_plays_in_a_tile(qtbot, rtsp_url: str) -> None:  # type: ignore[no-untyped-def]
    assert rtsp_url.startswith("rtsp://127.0.0.1:") and rtsp_url.endswith("/cam")
    tile = VideoTile(0)
    qtbot.addWidget(tile)
    frames = [0]
    tile.sink.videoFrameChanged.connect(lambda f: frames.__setitem__(0, frames[0] + int(f.isValid())))
    tile.resize(480, 270)
    tile.show()
    qtbot.waitExposed(tile)
    try:
        camera = Camera(id="RTSP-1", name="RTSP 摄像机", x=0.0, y=0.0, lon=113.3, lat=23.1, sub_url=rtsp_url)
        tile.set_camera(camera)
        assert tile.state == TileState.CONNECTING and tile.url == rtsp_url
        qtbot.waitUntil(lambda: frames[0] >= 20, timeout=15_000)
        assert tile.state == TileState.LIVE and tile.machine.frames >= 20
        image = tile.current_image()
        assert image is not None and (image.width(), image.height()) == (384, 216)  # the clip's sub-stream
        centre = image.pixelColor(image.width() // 2, image.height() // 2)
        assert max(centre.red(), centre.green(), centre.blue()) > 20  # a picture, not a black frame
    finally:
        tile.shutdown()
        tile.close()


def test_the_server_names_a_missing_clip(tmp_path: Path) -> None:
    _require_gst_rtsp_server()
    missing = tmp_path / "none.mp4"
    done = subprocess.run(
        [SYSTEM_PYTHON, str(SERVER), str(missing), "--port", "0"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2 and str(missing) in done.stderr and "H.264" in done.stderr
