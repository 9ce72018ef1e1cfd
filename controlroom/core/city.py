"""The city model as plain arrays: what loaders produce and what the renderer draws.

Everything is in the site's local metric frame (metres east/north/up from the site origin), so
float32 on the GPU keeps centimetre precision and the renderer never sees UTM-sized numbers.
One ``CityLayer`` is one merged triangle mesh (buildings, roads, water ...); each triangle
carries the index of the object it belongs to, so a click maps back to a building and its
attributes without one actor per object.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from controlroom.core.vector import LineLayer, PointLayer


class Surface(enum.IntEnum):
    """Semantic class of a triangle (CityJSON semantic surfaces, simplified for colouring)."""

    UNKNOWN = 0
    GROUND = 1
    WALL = 2
    ROOF = 3
    CLOSURE = 4
    TERRAIN = 5
    OTHER = 6


# CityJSON semantic surface type -> Surface
SEMANTIC_SURFACES: Mapping[str, Surface] = {
    "GroundSurface": Surface.GROUND,
    "WallSurface": Surface.WALL,
    "RoofSurface": Surface.ROOF,
    "ClosureSurface": Surface.CLOSURE,
    "OuterCeilingSurface": Surface.WALL,
    "OuterFloorSurface": Surface.GROUND,
    "Window": Surface.WALL,
    "Door": Surface.WALL,
    "InteriorWallSurface": Surface.WALL,
    "CeilingSurface": Surface.OTHER,
    "FloorSurface": Surface.OTHER,
    "WaterSurface": Surface.OTHER,
    "WaterGroundSurface": Surface.GROUND,
    "WaterClosureSurface": Surface.CLOSURE,
    "TrafficArea": Surface.OTHER,
    "AuxiliaryTrafficArea": Surface.OTHER,
    "TransportationMarking": Surface.OTHER,
    "TransportationHole": Surface.OTHER,
}


# Layer kinds a city model is split into; the renderer gives each its own look.
LAYER_KINDS = ("buildings", "terrain", "roads", "water", "vegetation", "landuse", "bridges", "other")

# CityJSON CityObject type -> layer kind
CITYOBJECT_LAYER: Mapping[str, str] = {
    "Building": "buildings",
    "BuildingPart": "buildings",
    "BuildingInstallation": "buildings",
    "BuildingConstructiveElement": "buildings",
    "BuildingFurniture": "buildings",
    "BuildingStorey": "buildings",
    "BuildingRoom": "buildings",
    "BuildingUnit": "buildings",
    "TINRelief": "terrain",
    "Road": "roads",
    "Railway": "roads",
    "Waterway": "roads",
    "TransportSquare": "roads",
    "WaterBody": "water",
    "PlantCover": "vegetation",
    "SolitaryVegetationObject": "vegetation",
    "LandUse": "landuse",
    "Bridge": "bridges",
    "BridgePart": "bridges",
    "BridgeInstallation": "bridges",
    "BridgeConstructiveElement": "bridges",
    "BridgeRoom": "bridges",
    "BridgeFurniture": "bridges",
    "Tunnel": "other",
    "TunnelPart": "other",
    "TunnelInstallation": "other",
    "TunnelConstructiveElement": "other",
    "TunnelHollowSpace": "other",
    "TunnelFurniture": "other",
    "CityFurniture": "other",
    "OtherConstruction": "other",
    "GenericCityObject": "other",
}


@dataclass
class CityObjects:
    """The table of objects a layer's triangles point into (row i = object index i)."""

    ids: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    names: list[str | None] = field(default_factory=list)
    heights: list[float | None] = field(default_factory=list)
    lods: list[str | None] = field(default_factory=list)
    parents: list[str | None] = field(default_factory=list)
    attributes: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def append(
        self,
        obj_id: str,
        obj_type: str,
        *,
        name: str | None = None,
        height: float | None = None,
        lod: str | None = None,
        parent: str | None = None,
        attributes: dict[str, Any] | None = None,
    ) -> int:
        self.ids.append(obj_id)
        self.types.append(obj_type)
        self.names.append(name)
        self.heights.append(height)
        self.lods.append(lod)
        self.parents.append(parent)
        self.attributes.append(attributes or {})
        return len(self.ids) - 1

    def extend(self, other: CityObjects) -> None:
        self.ids += other.ids
        self.types += other.types
        self.names += other.names
        self.heights += other.heights
        self.lods += other.lods
        self.parents += other.parents
        self.attributes += other.attributes

    def record(self, index: int) -> dict[str, Any]:
        """Everything known about one object, for the info panel."""
        return {
            "id": self.ids[index],
            "type": self.types[index],
            "name": self.names[index],
            "height": self.heights[index],
            "lod": self.lods[index],
            "parent": self.parents[index],
            "attributes": dict(self.attributes[index]),
        }

    def attribute_names(self) -> list[str]:
        names: dict[str, None] = {}
        for attrs in self.attributes:
            for key in attrs:
                names.setdefault(key, None)
        return list(names)

    def column(self, name: str) -> list[Any]:
        """One value per object: a built-in column (height, type, ...) or an attribute."""
        builtin: dict[str, Sequence[Any]] = {
            "id": self.ids,
            "type": self.types,
            "name": self.names,
            "height": self.heights,
            "lod": self.lods,
            "parent": self.parents,
        }
        if name in builtin:
            return list(builtin[name])
        return [attrs.get(name) for attrs in self.attributes]


