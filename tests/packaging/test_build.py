"""The real thing: build the sample site with PyInstaller and run the build's --self-test in a
clean environment (no venv, no source tree, cwd outside the repo), as a control-room PC would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from controlroom.app.packager.freeze import pyinstaller_available
from controlroom.app.sample_site import ensure_sample_site

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the CI build runs on Linux"),
]


def test_package_sample_site_and_self_test_the_build(tmp_path: Path) -> None:
    if not pyinstaller_available():
        pytest.fail("PyInstaller missing: pip install -e '.[test]' (it is in the test extras)")
    site = ensure_sample_site(tmp_path / "sample-site")
    out = tmp_path / "out"
    start = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "controlroom.app.cli",
            "package",
            "--site",
            str(site),
            "--out",
            str(out),
            "--work",
            str(tmp_path / "work"),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
    )
    build_s = time.perf_counter() - start
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    print(f"build: {build_s:.0f} s, {summary['total_bytes'] / 1e6:.0f} MB, {summary['file_count']} files")

    folder = out / "controlroom-pearl-river-demo"
    manifest = json.loads((folder / "MANIFEST.json").read_text(encoding="utf-8"))
    paths = [f["path"] for f in manifest["files"]]
    assert paths == sorted(paths) and manifest["file_count"] == len(paths) == summary["file_count"]
    assert {"controlroom", "site/site.toml", "site/data/buildings.parquet", "site/data/poi.geojson"} <= set(
        paths
    )
    assert manifest["site"] == "pearl-river-demo" and manifest["secrets_included"] is False
    assert manifest["dependencies"]["vtk"] != "not installed"
    verify = subprocess.run(
        [sys.executable, "-m", "controlroom.app.cli", "package", "--verify", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout

    elsewhere = tmp_path / "pc"
    elsewhere.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(elsewhere), "QT_QPA_PLATFORM": "offscreen"}
    if os.environ.get("DISPLAY"):
        env["DISPLAY"] = os.environ["DISPLAY"]
    run = subprocess.run(
        [
            str(folder / "controlroom"),
            "--self-test",
            "--timeout",
            "0.3",
            "--frame",
            str(elsewhere / "frame.png"),
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert "ok   render:" in run.stdout and "ok   city:" in run.stdout and "self-test: OK" in run.stdout
    assert (elsewhere / "frame.png").stat().st_size > 10_000
