"""An installed wheel works outside the checkout: its shipped layouts check clean and the demo opens.

The wheel is built offline from a copy of the sources (with this environment's setuptools) and
installed into a fresh venv that sees this environment's dependencies through a ``.pth`` line but
not its controlroom: an editable install's hook is itself a ``.pth`` file, and Python reads those
only in site folders, not in folders a ``.pth`` line adds. Every command runs from a folder
outside the checkout with ``PYTHONPATH`` unset, so nothing can fall back on the source tree.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from controlroom.core.shipped import shipped_path, source_checkout

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the CI build runs on Linux"),
]

#: What ``pip install .`` reads from a checkout.
SOURCES = ("controlroom", "translations", "pyproject.toml", "README.md", "LICENSE")
#: No network, no other index: the build uses this environment's setuptools.
OFFLINE = ("--no-deps", "--no-build-isolation", "--no-index")
SHIPPED_LAYOUTS = {"briefing-laptop", "operator-desk", "single", "wall-3x2"}


def _run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{cmd} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(
    tmp_path_factory: pytest.TempPathFactory, sample_site_factory: Callable[[str], Path]
) -> tuple[Path, dict[str, str], Path]:
    """(the venv's bin folder, the environment to run it in, a working folder outside the checkout).

    The demo's cache starts with the suite's generated sample site (the same code made it; this
    saves the installed demo ten seconds of generating), without the alarm rules, which the
    installed package must copy from its shipped data.
    """
    checkout = source_checkout()
    assert checkout is not None, "this test builds from a source checkout"
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    for part in SOURCES:
        if (checkout / part).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "i18n")
            shutil.copytree(checkout / part, src / part, ignore=ignore)
        else:
            shutil.copy2(checkout / part, src / part)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(
        CONTROLROOM_CACHE_DIR=str(base / "cache"),
        CONTROLROOM_CONFIG_DIR=str(base / "config"),
        CONTROLROOM_STATE_DIR=str(base / "state"),
    )
    # As scripts/install.sh does before a build: compile the translations into the package.
    _run(
        [sys.executable, "-m", "controlroom.qt.translations", "build"],
        src,
        {**env, "PYTHONPATH": str(src)},
        120,
    )
    _run(
        [sys.executable, "-m", "pip", "wheel", "-q", *OFFLINE, ".", "-w", str(base / "dist")],
        src,
        env,
        300,
    )
    (wheel,) = (base / "dist").glob("controlroom-*.whl")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], base, env, 120)
    site = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "test-environment-deps.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], base, env, 300)
    shutil.rmtree(src)  # nothing left to fall back on
    shutil.copytree(sample_site_factory("wheel-sample-site").parent, base / "cache" / "sample-site")
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    return venv / "bin", env, elsewhere


def test_installed_package_is_the_wheel_with_its_data(installed: tuple[Path, dict[str, str], Path]) -> None:
    bin_dir, env, cwd = installed
    probe = (
        "import controlroom; from controlroom.core.shipped import shipped_path, source_checkout; "
        "from controlroom.qt.translations import qm_file; "
        "print(controlroom.__file__); print(shipped_path('sample-site', 'alarms.toml')); "
        "print(source_checkout()); print(qm_file('zh_CN'))"
    )
    lines = _run([str(bin_dir / "python"), "-c", probe], cwd, env, 60).stdout.split("\n")
    venv = bin_dir.parent
    assert Path(lines[0]).is_relative_to(venv), lines
    assert Path(lines[1]).is_relative_to(venv), lines
    assert lines[2] == "None", lines
    assert Path(lines[3]).is_relative_to(venv) and lines[3].endswith("controlroom_zh_CN.qm"), lines


def test_installed_layout_check_passes_on_the_shipped_layouts(
    installed: tuple[Path, dict[str, str], Path],
) -> None:
    bin_dir, env, cwd = installed
    listed = _run([str(bin_dir / "controlroom"), "layout", "list"], cwd, env, 60).stdout.splitlines()
    paths = {line.split()[0]: Path(line.split()[1]) for line in listed}
    assert set(paths) == SHIPPED_LAYOUTS, listed
    assert all(p.is_relative_to(bin_dir.parent) for p in paths.values()), listed
    result = _run([str(bin_dir / "controlroom"), "layout", "check", *map(str, paths.values())], cwd, env, 60)
    verdicts = [line.split()[0] for line in result.stdout.splitlines()]
    assert verdicts == ["OK"] * len(SHIPPED_LAYOUTS), result.stdout + result.stderr


def _wait_for_free_ports(site_toml: Path, timeout_s: float = 120.0) -> None:
    """The demo binds the sample site's fixed ports (feed, gateway, history, video); another demo
    on this machine (a developer's, another checkout's test) holds them for a while. Wait for
    them, and say so plainly when they stay taken, instead of failing on the demo's bind errors."""
    from controlroom.core.site import HistoryConfig, load_site

    text = site_toml.read_text(encoding="utf-8") + (site_toml.parent / "data" / "cameras.csv").read_text(
        encoding="utf-8"
    )
    text += (load_site(site_toml).history or HistoryConfig()).endpoint  # the recorder's, by default
    ports = {int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", text)}
    deadline = time.monotonic() + timeout_s
    while True:
        busy = []
        for port in sorted(ports):
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    busy.append(port)
        if not busy:
            return
        if time.monotonic() > deadline:
            pytest.fail(
                f"the sample site's ports {busy} stayed in use by another process for {timeout_s:.0f} s"
            )
        time.sleep(1.0)


def test_installed_demo_takes_a_screenshot(installed: tuple[Path, dict[str, str], Path]) -> None:
    from PIL import Image

    bin_dir, env, cwd = installed
    _wait_for_free_ports(Path(env["CONTROLROOM_CACHE_DIR"]) / "sample-site" / "site.toml")
    shot = cwd / "demo.png"
    result = _run([str(bin_dir / "controlroom"), "demo", "--screenshot", str(shot)], cwd, env, 240)
    assert "error:" not in result.stderr, result.stderr
    with Image.open(shot) as image:
        assert image.width >= 800 and image.height >= 600
        colours = image.convert("RGB").resize((200, 120)).getcolors(maxcolors=100_000)
    assert colours is not None and len(colours) > 500, "the screenshot is (nearly) blank"
    generated = Path(env["CONTROLROOM_CACHE_DIR"]) / "sample-site"
    assert (generated / "data" / "buildings.parquet").is_file()
    assert (generated / "alarms.toml").read_bytes() == shipped_path("sample-site", "alarms.toml").read_bytes()
