"""The demo flow: click a camera on the 3D map and its live video plays in the video grid.

Both panels come from the app's panel factory on one ``LiveCity``, exactly as a desk or wall
builds them; the site's camera registry points at real clips served over HTTP by the demo's
clip server, and frames are counted at the tile's ``QVideoSink``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QWidget

from controlroom.app.demo_clips import ensure_clip
from controlroom.app.panel_factory import make_panel
from controlroom.app.video_server import ClipServer
from controlroom.core.site import parse_site
from controlroom.core.video_tile import TileState
from controlroom.render.picking import world_to_display
from tests.panels.live_city import SITE_TOML
from tests.render.city_factory import synthetic_city

pytestmark = pytest.mark.gui
CAMERAS = {"CAM-A": ("路口 A", 130.0, 170.0), "CAM-B": ("路口 B", 330.0, 170.0)}  # id: name, local x, y
SITE_CAMERAS = '\n[cameras]\npath = "cameras.csv"\ncrs = "EPSG:4326"\nformat = "csv"\n'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClipServer]:
    folder = tmp_path_factory.mktemp("click-clips")
    for cid, (name, _x, _y) in CAMERAS.items():
        ensure_clip(folder, cid, name, "sub")
    srv = ClipServer({cid: name for cid, (name, _x, _y) in CAMERAS.items()}, folder).start_in_thread()
    yield srv
    srv.close()


@pytest.fixture
def desk(qtbot, tmp_path: Path, server: ClipServer) -> Iterator[tuple[Any, Any, Any]]:  # type: ignore[no-untyped-def]
    from controlroom.qt.live import LiveCity

    live = LiveCity(parse_site(SITE_TOML + SITE_CAMERAS, tmp_path / "site.toml"), feed=False)
    live.set_model(synthetic_city(100))
    rows = ["id,name,lon,lat,sub_url,heading_deg,fov_deg"]
    for cid, (name, x, y) in CAMERAS.items():
        lon, lat = live.frame.to_wgs84([x], [y])
        rows.append(f"{cid},{name},{float(lon[0]):.9f},{float(lat[0]):.9f},{server.url(cid)},90,60")
    (tmp_path / "cameras.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    window = QWidget()
    row = QHBoxLayout(window)
    map_panel, grid = make_panel("map3d", live), make_panel("video_grid", live)
    row.addWidget(map_panel, 3)
    row.addWidget(grid, 2)
    window.resize(1400, 700)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        yield live, map_panel, grid
    finally:
        grid.close()
        map_panel.close()
        window.close()
        live.stop()
        live.deleteLater()


def test_clicking_a_camera_on_the_map_plays_it_in_the_grid(
    desk, qtbot, server: ClipServer, shots_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    live, map_panel, grid = desk
    name, x, y = CAMERAS["CAM-B"]
    map_panel.focus_on(x, y, 500.0)
    overlay = map_panel.overlay("cameras")
    qtbot.waitUntil(lambda: map_panel.refresh_overlays() or "CAM-B" in overlay.item_ids, timeout=5_000)
    assert not overlay.clustered and sorted(overlay.item_ids) == ["CAM-A", "CAM-B"]
    map_panel.plotter.render()
    anchor = overlay.anchors[overlay.item_ids.index("CAM-B")]
    dx, dy = world_to_display(map_panel.plotter, (x, y, float(anchor[2])))
    assert [t.camera for t in grid.tiles] == [None] * len(grid.tiles)  # nothing playing before the click
    with qtbot.waitSignal(live.sig_open_cameras, timeout=5_000) as opened:
        qtbot.mouseClick(map_panel.interactor, Qt.MouseButton.LeftButton, pos=map_panel.widget_point(dx, dy))
    assert opened.args == [["CAM-B"], name]
    tile = grid.tiles[0]
    assert tile.camera is not None and tile.camera.id == "CAM-B" and grid.title_label.text() == name
    frames = [0]
    tile.sink.videoFrameChanged.connect(lambda f: frames.__setitem__(0, frames[0] + int(f.isValid())))
    qtbot.waitUntil(lambda: frames[0] >= 15, timeout=15_000)
    assert tile.state == TileState.LIVE and tile.url == server.url("CAM-B")
    image = tile.current_image()
    assert image is not None and (image.width(), image.height()) == (384, 216)
    map_panel.window().grab().save(str(shots_dir / "camera_click_video.png"))  # what the operator sees
    assert grid.layout_name == "1" and [t.camera for t in grid.tiles[1:]] == [None] * (len(grid.tiles) - 1)
