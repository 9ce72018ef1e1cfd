"""``controlroom flood`` on the generated sample site: keys, files, GCJ-02 breach, nothing floods."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from controlroom.app.cli import main
from controlroom.app.sample_site import HALF_H
from controlroom.core.site import load_site
from controlroom.geo.crs import LocalFrame, from_wgs84
from controlroom.geo.terrain import load_terrain


@pytest.fixture(scope="module")
def _site(sample_site_factory: Callable[[str], Path]) -> Path:
    return sample_site_factory("flood-site").parent


@pytest.fixture
def site_dir(_site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The module's sample site, with one mesh cache for the module: each command reads the city
    back from it instead of rebuilding 23,000 buildings."""
    monkeypatch.setenv("CONTROLROOM_CACHE_DIR", str(_site / "cache"))
    return _site


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    rc = main(["flood", *args, "--json"])
    out = capsys.readouterr()
    return rc, (json.loads(out.out) if out.out.strip() else {}), out.err


def test_a_rise_floods_the_banks_by_district_with_files(
    site_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gj, ev, png, shot = (
        tmp_path / "w.geojson",
        tmp_path / "evac.csv",
        tmp_path / "map.png",
        tmp_path / "3d.png",
    )
    rc, out, _ = _run(
        capsys,
        "--site",
        str(site_dir),
        "--rise",
        "1.6",
        "--gauge",
        "RIVER00",
        "--reading",
        "2.6",
        "--out-geojson",
        str(gj),
        "--out-csv",
        str(ev),
        "--map-png",
        str(png),
        "--snapshot",
        str(shot),
    )
    assert rc == 0
    assert out["level_m"] == 4.2 and out["gauge"] == "RIVER00" and out["how"] == "river"
    b = out["buildings"]
    assert b["flooded"] > 100 and b["wet"] > 100 and b["flooded"] + b["wet"] + b["dry"] > 20_000
    assert 0 < out["area_km2"] < 10 and out["roads_cut_km"] > 1 and out["cameras"] > 0
    assert set(out["by_district"]) == {"珠北区", "东湖区", "南洲区"}
    assert sum(d["flooded"] for d in out["by_district"].values()) == b["flooded"]
    assert sum(d["people"] for d in out["by_district"].values()) == out["people"] > 0
    assert out["by_grid"] and out["by_street"]
    doc = json.loads(gj.read_text(encoding="utf-8"))
    kinds = [f["properties"]["kind"] for f in doc["features"]]
    assert kinds.count("building") == b["flooded"] + b["wet"] and "water" in kinds
    lon, lat = np.array(
        [f["geometry"]["coordinates"] for f in doc["features"] if f["geometry"]["type"] == "Point"]
    ).T
    assert lon.min() > 113.28 and lon.max() < 113.36 and lat.min() > 23.08 and lat.max() < 23.14
    rows = list(csv.reader(ev.read_text(encoding="utf-8-sig").splitlines()))
    assert (
        rows[0][:3] == ["区 District", "街道 Street", "网格 Grid"]
        and len(rows) == 1 + b["flooded"] + b["wet"]
    )
    assert png.read_bytes()[:4] == b"\x89PNG"
    from PIL import Image

    with Image.open(shot) as im:  # the 3D view: water blues and flooded reds both on screen
        rgb = np.asarray(im.convert("RGB")).reshape(-1, 3).astype(int)
    assert im.size == (1600, 900)
    assert np.mean((rgb[:, 2] > rgb[:, 0] + 60) & (rgb[:, 2] > 120)) > 0.005
    assert np.mean((rgb[:, 0] > rgb[:, 1] + 80) & (rgb[:, 0] > 150)) > 0.001
    # the same water as an absolute level
    rc, same, _ = _run(capsys, "--site", str(site_dir), "--level", "4.2")
    assert same["buildings"] == b


def test_a_level_below_the_river_bed_floods_nothing(
    site_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, _ = _run(capsys, "--site", str(site_dir), "--level", "-3")
    assert rc == 0
    assert out["message"] == "nothing floods: -3 m is at or below the river bed (-1.90 m)"
    assert out["area_km2"] == 0 and out["buildings"]["flooded"] == out["buildings"]["wet"] == 0
    assert out["roads_cut_km"] == 0 and out["by_district"] == {}


def test_a_gcj02_breach_point_floods_the_creek_behind_it(
    site_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The western creek is a channel (bed −1.9 m) that does not reach the river: at 0 m the river
    floods no land, a breach in the creek floods the creek. Given in GCJ-02 as a Chinese web map
    would give it, the point is converted; read as WGS 84 it lands ~600 m off, on dry high ground."""
    site = load_site(site_dir)
    assert site.site.origin is not None
    frame = LocalFrame.at_wgs84(site.site.crs, *site.site.origin)
    ground = load_terrain(site.terrain, frame)  # type: ignore[arg-type]
    t = 0.5  # halfway along the creek that starts at x0 = −2600 (sample_site._water)
    cx, cy = -2600 + 900 * t + 60 * np.sin(9 * t), -HALF_H + 50 + 1100 * t + 40 * np.sin(13 * t)
    i, j, _ = ground.index([cx], [cy])
    win = ground.z[i[0] - 3 : i[0] + 4, j[0] - 3 : j[0] + 4]
    di, dj = np.unravel_index(np.argmin(win), win.shape)
    assert win[di, dj] < 0  # the creek bed
    bx, by = ground.x0 + (j[0] - 3 + dj) * ground.cell, ground.y0 + (i[0] - 3 + di) * ground.cell
    lon, lat = frame.to_wgs84([bx], [by])
    glon, glat = from_wgs84(lon, lat, "gcj02")
    rc, river, _ = _run(capsys, "--site", str(site_dir), "--level", "0")
    assert rc == 0 and river["area_km2"] == 0 and "no ground outside the river" in river["message"]
    rc, creek, _ = _run(
        capsys,
        "--site",
        str(site_dir),
        "--level",
        "0",
        "--breach",
        f"{glon[0]:.7f}",
        f"{glat[0]:.7f}",
        "--crs",
        "gcj02",
    )
    assert rc == 0 and creek["how"] == "breach" and creek["breach"]["crs"] == "gcj02"
    assert 0.003 < creek["area_km2"] < 0.1 and "message" not in creek
    rc, naive, _ = _run(
        capsys, "--site", str(site_dir), "--level", "0", "--breach", f"{glon[0]:.7f}", f"{glat[0]:.7f}"
    )
    assert rc == 0 and naive["area_km2"] == 0 and "breach point's ground" in naive["message"]


def test_a_rise_without_a_reading_asks_the_feed_and_says_when_it_is_silent(
    site_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["flood", "--site", str(site_dir), "--rise", "1", "--gauge", "RIVER09", "--wait", "0.3"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "no reading from gauge 'RIVER09' on tcp://127.0.0.1:7710 within 0.3 s" in err
    assert "start it, or give --reading M" in err


def _variant(site_dir: Path, name: str, edit: Callable[[str], str]) -> Path:
    """The sample site's file, edited, written beside it (its data paths stay valid)."""
    path = site_dir / name
    path.write_text(edit((site_dir / "site.toml").read_text(encoding="utf-8")), encoding="utf-8")
    return path


def test_a_live_gauge_on_the_feed_drives_the_rise(site_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """RIVER00 publishes 2.9 m on a real publisher (loopback, snapshot server): "+1.3 m over the
    gauge" is then the 4.2 m flood, the same buildings as --level 4.2."""
    from controlroom.core.protocol import SensorReading
    from controlroom.feed.publisher import FeedPublisher

    pub = FeedPublisher(
        "tcp://127.0.0.1:*", snapshot_endpoint="tcp://127.0.0.1:*", source="gauges", insecure=True
    )
    try:
        pub.sensors([SensorReading("RIVER00", "river_level", 2.9, 113.31, 23.11, "m")])
        site = _variant(
            site_dir,
            "live.toml",
            lambda t: t.replace('"tcp://127.0.0.1:7710"', f'"{pub.endpoint}"').replace(
                '"tcp://127.0.0.1:7711"', f'"{pub.snapshot_endpoint}"'
            ),
        )
        rc, out, err = _run(
            capsys, "--site", str(site), "--rise", "1.3", "--gauge", "RIVER00", "--wait", "20"
        )
    finally:
        pub.close()
    assert rc == 0, err
    assert out["reading_m"] == 2.9 and out["rise_m"] == 1.3 and out["level_m"] == 4.2
    rc, same, _ = _run(capsys, "--site", str(site_dir), "--level", "4.2")
    assert out["buildings"] == same["buildings"] and out["buildings"]["flooded"] > 100


def test_without_terrain_it_says_so_and_offers_flat_ground(
    site_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No [terrain]: refused by name, pointing at --flat-ground; with it, ground flat at
    flat_ground_m: below it nothing floods, above it every building the river reaches is wet."""

    def flat(text: str) -> str:
        text = re.sub(r"\[terrain\]\n(.+\n)+", "", text)  # the section, up to its blank line
        return text.replace("[flood]\n", "[flood]\nflat_ground_m = 3.1\n")

    site = _variant(site_dir, "flat.toml", flat)
    assert "[terrain]" not in site.read_text(encoding="utf-8")
    rc = main(["flood", "--site", str(site), "--level", "4.0", "--json"])
    err = capsys.readouterr().err
    assert rc == 2 and "the site has no [terrain]" in err and "pass --flat-ground" in err
    rc, low, err = _run(capsys, "--site", str(site), "--level", "3.0", "--flat-ground")
    assert rc == 0 and low["ground"] == "flat" and low["flat_ground_m"] == 3.1
    assert low["area_km2"] == 0 and low["buildings"]["wet"] == 0
    assert "flat ground at 3.1 m assumed outside the water layer" in err
    rc, high, _ = _run(capsys, "--site", str(site), "--level", "3.35", "--flat-ground")
    b = high["buildings"]
    assert rc == 0 and b["dry"] == 0 and b["wet"] > 20_000 and b["flooded"] == 0  # 0.25 m everywhere
    assert high["max_depth_m"] == pytest.approx(0.25, abs=0.01) and high["roads_cut_km"] == 0
