"""A Huacheng site over the real Guangzhou data in ../shared (buildings, districts, roads, metro)."""

from __future__ import annotations

from pathlib import Path

from controlroom.core.site import Site, load_site


def huacheng_site(folder: Path, shared: Path, *, buildings: Path | None = None, extra_city: str = "") -> Site:
    gz = shared / "guangzhou"
    text = f"""
schema = 1
[site]
name = "huacheng"
title = "Huacheng"
crs = "EPSG:32649"

[[city_model]]
path = "{buildings or gz / "huacheng-osm-buildings.geojson"}"
crs = "EPSG:4326"
{extra_city}
[[boundaries]]
path = "{shared / "china_admin" / "440100_full.json"}"
crs = "gcj02"
level = "district"
code_attribute = "adcode"

[[roads]]
path = "{gz / "huacheng-local-roads.geojson"}"
crs = "EPSG:4326"

[[poi]]
path = "{gz / "guangzhou_metro_stations.derived.geojson"}"
crs = "EPSG:4326"
"""
    path = folder / "site.toml"
    path.write_text(text, encoding="utf-8")
    return load_site(path)
