"""The district's fixed shape: seed, frame and extent, the river's course, and the names it draws from."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

SEED = 20261123
GENERATOR_VERSION = "3"  # bump when the generated data changes (2: terrain.tif, population; 3: name_en)
ORIGIN = (113.32, 23.11)
SITE_CRS = "EPSG:32649"
HALF_W, HALF_H = 3000.0, 2500.0
DATA_FILES = (
    "buildings.parquet",
    "boundary_city.geojson",
    "boundary_district.geojson",
    "boundary_street.geojson",
    "boundary_grid.geojson",
    "roads.geojson",
    "water.geojson",
    "poi.geojson",
    "cameras.csv",
    "units.csv",
    "terrain.tif",
)

Geoms = npt.NDArray[np.object_]

DISTRICTS = [("珠北区", "Zhubei"), ("东湖区", "Donghu"), ("南洲区", "Nanzhou")]
STREETS = [
    ("金沙街道", "Jinsha"),
    ("海月街道", "Haiyue"),
    ("花城街道", "Huacheng"),
    ("云台街道", "Yuntai"),
    ("榕荫街道", "Rongyin"),
    ("珠光街道", "Zhuguang"),
    ("东圃街道", "Dongpu"),
    ("新洲街道", "Xinzhou"),
    ("南岸街道", "Nan'an"),
    ("沙洲街道", "Shazhou"),
    ("龙潭街道", "Longtan"),
    ("石岗街道", "Shigang"),
]
NS_ARTERIALS = [
    ("珠江大道", "Zhujiang Avenue"),
    ("海月路", "Haiyue Road"),
    ("金沙大道", "Jinsha Avenue"),
    ("云台路", "Yuntai Road"),
]
TOWER_PREFIX = ["珠江", "花城", "金沙", "海月", "云台", "南粤", "羊城", "榕城", "新洲", "琶洲"]
TOWER_PINYIN = [
    "Zhujiang",
    "Huacheng",
    "Jinsha",
    "Haiyue",
    "Yuntai",
    "Nanyue",
    "Yangcheng",
    "Rongcheng",
    "Xinzhou",
    "Pazhou",
]
TOWER_SUFFIX = [
    ("国际金融中心", "IFC"),
    ("环球大厦", "Global Tower"),
    ("商务中心", "Business Centre"),
    ("国际大厦", "International Tower"),
]


def _river(x: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Centre line y and width of the river at x."""
    y = -200 + 260 * np.sin(2 * np.pi * (x + 3000) / 6500) + 90 * np.sin(2 * np.pi * x / 1900)
    return y, 380 + 90 * np.sin(2 * np.pi * x / 4100 + 1)


def _band(x: npt.NDArray[np.float64], lo: npt.NDArray[np.float64], hi: npt.NDArray[np.float64]) -> Any:
    import shapely

    return shapely.Polygon(np.concatenate([np.column_stack([x, lo]), np.column_stack([x[::-1], hi[::-1]])]))
