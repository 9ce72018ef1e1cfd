"""The site file (``site.toml``): one city's model, boundaries, registries, endpoints and branding.

An installer writes one per site and ships it with the build, so validation must report every
problem at once, each naming the file, the key, what was found and what was expected. Relative
paths resolve against the site file's folder. This module is Qt-free and does no I/O beyond
reading the TOML; checking that the referenced files exist and parse is ``doctor``'s job.

The file's sections live in ``data`` (city model, layers, registries, terrain), ``services`` (feed,
dispatch, wall, history), ``presentation`` (layouts, branding, alarms, metrics, views); ``model``
holds the whole ``Site`` and ``loading`` reads it. Import from this package.
"""

from controlroom.core.site.data import (
    BoundarySource,
    CameraSource,
    CityConfig,
    CityModelSource,
    FloodConfig,
    SiteInfo,
    TerrainFormat,
    TerrainSource,
    VectorSource,
)
from controlroom.core.site.fields import (
    ADMIN_LEVELS,
    SCHEMA_VERSION,
    AdminLevel,
    CityFormat,
    VectorFormat,
    normalise_crs,
)
from controlroom.core.site.loading import issues_from_validation, load_site, parse_site
from controlroom.core.site.model import Site
from controlroom.core.site.presentation import AlarmsConfig, Branding, LayoutsConfig, MetricSpec, View
from controlroom.core.site.services import (
    Department,
    DispatchConfig,
    DispatchUser,
    FeedConfig,
    HistoryConfig,
    MqttFeedConfig,
    NatsFeedConfig,
    WallConfig,
    WallTarget,
)

__all__ = [
    "ADMIN_LEVELS",
    "SCHEMA_VERSION",
    "AdminLevel",
    "AlarmsConfig",
    "BoundarySource",
    "Branding",
    "CameraSource",
    "CityConfig",
    "CityFormat",
    "CityModelSource",
    "Department",
    "DispatchConfig",
    "DispatchUser",
    "FeedConfig",
    "FloodConfig",
    "HistoryConfig",
    "LayoutsConfig",
    "MetricSpec",
    "MqttFeedConfig",
    "NatsFeedConfig",
    "Site",
    "SiteInfo",
    "TerrainFormat",
    "TerrainSource",
    "VectorFormat",
    "VectorSource",
    "View",
    "WallConfig",
    "WallTarget",
    "issues_from_validation",
    "load_site",
    "normalise_crs",
    "parse_site",
]
