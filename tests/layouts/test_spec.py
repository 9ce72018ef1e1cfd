"""Layout files: the shipped ones load; each kind of mistake gives its precise message."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlroom.core.issues import Issue, SiteError
from controlroom.core.shipped import shipped_layouts
from controlroom.layouts.files import check_layout, find_layout, load_layout
from controlroom.layouts.spec import PANEL_IDS

SHIPPED = sorted((shipped_layouts()).glob("*.toml"))

GOOD = """
schema = 1
name = "desk"
title = "Test desk"

[wall]
rows = 1
columns = 2
size_mm = [527.0, 296.5]
bezel_mm = 8.0

[monitors.left]
position = [0, 0]
screen = { name = "DP-1" }

[monitors.right]
position = [0, 1]
screen = { name = "DP-2" }
grid = [2, 2]

[regions.map]
monitor = "left"

[regions.top]
monitor = "right"
cell = [0, 0]
span = [1, 2]

[regions.bottom]
monitor = "right"
cell = [1, 0]
span = [1, 2]

[presets.normal]
panels = { map = "map3d", top = "video_grid", bottom = "incidents" }

[presets.flood]
key = "F6"
panels = { bottom = "alarms" }
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "layout.toml"
    p.write_text(text, encoding="utf-8")
    return p


def problems(tmp_path: Path, text: str) -> list[Issue]:
    with pytest.raises(SiteError) as info:
        load_layout(write(tmp_path, text))
    return info.value.issues


def by_key(issues: list[Issue]) -> dict[str, Issue]:
    return {i.key: i for i in issues}


def test_shipped_layouts_are_valid_and_have_names_matching_files() -> None:
    names = {p.stem for p in SHIPPED}
    assert {"wall-3x2", "operator-desk", "briefing-laptop", "single"} <= names
    for path in SHIPPED:
        assert check_layout(path) == [], path
        spec = load_layout(path)
        assert spec.name == path.stem
        for preset in spec.preset_names:
            assert set(spec.panels_for(preset)) == set(spec.regions)
            assert set(spec.panels_for(preset).values()) <= set(PANEL_IDS)


def test_presets_inherit_from_the_default_preset(tmp_path: Path) -> None:
    spec = load_layout(write(tmp_path, GOOD))
    assert spec.panels_for("flood") == {"map": "map3d", "top": "video_grid", "bottom": "alarms"}
    assert spec.default_preset_name == "normal"
    with pytest.raises(KeyError, match="no preset 'storm'"):
        spec.panels_for("storm")


def test_unknown_panel_id_names_the_key_and_suggests_a_fix(tmp_path: Path) -> None:
    issue = by_key(problems(tmp_path, GOOD.replace('top = "video_grid"', 'top = "videogrid"')))[
        "presets.normal.panels.top"
    ]
    assert issue.found == "'videogrid'"
    assert "a known panel id: map3d, object_info" in issue.expected
    assert issue.fix == "did you mean 'video_grid'?"


def test_overlapping_regions(tmp_path: Path) -> None:
    text = GOOD.replace("cell = [1, 0]\nspan = [1, 2]", "cell = [0, 1]\nspan = [2, 1]")
    issue = by_key(problems(tmp_path, text))["regions.bottom"]
    assert issue.found == "cell [0, 1] of monitor right, already used by region 'top'"
    assert issue.expected == "regions that do not overlap (each grid cell belongs to one region)"


def test_region_outside_the_grid(tmp_path: Path) -> None:
    text = GOOD.replace("cell = [1, 0]\nspan = [1, 2]", "cell = [1, 0]\nspan = [2, 2]")
    issue = by_key(problems(tmp_path, text))["regions.bottom.span"]
    assert issue.found == "[2, 2] from cell [1, 0] (reaches row 2, column 1)"
    assert "inside monitor right's 2 × 2 grid (rows 0..1, columns 0..1)" in issue.expected
    text = GOOD.replace("cell = [1, 0]\nspan = [1, 2]", "cell = [5, 0]")
    issue = by_key(problems(tmp_path, text))["regions.bottom.cell"]
    assert issue.found == "[5, 0]"


