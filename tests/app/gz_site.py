"""A small Guangzhou site (three CityJSON blocks) for the CLI error and state-upgrade tests."""

from __future__ import annotations

import json
from pathlib import Path

# Guangzhou's CBD (113.32°E, 23.11°N) in WGS 84 / UTM zone 49N metres.
GZ_LON, GZ_LAT = 113.32, 23.11
CUBE = [[0, 0, 0], [10, 0, 0], [10, 10, 0], [0, 10, 0], [0, 0, 6], [10, 0, 6], [10, 10, 6], [0, 10, 6]]
SHELL = [[[0, 3, 2, 1]], [[4, 5, 6, 7]], [[0, 1, 5, 4]], [[1, 2, 6, 5]], [[2, 3, 7, 6]], [[3, 0, 4, 7]]]


def write_cityjson(folder: Path, epsg: int, name: str = "gz.city.json") -> Path:
    """Three 10 m blocks in Guangzhou, written in UTM 49N metres, declaring ``EPSG:<epsg>``."""
    from pyproj import Transformer

    x0, y0 = Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True).transform(GZ_LON, GZ_LAT)
    objects, vertices = {}, []
    for k in range(3):
        shell = [[[i + 8 * k for i in ring] for ring in face] for face in SHELL]
        objects[f"b{k}"] = {
            "type": "Building",
            "geometry": [{"type": "Solid", "lod": "1", "boundaries": [shell]}],
        }
        vertices += [[round((x0 + 40 * k + x) * 100), round((y0 + y) * 100), z * 100] for x, y, z in CUBE]
    doc = {
        "type": "CityJSON",
        "version": "2.0",
        "transform": {"scale": [0.01, 0.01, 0.01], "translate": [0, 0, 0]},
        "metadata": {"referenceSystem": f"https://www.opengis.net/def/crs/EPSG/0/{epsg}"},
        "CityObjects": objects,
        "vertices": vertices,
    }
    path = folder / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def write_site(folder: Path, city: Path, extra: str = "") -> Path:
    site = folder / "site.toml"
    site.write_text(
        f'schema = 1\n[site]\nname = "gz"\ntitle = "Guangzhou"\ncrs = "EPSG:32649"\n'
        f'origin = [{GZ_LON}, {GZ_LAT}]\n[[city_model]]\npath = "{city.name}"\n{extra}',
        encoding="utf-8",
    )
    return site
