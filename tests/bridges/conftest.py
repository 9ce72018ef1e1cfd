"""Bridge fixtures: a site around the sample data's city, and real brokers on free loopback ports."""

from __future__ import annotations

import json
import socket
from pathlib import Path

#: (min_lon, min_lat, max_lon, max_lat) around each sample's service area.
BAY_AREA = (-122.55, 37.20, -121.75, 37.95)  # Caltrain and BART
MINNEAPOLIS = (-93.35, 44.90, -93.15, 45.05)  # Metro Transit route 2
#: The mozIoT lab log has no coordinates; the maps give the lab a place (Huacheng, Guangzhou).
LAB = (113.3105, 23.1186, 113.3209, 23.1267)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_site(
    folder: Path, bbox: tuple[float, float, float, float], sources: str, crs: str = "EPSG:3857"
) -> Path:
    """A site whose city model is two 10 m boxes at the corners of ``bbox`` (so its extent is the bbox)."""
    folder.mkdir(parents=True, exist_ok=True)
    d = 0.0001

    def box(lon: float, lat: float) -> dict[str, object]:
        ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
        return {
            "type": "Feature",
            "properties": {"height": 10},
            "geometry": {"type": "Polygon", "coordinates": [ring]},
        }

    features = [box(bbox[0], bbox[1]), box(bbox[2] - d, bbox[3] - d)]
    (folder / "city.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    site = folder / "site.toml"
    site.write_text(
        f"""schema = 1
[site]
name = "bridge-test"
title = "Bridge test site"
crs = "{crs}"

[[city_model]]
path = "city.geojson"
crs = "EPSG:4326"
licence = "test boxes"

[feed]
extent_margin_m = 500

{sources}
""",
        encoding="utf-8",
    )
    return site
