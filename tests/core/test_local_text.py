"""Site texts per language: ``title = {en = "…", zh_CN = "…"}`` or a plain string, with a fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlroom.core.issues import SiteError
from controlroom.core.local_text import pick
from controlroom.core.site import parse_site

SITE = """
schema = 1
[site]
name = "t"
title = "Harbour City"
crs = "EPSG:32650"
[[city_model]]
path = "b.parquet"
crs = "EPSG:4326"
[branding]
title = {{ en = "Harbour City", zh_CN = "海港城" }}
[[metrics]]
name = "aqi"
title = {title}
[dispatch]
user = "lee"
[[dispatch.users]]
name = "lee"
role = "leader"
display_name = {{ en = "Director Lee", zh_CN = "李主任" }}
[names]
"东区" = {{ en = "East District" }}
"""


def _site(tmp_path: Path, title: str = '{ en = "Air quality", zh_CN = "空气质量" }'):  # type: ignore[no-untyped-def]
    return parse_site(SITE.format(title=title), tmp_path / "site.toml")


def test_per_language_names_with_english_and_as_given_fallbacks(tmp_path: Path) -> None:
    site = _site(tmp_path)
    assert site.metrics[0].title_in("zh_CN") == "空气质量" and site.metrics[0].title_in("en") == "Air quality"
    assert site.title_in("zh_CN") == "海港城" and site.title == "Harbour City"
    assert site.place_name("东区", "en") == "East District"
    assert site.place_name("东区", "zh_CN") == "East District"  # no Chinese given: English, never empty
    assert site.place_name("西区", "en") == "西区"  # not listed: as the data spell it
    assert _site(tmp_path, '"Air quality"').metrics[0].title_in("zh_CN") == "Air quality"  # plain string
    assert pick({"zh_CN": "只有中文"}, "en") == "只有中文"
    assert site.dispatch.users[0].display_name == {"en": "Director Lee", "zh_CN": "李主任"}


def test_an_unknown_language_key_is_named(tmp_path: Path) -> None:
    with pytest.raises(SiteError) as err:
        _site(tmp_path, '{ en = "Air quality", fr = "Qualité de l’air" }')
    text = str(err.value)
    assert "metrics" in text and "fr" in text and "en, zh_CN" in text
