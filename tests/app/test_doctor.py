"""``controlroom doctor``: each mistake an installer can make gets its own message and exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from controlroom.app.cli import main


def _write_site(folder: Path, shared: Path, extra: str = "", city: str | None = None) -> Path:
    city = (
        city
        or f'''
[[city_model]]
path = "{shared / "guangzhou" / "huacheng-osm-buildings.geojson"}"
crs = "EPSG:4326"
height_attribute = "height"
floors_attribute = "building:levels"
licence = "ODbL-1.0 © OpenStreetMap contributors"
'''
    )
    text = f'''schema = 1
[site]
name = "doctor-test"
title = "Doctor test"
crs = "EPSG:32649"
{city}
[[roads]]
path = "{shared / "guangzhou" / "huacheng-local-roads.geojson"}"
crs = "EPSG:4326"
licence = "ODbL-1.0 © OpenStreetMap contributors"
{extra}
'''
    site = folder / "site.toml"
    site.write_text(text, encoding="utf-8")
    return site


def _doctor_json(site: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, dict]:
    code = main(["doctor", "--site", str(site), "--json", "--offline", *flags])
    return code, json.loads(capsys.readouterr().out)


def test_clean_site_passes(tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _doctor_json(_write_site(tmp_path, shared_data), capsys)
    assert code == 0, report
    assert report["ok"] is True and report["errors"] == 0


def test_missing_file_names_the_key_and_path(
    tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = '[[water]]\npath = "data/river.geojson"\ncrs = "EPSG:4326"\n'
    code, report = _doctor_json(_write_site(tmp_path, shared_data, extra), capsys)
    assert code == 1
    issue = next(i for i in report["issues"] if i["key"] == "water[0].path")
    assert issue["found"].endswith("data/river.geojson") and issue["expected"] == "an existing file"


def test_unparseable_file_is_reported(
    tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.geojson").write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    extra = '[[poi]]\npath = "broken.geojson"\ncrs = "EPSG:4326"\n'
    code, report = _doctor_json(_write_site(tmp_path, shared_data, extra), capsys)
    assert code == 1
    issue = next(i for i in report["issues"] if i["key"] == "poi[0].path")
    assert "broken.geojson" in issue["found"] and "readable" in issue["expected"]


def test_layer_far_from_the_city_is_caught(
    tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Guangzhou districts are real, but this city model is Guangzhou's CBD while the water layer
    # (lon/lat numbers) is declared in the Dutch RD frame: the doctor blames that layer's crs.
    districts = shared_data / "china_admin" / "guangzhou_districts_tianditu.derived.geojson"
    extra = f'[[water]]\npath = "{districts}"\ncrs = "EPSG:28992"\n'
    code, report = _doctor_json(_write_site(tmp_path, shared_data, extra), capsys)
    assert code == 1
    issue = next(i for i in report["issues"] if i["key"] == "water[0].crs")
    assert "look like lon/lat degrees" in issue["found"] and "EPSG:4326" in issue["fix"]


def test_schema_errors_come_all_at_once_in_text_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site.toml"
    site.write_text(
        'schema = 1\n[site]\nname = "x"\ntitle = "x"\ncrs = "EPSG:4326"\nlanguage = "fr"\n', encoding="utf-8"
    )
    assert main(["doctor", "--site", str(site)]) == 1
    out = capsys.readouterr().out
    assert "site.crs" in out and "site.language" in out and "city_model" in out
    assert "doctor: FAILED: 3 error(s)" in out


def test_strict_turns_warnings_into_exit_2(
    tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = _write_site(tmp_path, shared_data)
    text = site.read_text(encoding="utf-8").replace(
        'crs = "EPSG:32649"', 'crs = "EPSG:32649"\norigin = [114.6, 23.4]'
    )
    site.write_text(text, encoding="utf-8")
    code, report = _doctor_json(site, capsys)
    assert code == 0 and report["warnings"] == 1
    code, _ = _doctor_json(site, capsys, "--strict")
    assert code == 2