@dataclass
class CityLayer:
    """One merged triangle mesh plus the objects its triangles belong to."""

    kind: str
    points: npt.NDArray[np.float64]  # (N, 3) local metres
    triangles: npt.NDArray[np.int64]  # (M, 3) indices into points
    cell_object: npt.NDArray[np.int32]  # (M,) index into objects
    cell_surface: npt.NDArray[np.uint8]  # (M,) Surface value
    objects: CityObjects = field(default_factory=CityObjects)

    def __post_init__(self) -> None:
        m = len(self.triangles)
        if self.points.ndim != 2 or self.points.shape[1] != 3:
            raise ValueError(f"points must be (N, 3), got {self.points.shape}")
        if self.triangles.ndim != 2 or self.triangles.shape[1] != 3:
            raise ValueError(f"triangles must be (M, 3), got {self.triangles.shape}")
        if len(self.cell_object) != m or len(self.cell_surface) != m:
            raise ValueError("cell_object and cell_surface need one entry per triangle")

    @property
    def n_triangles(self) -> int:
        return len(self.triangles)

    @classmethod
    def empty(cls, kind: str) -> CityLayer:
        return cls(
            kind,
            np.empty((0, 3), np.float64),
            np.empty((0, 3), np.int64),
            np.empty(0, np.int32),
            np.empty(0, np.uint8),
        )

    @classmethod
    def concatenate(cls, kind: str, parts: Sequence[CityLayer]) -> CityLayer:
        """Merge layers into one mesh, re-basing point and object indices."""
        parts = [p for p in parts if p.n_triangles or len(p.objects)]
        if not parts:
            return cls.empty(kind)
        if len(parts) == 1:
            only = parts[0]
            return cls(kind, only.points, only.triangles, only.cell_object, only.cell_surface, only.objects)
        point_base = np.cumsum([0] + [len(p.points) for p in parts[:-1]])
        object_base = np.cumsum([0] + [len(p.objects) for p in parts[:-1]])
        objects = CityObjects()
        for p in parts:
            objects.extend(p.objects)
        return cls(
            kind,
            np.concatenate([p.points for p in parts]),
            np.concatenate([p.triangles + b for p, b in zip(parts, point_base, strict=True)]),
            np.concatenate(
                [p.cell_object + np.int32(b) for p, b in zip(parts, object_base, strict=True)]
            ).astype(np.int32),
            np.concatenate([p.cell_surface for p in parts]),
            objects,
        )

    def object_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for t in self.objects.types:
            counts[t] = counts.get(t, 0) + 1
        return counts


@dataclass
class LoadIssue:
    """A problem found while loading input that did not stop the load (repaired or skipped)."""

    source: str
    object_id: str | None
    problem: str
    action: str  # "repaired" | "skipped" | "defaulted"

    def __str__(self) -> str:
        where = f"{self.source}" + (f" [{self.object_id}]" if self.object_id else "")
        return f"{where}: {self.problem} ({self.action})"


@dataclass
class CityModel:
    """All layers of a loaded city in one local frame, plus how it got there."""

    crs: str  # the site's metric CRS, e.g. "EPSG:32649"
    origin: tuple[float, float, float]  # site-CRS coordinates of local (0, 0, 0)
    layers: dict[str, CityLayer] = field(default_factory=dict)
    lines: dict[str, LineLayer] = field(default_factory=dict)  # roads, boundary:<level>
    points: dict[str, PointLayer] = field(default_factory=dict)  # poi, ...
    issues: list[LoadIssue] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    tilesets: list[str] = field(default_factory=list)  # tileset.json paths the map streams (3D Tiles)
    #: Data derived from this model once and shared by its users (the road graph dispatch routes
    #: on), kept with the model so it goes when the model goes.
    derived: dict[str, object] = field(default_factory=dict, compare=False, repr=False)
    #: the drawn ground the city stands on (``geo.drape.Ground``: ``height(x, y)``); None: flat, z = 0
    ground: Any = None

    def __iter__(self) -> Iterator[CityLayer]:
        return iter(self.layers.values())

    @property
    def n_triangles(self) -> int:
        return sum(layer.n_triangles for layer in self.layers.values())

    def record(self, layer_kind: str, object_index: int) -> dict[str, Any]:
        """The info-panel record of an object (``CityObjects.record``) plus its layer."""
        record = self.layers[layer_kind].objects.record(object_index)
        record["layer"] = layer_kind
        return record

    def bounds(self) -> tuple[float, float, float, float, float, float]:
        """(xmin, xmax, ymin, ymax, zmin, zmax) over all layers in the local frame."""
        pts = [layer.points for layer in self.layers.values() if len(layer.points)]
        if not pts:
            return (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
        lo = np.min([p.min(axis=0) for p in pts], axis=0)
        hi = np.max([p.max(axis=0) for p in pts], axis=0)
        return (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]), float(lo[2]), float(hi[2]))
