"""``doctor`` on the sample site (clean) and on broken copies of it: each mistake its own message."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import zmq

from controlroom.app.cli import main
from controlroom.core.doctor import DoctorOptions
from controlroom.core.site import load_site
from controlroom.geo.crs import wgs84_to_gcj02


@pytest.fixture(scope="module")
def sample(sample_site_factory: Callable[[str], Path]) -> Path:
    return sample_site_factory("sample-site")


def _camera_rows(sample: Path) -> list[dict[str, str]]:
    with (sample.parent / "data" / "cameras.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _write_cameras(rows: list[dict[str, str]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _broken(sample: Path, tmp_path: Path, edit: str = "", replace: tuple[str, str] | None = None) -> Path:
    """A copy of the sample site.toml in tmp_path whose data paths point back at the sample's files."""
    text = sample.read_text(encoding="utf-8").replace('path = "data/', f'path = "{sample.parent / "data"}/')
    if replace:
        assert replace[0] in text, replace[0]
        text = text.replace(*replace)
    site = tmp_path / "site.toml"
    site.write_text(text + "\n" + edit, encoding="utf-8")
    return site


def _doctor(site: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, list[dict[str, str]]]:
    code = main(["doctor", "--site", str(site), "--json", *flags])
    return code, json.loads(capsys.readouterr().out)["issues"]


def _one(issues: list[dict[str, str]], key: str) -> dict[str, str]:
    found = [i for i in issues if i["key"] == key]
    assert len(found) == 1, issues
    return found[0]


