"""``controlroom cameras nearest|search`` and the demo clip server, as an installer or the demo runs them."""

from __future__ import annotations

import argparse
import json
import urllib.error
import urllib.request
from pathlib import Path

import av
import numpy as np
import pytest

from controlroom.app.commands import cameras as cmd_cameras
from controlroom.app.video_server import ClipServer, site_camera_names
from controlroom.geo.crs import LocalFrame

HEADER = "id,name,lon,lat,main_url,sub_url,ptz,heading_deg,fov_deg,district,grid,tags\n"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    rng = np.random.default_rng(5)
    lon = 113.32 + rng.uniform(-0.03, 0.03, 300)
    lat = 23.11 + rng.uniform(-0.02, 0.02, 300)
    rows = "".join(f"K{i:03d},路口 {i}号,{lon[i]:.7f},{lat[i]:.7f},,,,,,,,road\n" for i in range(300))
    (tmp_path / "cameras.csv").write_text(HEADER + rows, encoding="utf-8")
    (tmp_path / "site.toml").write_text(
        'schema = 1\n[site]\nname = "t"\ntitle = "T"\ncrs = "EPSG:32649"\n'
        '[[city_model]]\npath = "b.parquet"\n[cameras]\npath = "cameras.csv"\ncrs = "EPSG:4326"\n',
        encoding="utf-8",
    )
    return tmp_path / "site.toml"


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="controlroom")
    cmd_cameras.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.handler(args))


def test_nearest_json_matches_brute_force(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["cameras", "nearest", "--site", str(site), "113.321", "23.112", "--n", "5", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [set(r) for r in rows] == [{"id", "name", "distance_m"}] * 5
    frame = LocalFrame("EPSG:32649", 0.0, 0.0)
    import csv

    with (site.parent / "cameras.csv").open(encoding="utf-8") as fh:
        recs = list(csv.DictReader(fh))
    x, y = frame.from_wgs84([float(r["lon"]) for r in recs], [float(r["lat"]) for r in recs])
    qx, qy = frame.from_wgs84(113.321, 23.112)
    d = np.hypot(x - qx, y - qy)
    order = np.argsort(d)[:5]
    assert [r["id"] for r in rows] == [recs[i]["id"] for i in order]
    assert [r["distance_m"] for r in rows] == pytest.approx(d[order].tolist(), abs=0.01)
    assert rows[0]["name"] == recs[order[0]]["name"]


def test_nearest_default_n_crs_and_errors(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        _run(["cameras", "nearest", "--site", str(site), "113.326", "23.107", "--crs", "gcj02", "--json"])
        == 0
    )
    assert len(json.loads(capsys.readouterr().out)) == 4  # the site's default nearest_n
    assert _run(["cameras", "nearest", "--site", str(site.parent / "nope"), "113", "23", "--json"]) == 1
    assert "no such file" in capsys.readouterr().err
    (site.parent / "cameras.csv").write_text(HEADER + "A,a,east,23,,,,,,,,\n", encoding="utf-8")
    assert _run(["cameras", "nearest", "--site", str(site), "113", "23"]) == 1
    assert "row 2: column 'lon' is 'east'" in capsys.readouterr().err


def test_search_json(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["cameras", "search", "--site", str(site), "路口 12号", "--json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == ["K012"]


def test_clip_server_renders_serves_ranges_and_refuses_unknown(site: Path, tmp_path: Path) -> None:
    names = site_camera_names(site)
    assert names["K007"] == "路口 7号"
    server = ClipServer(names, tmp_path / "clips").start_in_thread()
    try:
        data = urllib.request.urlopen(server.url("K007"), timeout=30).read()
        (tmp_path / "got.mp4").write_bytes(data)
        with av.open(str(tmp_path / "got.mp4")) as container:
            frames = [f for f in container.decode(video=0)]
        assert len(frames) == 60 and (frames[0].width, frames[0].height) == (384, 216)
        req = urllib.request.Request(server.url("K007"), headers={"Range": "bytes=100-199"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 206 and resp.read() == data[100:200]
            assert resp.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(server.url("NOPE"), timeout=10)
        assert err.value.code == 404 and b"no camera 'NOPE'" in err.value.read()
    finally:
        server.close()
