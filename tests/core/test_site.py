"""Site-file validation: every problem at once, each with file, key, found and expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlroom.core.site import load_site, normalise_crs, parse_site

GOOD = """
schema = 1
[site]
name = "test-site"
title = "Test Site"
crs = "EPSG:32649"

[[city_model]]
path = "data/buildings.geojson"
crs = "wgs84"
height_attribute = "height"

[[boundaries]]
path = "data/districts.geojson"
crs = "gcj02"
level = "district"

[[views]]
name = "overview"
lon = 113.32
lat = 23.11
"""


def test_good_site_resolves_paths_against_the_site_folder(tmp_path: Path) -> None:
    (tmp_path / "site.toml").write_text(GOOD, encoding="utf-8")
    site = load_site(tmp_path)  # a folder holding site.toml works too
    assert site.city_model[0].path == (tmp_path / "data" / "buildings.geojson").resolve()
    assert site.city_model[0].crs == "EPSG:4326"
    assert site.boundaries[0].crs == "gcj02"
    assert site.boundaries_at("district") == [site.boundaries[0]]
    assert site.view("overview").lat == pytest.approx(23.11)
    assert site.title == "Test Site"


def test_every_problem_is_reported_at_once_with_file_key_found_expected(tmp_path: Path) -> None:
    bad = """
schema = 1
[site]
name = "Bad Name"
title = "x"
crs = "EPSG:4326"
storey_height_m = "abc"
[[city_model]]
path = "b.geojson"
crs = "mars"
colour = "red"
[[boundaries]]
path = "d.geojson"
crs = "EPSG:4326"
level = "county"
[feed]
endpoint = "http://example"
"""
    with pytest.raises(Exception) as info:
        parse_site(bad, tmp_path / "site.toml")
    issues = info.value.issues  # type: ignore[attr-defined]
    by_key = {i.key: i for i in issues}
    assert set(by_key) >= {
        "site.name",
        "site.crs",
        "site.storey_height_m",
        "city_model[0].crs",
        "city_model[0].colour",
        "boundaries[0].level",
        "feed.endpoint",
    }
    assert all(i.file == str(tmp_path / "site.toml") for i in issues)
    assert "'abc'" in by_key["site.storey_height_m"].found
    assert "projected metric CRS" in by_key["site.crs"].expected
    assert "no such key" in by_key["city_model[0].colour"].expected
    assert "'city'" in by_key["boundaries[0].level"].expected


def test_wrong_schema_version_and_syntax_errors_are_named(tmp_path: Path) -> None:
    with pytest.raises(Exception) as info:
        parse_site("schema = 7\n", tmp_path / "site.toml")
    assert info.value.issues[0].key == "schema"  # type: ignore[attr-defined]
    with pytest.raises(Exception) as info:
        parse_site("schema = 1\n[site\n", tmp_path / "site.toml")
    issue = info.value.issues[0]  # type: ignore[attr-defined]
    assert issue.key == "(syntax)" and "line 2" in issue.found


def test_missing_site_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Exception) as info:
        load_site(tmp_path / "nope.toml")
    assert "no such file" in str(info.value)


def test_missing_city_model_is_required(tmp_path: Path) -> None:
    text = GOOD.split("[[city_model]]")[0]
    with pytest.raises(Exception) as info:
        parse_site(text, tmp_path / "site.toml")
    assert any(i.key == "city_model" and "required" in i.expected for i in info.value.issues)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("given", "canonical"),
    [("wgs84", "EPSG:4326"), ("epsg:32649", "EPSG:32649"), ("GCJ-02", "gcj02"), ("BD09", "bd09")],
)
def test_crs_spellings_normalise(given: str, canonical: str) -> None:
    assert normalise_crs(given) == canonical


def test_bad_time_zone_and_wall_endpoints_are_named(tmp_path: Path) -> None:
    bad = (
        GOOD.replace('crs = "EPSG:32649"', 'crs = "EPSG:32649"\ntimezone = "Asia/Guangzhou"', 1)
        + """
[wall]
control_endpoint = "udp://0.0.0.0:7730"
[[wall.targets]]
name = "main-wall"
endpoint = "10.0.0.5:7730"
"""
    )
    with pytest.raises(Exception) as info:
        parse_site(bad, tmp_path / "site.toml")
    by_key = {i.key: i for i in info.value.issues}  # type: ignore[attr-defined]
    assert "'Asia/Guangzhou'" in by_key["site.timezone"].found
    assert "IANA time zone" in by_key["site.timezone"].expected
    assert "ZeroMQ endpoint" in by_key["wall.control_endpoint"].expected
    assert "ZeroMQ endpoint" in by_key["wall.targets[0].endpoint"].expected
