"""The site file's data sections: the city model, GIS layers, registries, terrain and flood thresholds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from controlroom.core.local_text import LocalText
from controlroom.core.site.fields import (
    _EXTENSION_FORMATS,
    AdminLevel,
    CityFormat,
    VectorFormat,
    _crs_field,
    _Model,
)


class SiteInfo(_Model):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
    title: str
    language: Literal["en", "zh_CN"] = "en"
    crs: str = Field(description="the site's metric CRS (projected, metres)")
    origin: tuple[float, float] | None = Field(
        default=None, description="lon, lat (WGS 84) of the local frame's origin; default: model centre"
    )
    storey_height_m: Annotated[float, Field(gt=0, le=20)] = 3.2
    default_height_m: Annotated[float, Field(gt=0, le=1000)] = 10.0
    timezone: str = "Asia/Shanghai"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("an IANA time zone such as 'Asia/Shanghai' or 'Europe/Amsterdam'") from None
        return v

    _crs = field_validator("crs", mode="before")(classmethod(lambda cls, v: _crs_field(v)))

    @field_validator("crs")
    @classmethod
    def _metric(cls, v: str) -> str:
        if v in ("EPSG:4326", "gcj02", "bd09", "EPSG:4490"):
            raise ValueError("a projected metric CRS such as 'EPSG:32649' (UTM 49N), not a lon/lat frame")
        return v


class CityModelSource(_Model):
    path: Path
    format: CityFormat | None = None
    crs: str | None = Field(default=None, description="required unless the file declares one (CityJSON)")
    height_attribute: str | None = None
    floors_attribute: str | None = None
    id_attribute: str | None = None
    name_attribute: str | None = None
    lod: str | None = Field(default=None, description="CityJSON LoD to use; default the highest available")
    licence: str | None = None
    internal_only: bool = False

    _crs = field_validator("crs", mode="before")(
        classmethod(lambda cls, v: v if v is None else _crs_field(v))
    )

    @property
    def resolved_format(self) -> str:
        if self.format:
            return self.format
        name = self.path.name.lower()
        if name.endswith((".city.json", ".cityjson", ".city.jsonl")):
            return "cityjson"
        if name == "tileset.json":
            return "3dtiles"
        return _EXTENSION_FORMATS.get(self.path.suffix.lower(), "geojson")


class CityConfig(_Model):
    """How the city model is drawn: whole (default) or streamed as tiles under a memory cap."""

    tiles: bool = Field(
        default=False, description="build the city model into 3D Tiles and stream them (for 100k+ buildings)"
    )
    memory_mb: int = Field(default=600, gt=0, description="byte budget for tile content on the map")


class VectorSource(_Model):
    """A GIS layer: roads, water, points of interest, camera and unit registries."""

    path: Path
    crs: str
    format: VectorFormat | None = None
    name_attribute: str | None = "name"
    licence: str | None = None
    internal_only: bool = False

    _crs = field_validator("crs", mode="before")(classmethod(lambda cls, v: _crs_field(v)))

    @property
    def resolved_format(self) -> str:
        return self.format or _EXTENSION_FORMATS.get(self.path.suffix.lower(), "geojson")


class CameraSource(VectorSource):
    """The camera registry: which columns hold the id, stream URLs, PTZ, heading/FOV, district, grid, tags.

    A column named here but absent from the file leaves that field empty (the id is required).
    ``nearest_n`` is how many cameras "cameras around" opens for an incident. ``name_attributes``
    names a column per language (``{en = "name_en", zh_CN = "name"}``): a camera shows its name in
    the app's language, else in English, else ``name_attribute``'s.
    """

    id_attribute: str = "id"
    name_attributes: LocalText | None = None
    main_url_attribute: str = "main_url"
    sub_url_attribute: str = "sub_url"
    ptz_attribute: str = "ptz"
    heading_attribute: str = "heading_deg"
    fov_attribute: str = "fov_deg"
    district_attribute: str = "district"
    grid_attribute: str = "grid"
    tags_attribute: str = "tags"
    nearest_n: Annotated[int, Field(ge=1, le=16)] = 4


class BoundarySource(VectorSource):
    level: AdminLevel
    code_attribute: str | None = "code"
    parent_code_attribute: str | None = None


TerrainFormat = Literal["geotiff", "ascii", "cityjson"]


class TerrainSource(_Model):
    """Ground heights for the flood what-if: a raster DEM (GeoTIFF, ESRI ASCII grid) read with its
    own CRS, or a CityJSON file's ``TINRelief``. ``crs`` is only for a DEM that declares none;
    ``cell_m`` is the grid the what-if works on (default: the DEM's resolution, 1 m for a TIN).
    Heights are in the same vertical datum as the river gauges' readings."""

    path: Path
    format: TerrainFormat | None = None
    crs: str | None = None
    cell_m: Annotated[float, Field(gt=0, le=1000)] | None = None
    licence: str | None = None
    internal_only: bool = False

    _crs = field_validator("crs", mode="before")(
        classmethod(lambda cls, v: v if v is None else _crs_field(v))
    )

    @property
    def resolved_format(self) -> str:
        if self.format:
            return self.format
        name = self.path.name.lower()
        if name.endswith((".city.json", ".cityjson", ".json")):
            return "cityjson"
        if name.endswith((".asc", ".grd")):
            return "ascii"
        return "geotiff"


class FloodConfig(_Model):
    """Thresholds of the flood what-if (see docs/site.md "Terrain and flood what-if").

    A building is *wet* when water at its footprint is at least ``wet_depth_m`` deep (water at the
    door, ground floor wet) and *flooded* from ``flooded_depth_m`` (ground floor under water:
    evacuate); a road is *cut* where water on it is deeper than ``road_cut_depth_m`` (cars stall).
    POIs whose ``underground_attribute`` or category matches ``underground_tags`` (garages, metro
    entrances, underpasses) are affected as soon as water reaches them. ``population_attribute``
    names the building column with residents, for evacuation totals. ``flat_ground_m`` is the
    ground height assumed by the flat-ground approximation a site without ``[terrain]`` can use.
    """

    wet_depth_m: Annotated[float, Field(ge=0)] = 0.05
    flooded_depth_m: Annotated[float, Field(gt=0)] = 0.5
    road_cut_depth_m: Annotated[float, Field(ge=0)] = 0.3
    flat_ground_m: float = 0.0
    population_attribute: str | None = "population"
    underground_attribute: str = "category"
    underground_tags: list[str] = Field(
        default_factory=lambda: [
            "metro_station",
            "metro_entrance",
            "subway_entrance",
            "underground_garage",
            "parking_underground",
            "underpass",
        ]
    )

    @model_validator(mode="after")
    def _ordered(self) -> FloodConfig:
        if self.flooded_depth_m <= self.wet_depth_m:
            raise ValueError(
                f"flood.flooded_depth_m ({self.flooded_depth_m}) must be greater than "
                f"flood.wet_depth_m ({self.wet_depth_m})"
            )
        return self