def test_missing_monitor_mapping(tmp_path: Path) -> None:
    issue = by_key(problems(tmp_path, GOOD.replace('screen = { name = "DP-2" }\n', "")))[
        "monitors.right.screen"
    ]
    assert issue.found == "(missing)"
    assert "screen = { name = 'DP-1' }, { order = 0 }" in issue.expected


def test_two_mapping_rules_at_once(tmp_path: Path) -> None:
    issue = by_key(problems(tmp_path, GOOD.replace('{ name = "DP-2" }', '{ name = "DP-2", order = 1 }')))[
        "monitors.right.screen"
    ]
    assert "exactly one of name, order, geometry or primary (found name, order)" in issue.expected


@pytest.mark.parametrize(("line", "found"), [("schema = 2", "2"), ("", "(missing)"), ('schema = "1"', "'1'")])
def test_wrong_version(tmp_path: Path, line: str, found: str) -> None:
    issues = problems(tmp_path, GOOD.replace("schema = 1", line))
    assert [(i.key, i.found) for i in issues] == [("schema", found)]
    assert issues[0].expected == "schema = 1 (this app reads layout format version 1)"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        GOOD.replace('top = "video_grid"', 'top = "nope"')
        .replace('screen = { name = "DP-2" }\n', "")
        .replace('monitor = "left"', 'monitor = "middle"')
    )
    keys = set(by_key(problems(tmp_path, text)))
    assert {"presets.normal.panels.top", "monitors.right.screen", "regions.map.monitor"} <= keys


def test_spanning_region_must_form_a_rectangle(tmp_path: Path) -> None:
    wall = GOOD.replace("columns = 2", "columns = 3").replace(
        "[regions.map]", "[monitors.third]\nposition = [0, 2]\nscreen = { order = 2 }\n\n[regions.map]"
    )
    text = wall.replace('[regions.map]\nmonitor = "left"', '[regions.map]\nmonitors = ["left", "third"]')
    issue = by_key(problems(tmp_path, text))["regions.map.monitors"]
    assert issue.expected == "monitors that together form a filled rectangle on the wall"
    text = wall.replace('[regions.map]\nmonitor = "left"', '[regions.map]\nmonitors = ["left", "right"]')
    issue = by_key(problems(tmp_path, text))["regions.top"]
    assert issue.found == "cell [0, 0] of monitor right, already used by region 'map'"


def test_structural_errors_name_the_key(tmp_path: Path) -> None:
    issues = by_key(problems(tmp_path, GOOD.replace("bezel_mm = 8.0", "bezel_mm = -1\ncolour = 'red'")))
    assert "wall.colour" in issues
    assert "docs/layouts.md" in issues["wall.colour"].expected
    assert any(k.startswith("wall.bezel_mm") for k in issues)


def test_grid_position_outside_the_wall_and_duplicate_preset_key(tmp_path: Path) -> None:
    text = GOOD.replace("position = [0, 1]", "position = [1, 1]").replace(
        '[presets.flood]\nkey = "F6"', '[presets.flood]\nkey = "F6"\n\n[presets.storm]\nkey = "F6"'
    )
    issues = by_key(problems(tmp_path, text))
    assert issues["monitors.right.position"].expected.startswith("a [row, column] inside the 1 × 2 wall grid")
    assert issues["presets.storm.key"].found == "F6"


def test_file_errors(tmp_path: Path) -> None:
    assert problems(tmp_path, "schema = 1\nname = [")[0].key == "(syntax)"
    with pytest.raises(SiteError, match="no such file"):
        load_layout(tmp_path / "absent.toml")
    (tmp_path / "bad.toml").write_bytes(b"\xff\xfe")
    assert "not UTF-8" in check_layout(tmp_path / "bad.toml")[0].found


def test_find_layout_by_name(tmp_path: Path) -> None:
    assert find_layout("wall-3x2", [tmp_path, shipped_layouts()]) == shipped_layouts() / "wall-3x2.toml"
    with pytest.raises(SiteError, match=r"no layout named .nowhere. .*expected one of: none"):
        find_layout("nowhere", [tmp_path])


def test_monitor_without_regions_is_a_warning(tmp_path: Path) -> None:
    text = GOOD.replace('[regions.map]\nmonitor = "left"\n', "").replace('map = "map3d", ', "")
    issues = check_layout(write(tmp_path, text))
    assert [(i.severity, i.key) for i in issues] == [("warning", "monitors.left")]
