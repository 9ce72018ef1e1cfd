"""The site's [[metrics]] section: thresholds validated with a clear message, levels computed."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlroom.core.issues import SiteError
from controlroom.core.site import MetricSpec, parse_site

BASE = """
schema = 1
[site]
name = "m"
title = "M"
crs = "EPSG:32650"
[[city_model]]
path = "x.parquet"
crs = "EPSG:4326"
"""


def test_metrics_parse_and_levels(tmp_path: Path) -> None:
    site = parse_site(BASE + '[[metrics]]\nname = "aqi"\nwarn = 100\nalarm = 150\n', tmp_path / "site.toml")
    spec = site.metrics[0]
    assert [spec.level(v) for v in (99, 100, 149.9, 150)] == ["ok", "warn", "warn", "alarm"]
    low = MetricSpec(name="reserve", warn=10, alarm=5, direction="below")
    assert [low.level(v) for v in (11, 10, 5)] == ["ok", "warn", "alarm"]


def test_alarm_milder_than_warn_is_reported_with_its_key(tmp_path: Path) -> None:
    text = BASE + '[[metrics]]\nname = "aqi"\nwarn = 150\nalarm = 100\n[[metrics]]\nname = "x"\nbogus = 1\n'
    with pytest.raises(SiteError) as err:
        parse_site(text, tmp_path / "site.toml")
    message = str(err.value)
    assert "metrics[0]" in message and "alarm 100.0 must be ≥ warn 150.0" in message
    assert "metrics[1].bogus" in message