def test_sample_site_is_clean(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, issues = _doctor(sample, capsys, "--offline", "--strict", "--for-delivery")
    assert (code, issues) == (0, [])


def test_gcj02_file_declared_as_wgs84_is_caught_by_its_offset(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The sample's POIs are GCJ-02 (as a Chinese web map publishes them); declare them WGS 84.
    site = _broken(sample, tmp_path, replace=('crs = "gcj02"', 'crs = "EPSG:4326"'))
    code, issues = _doctor(site, capsys, "--offline")
    assert code == 1
    issue = _one(issues, "poi[0].crs")
    metres = int(issue["found"].split(" m off")[0].split()[-1])
    assert 500 <= metres <= 700, issue  # GCJ-02's offset around Guangzhou
    assert 'crs = "gcj02"' in issue["fix"] and "GCJ-02" in issue["expected"]
    assert [i["key"] for i in issues if i["severity"] == "error"] == ["poi[0].crs"]


def test_gcj02_camera_registry_declared_as_wgs84(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Cameras stand at the kerb 9 m off the road centre lines; moved into GCJ-02 they do not.
    rows = _camera_rows(sample)
    lon, lat = wgs84_to_gcj02([float(r["lon"]) for r in rows], [float(r["lat"]) for r in rows])
    for r, x, y in zip(rows, lon, lat, strict=True):
        r["lon"], r["lat"] = f"{x:.7f}", f"{y:.7f}"
    _write_cameras(rows, tmp_path / "cameras.csv")
    site = _broken(
        sample, tmp_path, replace=(f"{sample.parent / 'data'}/cameras.csv", str(tmp_path / "cameras.csv"))
    )
    code, issues = _doctor(site, capsys, "--offline")
    assert code == 1
    assert 'crs = "gcj02"' in _one(issues, "cameras.crs")["fix"]


def test_real_amap_districts_declared_as_wgs84(
    tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Real data: Guangzhou's districts from AMap (GCJ-02) beside the same districts from Tianditu.
    text = f'''schema = 1
[site]
name = "gz"
title = "Guangzhou"
crs = "EPSG:32649"
[[city_model]]
path = "{shared_data / "guangzhou" / "huacheng-osm-buildings.geojson"}"
crs = "EPSG:4326"
licence = "ODbL-1.0"
[[boundaries]]
path = "{shared_data / "china_admin" / "guangzhou_districts_tianditu.derived.geojson"}"
crs = "EPSG:4326"
level = "district"
licence = "test"
[[boundaries]]
path = "{shared_data / "china_admin" / "440100_full.json"}"
crs = "CRS_HERE"
level = "city"
licence = "test"
'''
    site = tmp_path / "site.toml"
    site.write_text(text.replace("CRS_HERE", "EPSG:4326"), encoding="utf-8")
    code, issues = _doctor(site, capsys, "--offline")
    assert code == 1 and 'crs = "gcj02"' in _one(issues, "boundaries[1].crs")["fix"]
    site.write_text(text.replace("CRS_HERE", "gcj02"), encoding="utf-8")
    assert _doctor(site, capsys, "--offline") == (0, [])


def test_bad_camera_urls_are_named_by_row_and_id(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _camera_rows(sample)[:50]
    rows[3]["main_url"] = "rtps://10.0.0.3:554/ch1"  # typo in the scheme
    rows[7]["main_url"] = "rtsp://:554/ch1"  # no host
    rows[9]["sub_url"] = "rtsp://10.0.0.9:99999/ch2"  # port out of range
    _write_cameras(rows, tmp_path / "cameras.csv")
    site = _broken(
        sample, tmp_path, replace=(f"{sample.parent / 'data'}/cameras.csv", str(tmp_path / "cameras.csv"))
    )
    code, issues = _doctor(site, capsys, "--offline")
    assert code == 1
    scheme = _one(issues, f"row 5 (id {rows[3]['id']}).main_url")
    assert "scheme 'rtps'" in scheme["found"] and scheme["file"].endswith("cameras.csv")
    assert "no host" in _one(issues, f"row 9 (id {rows[7]['id']}).main_url")["found"]
    assert "99999" in _one(issues, f"row 11 (id {rows[9]['id']}).sub_url")["found"]


def test_key_files_missing_and_readable_by_others(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", "new", "desk-1", "--dir", str(tmp_path / "keys")]) == 0
    secret = tmp_path / "keys" / "desk-1.key_secret"
    secret.chmod(0o644)
    site = _broken(
        sample,
        tmp_path,
        replace=(
            "[feed]\n",
            '[feed]\nclient_secret_key = "keys/desk-1.key_secret"\n'
            'server_public_key = "keys/feed-server.key"\n',
        ),
    )
    capsys.readouterr()
    code, issues = _doctor(site, capsys, "--offline")
    assert code == 1
    mode = _one(issues, "feed.client_secret_key")
    assert "mode 644" in mode["found"] and mode["fix"] == f"chmod 600 {secret}"
    assert "(missing)" in _one(issues, "feed.server_public_key")["found"]


def test_licences_missing_and_internal_only(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = _broken(
        sample,
        tmp_path,
        replace=(
            'path = "'
            + str(sample.parent / "data")
            + '/roads.geojson"\ncrs = "EPSG:4326"\nlicence = "CC0-1.0 (generated)"\n',
            'path = "' + str(sample.parent / "data") + '/roads.geojson"\ncrs = "EPSG:4326"\n',
        ),
    )
    text = site.read_text(encoding="utf-8").replace(
        'level = "grid"\n', 'level = "grid"\ninternal_only = true\n'
    )
    site.write_text(text, encoding="utf-8")
    code, issues = _doctor(site, capsys, "--offline")
    assert code == 0  # warnings only
    assert _one(issues, "roads[0].licence")["severity"] == "warning"
    assert _one(issues, "boundaries[3].internal_only")["severity"] == "warning"
    code, issues = _doctor(site, capsys, "--offline", "--strict")
    assert code == 2
    code, issues = _doctor(site, capsys, "--offline", "--for-delivery")
    assert code == 1 and _one(issues, "boundaries[3].internal_only")["severity"] == "error"


def test_endpoints_offline_warn_and_a_live_one_passes(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ctx = zmq.Context.instance()
    pub = ctx.socket(zmq.PUB)
    pub.linger = 0
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    dead = ctx.socket(zmq.PUB)  # bound then closed: a port nobody answers on
    dead_port = dead.bind_to_random_port("tcp://127.0.0.1")
    dead.close(0)
    try:
        site = _broken(
            sample,
            tmp_path,
            replace=(
                'endpoint = "tcp://127.0.0.1:7710"\nsnapshot_endpoint = "tcp://127.0.0.1:7711"',
                f'endpoint = "tcp://127.0.0.1:{port}"\nsnapshot_endpoint = "tcp://127.0.0.1:{dead_port}"',
            ),
        )
        # the dispatch gateway's port too: a demo running on this machine answers on the sample's 7720
        text = site.read_text(encoding="utf-8")
        assert 'endpoint = "tcp://127.0.0.1:7720"' in text
        text = text.replace("tcp://127.0.0.1:7720", f"tcp://127.0.0.1:{dead_port}")
        site.write_text(text, encoding="utf-8")
        code, issues = _doctor(site, capsys, "--timeout", "0.3")
        assert code == 0
        keys = {i["key"] for i in issues}
        assert "feed.endpoint" not in keys  # a real PUB answered the handshake
        assert "feed.snapshot_endpoint" in keys and "dispatch.endpoint" in keys
        assert all(i["severity"] == "warning" for i in issues)
        assert _doctor(site, capsys, "--offline") == (0, [])
    finally:
        pub.close(0)


def test_missing_layout_is_named_with_where_it_was_looked_for(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = _broken(sample, tmp_path, replace=('"wall-3x2"', '"wall-3x3"'))
    code, issues = _doctor(site, capsys, "--offline")
    assert code == 1
    issue = _one(issues, "layouts.names[2]")
    assert issue["found"] == "'wall-3x3'" and "wall-3x3.toml" in issue["expected"]


def test_a_crashing_check_is_reported_and_the_others_still_run(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from controlroom.app import site_doctor

    monkeypatch.setitem(site_doctor.DOCTOR_CHECKS, "broken", "controlroom.app.site_doctor:no_such_function")
    site = load_site(_broken(sample, tmp_path, replace=('"wall-3x2"', '"wall-3x3"')))
    issues = site_doctor.run_checks(site, DoctorOptions(offline=True))
    assert {i.key for i in issues} == {"layouts.names[2]", "(doctor check 'broken')"}


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_text_report_reads_as_instructions(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = _broken(sample, tmp_path, replace=('crs = "gcj02"', 'crs = "EPSG:4326"'))
    assert main(["doctor", "--site", str(site), "--offline"]) == 1
    out = capsys.readouterr().out
    assert 'poi[0].crs: found crs = "EPSG:4326"' in out and '(fix: set crs = "gcj02"' in out
    assert out.strip().endswith(f"doctor: FAILED: 1 error(s), 0 warning(s) in {site}")
