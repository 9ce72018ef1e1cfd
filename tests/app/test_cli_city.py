"""``city info`` and ``snapshot``: the JSON keys and files installers and scripts rely on."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from controlroom.app.cli import main


def _json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_city_info_on_denhaag(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    info = _json(capsys, ["city", "info", str(shared_data / "cityjson" / "DenHaag_01.city.json"), "--json"])
    assert info["format"] == "cityjson" and info["version"] == "2.0" and info["crs"] == "EPSG:7415"
    assert info["objects"]["Building"] == 844 and info["objects"]["BuildingPart"] == 1653
    assert info["triangles"] > 10_000
    minlon, minlat, maxlon, maxlat = info["bbox_wgs84"]
    assert 4.2 < minlon < maxlon < 4.5 and 52.0 < minlat < maxlat < 52.2


def test_city_info_on_gcj02_footprints_is_converted(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(shared_data / "guangzhou" / "huacheng-osm-buildings.geojson")
    wgs = _json(capsys, ["city", "info", path, "--json"])
    gcj = _json(capsys, ["city", "info", path, "--crs", "gcj02", "--json"])
    assert wgs["objects"] == {"footprint": 52} and wgs["format"] == "geojson"
    # the same numbers read as GCJ-02 are ~0.005° east of where they are read as WGS 84
    assert 0.003 < wgs["bbox_wgs84"][0] - gcj["bbox_wgs84"][0] < 0.008


def test_city_info_on_a_broken_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.city.json"
    bad.write_text('{"type": "CityJSON", "version": "2.0", "vertices": [[0, 0', encoding="utf-8")
    assert main(["city", "info", str(bad), "--json"]) == 1
    err = capsys.readouterr().err
    assert "bad.city.json" in err and err.startswith("error:")


def test_snapshot_writes_a_city_png(
    tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site.toml"
    site.write_text(
        f'''schema = 1
[site]
name = "denhaag"
title = "Den Haag tile 01"
crs = "EPSG:28992"
[[city_model]]
path = "{shared_data / "cityjson" / "DenHaag_01.city.json"}"
[[views]]
name = "centre"
lon = 4.2727
lat = 52.1044
distance_m = 900
''',
        encoding="utf-8",
    )
    out = tmp_path / "denhaag.png"
    assert (
        main(["snapshot", "--site", str(site), "--out", str(out), "--size", "640x400", "--view", "centre"])
        == 0
    )
    from PySide6.QtGui import QImage

    img = QImage(str(out))
    assert (img.width(), img.height()) == (640, 400)
    ptr = img.convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(ptr.constBits(), np.uint8, ptr.sizeInBytes()).reshape(400, ptr.bytesPerLine())[
        :, :1920
    ]
    pixels = arr.reshape(400, 640, 3).astype(int)
    # the background is a vertical gradient: compare each pixel with its row's left-edge pixel
    differs = np.abs(pixels - pixels[:, :1, :]).sum(axis=2) > 40
    assert differs[60:].mean() > 0.1, "snapshot shows no city"
    assert main(["snapshot", "--site", str(site), "--out", str(out), "--view", "nowhere"]) == 1
    assert "no view named 'nowhere'" in capsys.readouterr().err


def test_snapshot_with_a_misspelt_attribute_lists_the_real_ones(
    tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site.toml"
    site.write_text(
        f'''schema = 1
[site]
name = "gz"
title = "Zhujiang New Town"
crs = "EPSG:32649"
[[city_model]]
path = "{shared_data / "guangzhou" / "huacheng-osm-buildings.geojson"}"
crs = "EPSG:4326"
height_attribute = "height"
''',
        encoding="utf-8",
    )
    out = tmp_path / "x.png"
    assert main(["snapshot", "--site", str(site), "--out", str(out), "--color-by", "heigth"]) == 1
    err = capsys.readouterr().err
    assert "'heigth'" in err and "height" in err.split("available:")[1]
    assert not out.exists()
