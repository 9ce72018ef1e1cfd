"""A newcomer's first hour of bad input: each case gets its named message and exit code, no traceback.

The cases are the ones met on the way (issue 15): a missing layer file at ``run``, a CityJSON that
declares EPSG:7415 over Guangzhou's UTM coordinates, an unknown layout name, a PNG or a folder
given to ``city info``, no display, VTK's X warning on off-screen commands, missing help.
Where the user sees an exit code and stderr of a whole process, the test runs the real CLI.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from controlroom.app.cli import build_parser, main
from controlroom.app.cli_errors import error_lines
from controlroom.app.commands.run import display_problem
from controlroom.core.issues import Issue, SiteError
from tests.app.gz_site import GZ_LAT, GZ_LON, write_cityjson, write_site

NO_DISPLAY = "error: no display: run under xvfb-run or set DISPLAY"


def write_roads(folder: Path) -> Path:
    """A short street in lon/lat next to the blocks: a layer that is right where it says."""
    line = [[GZ_LON - 0.002, GZ_LAT], [GZ_LON + 0.002, GZ_LAT + 0.001]]
    feature = {"type": "Feature", "properties": {"name": "Zhujiang Avenue"}}
    feature["geometry"] = {"type": "LineString", "coordinates": line}
    path = folder / "roads.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
    return path


ROADS = '[[roads]]\npath = "roads.geojson"\ncrs = "EPSG:4326"\n'


def cli(
    *args: str, env: dict[str, str | None] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """The real command line in its own process (``None`` in ``env`` removes a variable)."""
    full = dict(os.environ)
    for key, value in (env or {}).items():
        if value is None:
            full.pop(key, None)
        else:
            full[key] = value
    return subprocess.run(
        [sys.executable, "-m", "controlroom", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=timeout,
        check=False,
    )


def _assert_clean(err: str) -> None:
    assert "Traceback" not in err and "error: error:" not in err, err


@pytest.fixture
def gz_7415(tmp_path: Path) -> Path:
    """A site whose city model declares EPSG:7415 (Dutch RD New + NAP) over Guangzhou coordinates."""
    write_roads(tmp_path)
    return write_site(tmp_path, write_cityjson(tmp_path, 7415), ROADS)


@pytest.fixture
def gz_ok(tmp_path: Path) -> Path:
    write_roads(tmp_path)
    return write_site(tmp_path, write_cityjson(tmp_path, 32649), ROADS)


# ------------------------------------------------------------------ a CRS that cannot hold the data


def test_city_info_refuses_a_crs_whose_area_of_use_misses_the_data(
    gz_7415: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    city = gz_7415.parent / "gz.city.json"
    assert main(["city", "info", str(city)]) == 1
    err = capsys.readouterr().err
    _assert_clean(err)
    assert err.startswith(
        f"error: {city}: metadata.referenceSystem: found EPSG:7415 (Amersfoort / RD New + NAP"
    )
    assert "land at 70.2°N 20.5°E, outside its area of use (Netherlands" in err
    assert "coordinates look like EPSG:32649 / WGS 84 / UTM zone 49N" in err
    assert "https://www.opengis.net/def/crs/EPSG/0/32649" in err


def test_city_info_accepts_the_same_blocks_declared_in_their_real_crs(
    gz_ok: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["city", "info", str(gz_ok.parent / "gz.city.json"), "--json"]) == 0
    lon0, lat0, _, _ = json.loads(capsys.readouterr().out)["bbox_wgs84"]
    assert lon0 == pytest.approx(GZ_LON, abs=0.01) and lat0 == pytest.approx(GZ_LAT, abs=0.01)


def test_doctor_blames_the_wrongly_declared_layer_not_the_others(
    gz_7415: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["doctor", "--site", str(gz_7415), "--offline", "--json"]) == 1
    issues = [i for i in json.loads(capsys.readouterr().out)["issues"] if i["severity"] == "error"]
    assert [i["key"] for i in issues] == ["city_model[0].path"], issues
    assert "declares metadata.referenceSystem = EPSG:7415" in issues[0]["found"]
    assert issues[0]["fix"].startswith("coordinates look like EPSG:32649 / WGS 84 / UTM zone 49N")


def test_a_vector_layer_declared_in_metres_but_written_in_degrees_is_named_by_its_crs_key(
    gz_ok: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = gz_ok.read_text(encoding="utf-8").replace('crs = "EPSG:4326"', 'crs = "EPSG:4547"')
    gz_ok.write_text(site, encoding="utf-8")
    assert main(["snapshot", "--site", str(gz_ok), "--out", str(gz_ok.parent / "x.png")]) == 1
    err = capsys.readouterr().err
    _assert_clean(err)
    assert f"error: {gz_ok}: roads[0].crs: found EPSG:4547 (CGCS2000 / 3-degree Gauss-Kruger CM 114E)" in err
    assert "look like lon/lat degrees" in err and 'set crs = "EPSG:4326"' in err
    assert not (gz_ok.parent / "x.png").exists()


@pytest.mark.slow
def test_run_with_a_wrong_crs_says_which_layer_instead_of_an_empty_map(gz_7415: Path) -> None:
    done = cli(
        "run",
        "--site",
        str(gz_7415),
        "--no-feed",
        "--quit-after",
        "0.1",
        env={"QT_QPA_PLATFORM": "offscreen"},
    )
    assert done.returncode == 1, done.stderr
    _assert_clean(done.stderr)
    assert f"error: {gz_7415}: city_model[0].path: found " in done.stderr
    assert "coordinates look like EPSG:32649 / WGS 84 / UTM zone 49N" in done.stderr
    assert f"run `controlroom doctor --site {gz_7415}` for the full report" in done.stderr


# ------------------------------------------------------------------ missing files, layouts, formats


def test_run_with_a_missing_file_names_the_site_key_and_suggests_doctor(gz_ok: Path) -> None:
    (gz_ok.parent / "roads.geojson").unlink()
    done = cli("run", "--site", str(gz_ok), "--no-feed", env={"QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 1
    _assert_clean(done.stderr)
    lines = done.stderr.splitlines()
    assert lines[0].startswith(
        f"error: {gz_ok}: roads[0].path: found {gz_ok.parent / 'roads.geojson'} (no such file)"
    )
    assert lines[-1] == f"run `controlroom doctor --site {gz_ok}` for the full report"


def test_an_unknown_layout_name_lists_the_available_ones(
    gz_ok: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--site", str(gz_ok), "--layout", "no-such-layout"]) == 2
    err = capsys.readouterr().err
    _assert_clean(err)
    assert err.startswith("error: no-such-layout: (layout): found no layout named 'no-such-layout'")
    assert "expected one of: briefing-laptop, operator-desk, single, wall-3x2; or a path" in err
    assert main(["layout", "list"]) == 0
    assert "wall-3x2" in capsys.readouterr().out


def test_brief_on_a_broken_site_prints_one_error_prefix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site.toml"
    site.write_text('schema = 1\n[site]\nname = "x"\ntitle = "x"\ncrs = "EPSG:4326"\nlanguage = "fr"\n')
    assert main(["brief", "--site", str(site), "--out", str(tmp_path / "b.pdf")]) == 1
    err = capsys.readouterr().err
    _assert_clean(err)
    assert err.startswith(f"error: {site}: ")


def test_city_info_says_what_a_non_geodata_file_or_a_folder_is(
    gz_ok: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    png = gz_ok.parent / "photo.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    assert main(["city", "info", str(png)]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"error: {png}: found a PNG image; expected a city-model file: CityJSON (.city.json), "
        "GeoJSON (.geojson), GeoPackage (.gpkg), Shapefile (.shp) or GeoParquet (.parquet)\n"
    )
    assert main(["city", "info", str(gz_ok.parent)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {gz_ok.parent}: found a folder; expected a city-model file")
    assert f"(fix: name one file in it, e.g. {gz_ok.parent / 'gz.city.json'})" in err


def test_a_site_layer_that_is_a_picture_is_named_as_one(
    gz_ok: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (gz_ok.parent / "roads.geojson").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    assert main(["doctor", "--site", str(gz_ok), "--offline"]) == 1
    out = capsys.readouterr().out
    assert "roads[0].path: found " in out and "found a PNG image; expected" in out
    assert "DRIVER" not in out


# ------------------------------------------------------------------ display and VTK


def test_no_display_is_said_before_qt_aborts(gz_ok: Path) -> None:
    done = cli(
        "run", "--site", str(gz_ok), env={"DISPLAY": None, "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": None}
    )
    assert (done.returncode, done.stderr.strip()) == (2, NO_DISPLAY)


def test_display_problem_leaves_explicit_platforms_and_other_systems_alone() -> None:
    assert display_problem({}, "linux") == NO_DISPLAY.removeprefix("error: ")
    assert display_problem({"QT_QPA_PLATFORM": "xcb"}, "linux") is not None
    assert display_problem({"DISPLAY": ":0"}, "linux") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({}, "win32") is None


def test_snapshot_without_x_says_what_it_wrote_and_no_vtk_x_warning(gz_ok: Path) -> None:
    out = gz_ok.parent / "shot.png"
    done = cli(
        "snapshot",
        "--site",
        str(gz_ok),
        "--out",
        str(out),
        "--size",
        "320x200",
        env={"DISPLAY": None, "WAYLAND_DISPLAY": None},
    )
    assert done.returncode == 0, done.stderr
    assert "bad X server" not in done.stderr and "vtkXOpenGLRenderWindow" not in done.stderr, done.stderr
    assert done.stdout.startswith(f"wrote {out} (320×200 PNG, ")
    assert "3 buildings" in done.stdout and "view overview" in done.stdout
    assert out.stat().st_size > 1000


# ------------------------------------------------------------------ help and the one error printer


def _subparsers(
    parser: argparse.ArgumentParser, path: str = ""
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield f"{path} {name}".strip(), sub
                yield from _subparsers(sub, f"{path} {name}")


def test_every_subcommand_has_a_description_and_every_argument_help() -> None:
    missing = []
    for name, sub in _subparsers(build_parser()):
        if not sub.description:
            missing.append(f"{name}: description")
        for action in sub._actions:
            if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction) and not action.help:
                missing.append(f"{name}: {'/'.join(action.option_strings) or action.dest}")
    assert not missing, missing
    run = dict(_subparsers(build_parser()))["run"]
    assert "doctor" in (run.description or "")


def test_error_lines_give_every_problem_exactly_one_severity() -> None:
    issue = Issue("site.toml", "roads[0].path", "x", "y")
    assert error_lines(SiteError([issue])) == ["error: site.toml: roads[0].path: found x; expected y"]
    assert error_lines("error: error: layout 'x': gone") == ["error: layout 'x': gone"]
    assert error_lines(KeyError("no view named 'v'")) == ["error: no view named 'v'"]
    assert error_lines("warning: two\nthree") == ["warning: two", "error: three"]


@pytest.mark.gui
def test_the_map_shows_the_wrong_crs_where_the_city_would_be(qtbot, gz_7415: Path) -> None:  # type: ignore[no-untyped-def]
    from controlroom.app.main_window import MainWindow
    from controlroom.core.site import load_site
    from controlroom.render.theme import configure_pyvista

    configure_pyvista()
    win = MainWindow(load_site(gz_7415), feed=False, docks=())
    qtbot.addWidget(win)
    win.resize(1000, 700)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.sig_city_failed, timeout=60_000):
        win.start_loading()
    panel = win.map_panel
    text = panel.progress_label.text()
    assert panel.progress_overlay.isVisible() and not panel.progress_bar.isVisible()
    assert text.startswith(f"Could not load the city: {gz_7415}: city_model[0].path: found ")
    assert "coordinates look like EPSG:32649" in text and panel.progress_label.wordWrap()
    assert win.status_text() == "City not loaded"
    win.close()
