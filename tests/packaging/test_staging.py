"""What a build carries: site files in place, secrets only when asked, no internal-only data;
a manifest and archives that are the same for the same inputs; the built app's argv defaults."""

from __future__ import annotations

import io
import shutil
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from controlroom.app.cli import main
from controlroom.app.packager.archive import write_archive
from controlroom.app.packager.entry import with_bundled_site
from controlroom.app.packager.manifest import build_manifest, verify_manifest, write_manifest
from controlroom.app.packager.staging import copy_site, stage_plan
from controlroom.core.site import load_site


@pytest.fixture(scope="module")
def sample(sample_site_factory: Callable[[str], Path]) -> Path:
    return sample_site_factory("sample-site")


def test_sample_site_stages_every_data_file(sample: Path, tmp_path: Path) -> None:
    site = load_site(sample)
    staged, issues = stage_plan(site, include_secrets=False)
    assert issues == []
    names = {p.as_posix() for p in staged.files}
    assert {"site.toml", "data/buildings.parquet", "data/poi.geojson", "data/cameras.csv"} <= names
    copy_site(site, staged, tmp_path / "site")
    assert load_site(tmp_path / "site").site.name == site.site.name  # the copy loads as it is


def test_secret_keys_stay_behind_unless_asked(sample: Path, tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    shutil.copytree(sample.parent / "data", folder / "data")
    assert main(["keys", "new", "desk-1", "--dir", str(folder / "keys")]) == 0
    assert main(["keys", "new", "feed-server", "--dir", str(folder / "keys")]) == 0
    text = sample.read_text(encoding="utf-8").replace(
        "[feed]\n",
        '[feed]\nclient_secret_key = "keys/desk-1.key_secret"\nserver_public_key = "keys/feed-server.key"\n',
    )
    (folder / "site.toml").write_text(text, encoding="utf-8")
    site = load_site(folder)
    staged, issues = stage_plan(site, include_secrets=False)
    names = {p.as_posix() for p in staged.files}
    assert issues == [] and "keys/feed-server.key" in names and "keys/desk-1.key_secret" not in names
    assert staged.left_out_secrets == [f"feed.client_secret_key = {folder / 'keys' / 'desk-1.key_secret'}"]
    staged, _ = stage_plan(site, include_secrets=True)
    copy_site(site, staged, tmp_path / "out")
    assert (tmp_path / "out" / "keys" / "desk-1.key_secret").stat().st_mode & 0o777 == 0o600


def test_internal_only_data_and_files_outside_the_site_are_refused(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = sample.read_text(encoding="utf-8").replace('path = "data/', f'path = "{sample.parent / "data"}/')
    text = text.replace('level = "street"\n', 'level = "street"\ninternal_only = true\n')
    (tmp_path / "site.toml").write_text(text, encoding="utf-8")
    code = main(["package", "--site", str(tmp_path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and not (tmp_path / "out").exists()  # refused before any build work
    assert "boundaries[2].internal_only: found internal_only = true" in err
    assert "city_model[0].path: found " in err and "inside the site folder" in err
    assert "package: refused" in err


def _folder(tmp_path: Path) -> Path:
    root = tmp_path / "controlroom-x"
    (root / "site" / "data").mkdir(parents=True)
    (root / "controlroom").write_bytes(b"#!/bin/sh\necho hi\n")
    (root / "controlroom").chmod(0o755)
    (root / "site" / "site.toml").write_text("schema = 1\n", encoding="utf-8")
    (root / "site" / "data" / "a.csv").write_text("lon,lat\n1,2\n", encoding="utf-8")
    return root


def test_manifest_is_deterministic_and_verifies(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    first = build_manifest(root, "x", "X", secrets_included=False)
    write_manifest(root, first)
    text = (root / "MANIFEST.json").read_text(encoding="utf-8")
    (root / "site" / "site.toml").touch()  # a newer time changes nothing
    write_manifest(root, build_manifest(root, "x", "X", secrets_included=False))
    assert (root / "MANIFEST.json").read_text(encoding="utf-8") == text
    assert [f["path"] for f in first["files"]] == ["controlroom", "site/data/a.csv", "site/site.toml"]
    assert first["app_version"] and first["site"] == "x" and "vtk" in first["dependencies"]
    assert verify_manifest(root) == []
    (root / "site" / "data" / "a.csv").write_text("lon,lat\n9,9\n", encoding="utf-8")
    (root / "extra.txt").write_text("x", encoding="utf-8")
    assert verify_manifest(root) == [
        "site/data/a.csv: changed (sha256 differs from the manifest)",
        "extra.txt: not in the manifest",
    ]


@pytest.mark.parametrize("fmt", ["tar.zst", "zip"])
def test_archives_are_byte_identical_and_keep_the_executable_bit(tmp_path: Path, fmt: str) -> None:
    root = _folder(tmp_path)
    one = write_archive(root, fmt).read_bytes()
    (root / "controlroom").touch()
    two = write_archive(root, fmt).read_bytes()
    assert one == two
    if fmt == "zip":
        with zipfile.ZipFile(io.BytesIO(one)) as zf:
            info = zf.getinfo("controlroom-x/controlroom")
            assert (info.external_attr >> 16) & 0o777 == 0o755
            assert zf.read("controlroom-x/site/data/a.csv") == b"lon,lat\n1,2\n"
    else:
        import zstandard

        data = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(one)).read()
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            assert tar.getmember("controlroom-x/controlroom").mode == 0o755
            assert tar.getmember("controlroom-x/site/site.toml").mtime == 315532800


def test_built_app_arguments_default_to_its_site(tmp_path: Path) -> None:
    site = tmp_path / "site" / "site.toml"
    assert with_bundled_site([], site) == ["run", "--site", str(site)]
    assert with_bundled_site(["--self-test"], site) == ["self-test", "--site", str(site)]
    assert with_bundled_site(["doctor", "--offline"], site) == ["doctor", "--site", str(site), "--offline"]
    assert with_bundled_site(["doctor", "--site", "other"], site) == ["doctor", "--site", "other"]
    assert with_bundled_site(["keys", "new", "x"], site) == ["keys", "new", "x"]  # takes no --site
    assert with_bundled_site(["--version"], site) == ["--version"]
