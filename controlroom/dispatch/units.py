"""Dispatchable units: the site's registry, live positions from the feed, nearest-first ranking.

The registry (``[units]``, e.g. units.csv with id, name, type, lon, lat) says which units exist;
the feed says where they are now. Ranking is straight-line distance on the ground (a local
equirectangular approximation, well under 0.1 % off at city scale), among units that are
available and of a kind suited to the incident's department.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from controlroom.core.dispatch_model import UNIT_KIND_ALIASES, UnitRow, unit_kind
from controlroom.core.site import VectorSource

DISPATCHABLE_KINDS = frozenset(UNIT_KIND_ALIASES.values())
EARTH_RADIUS_M = 6_371_008.8


def read_registry(source: VectorSource) -> list[UnitRow]:
    """Units from the site's registry (CSV or any vector file of points)."""
    from controlroom.geo.crs import to_wgs84
    from controlroom.geo.vector_layers import json_safe_records, read_frame

    df, _ = read_frame(source.path, source.resolved_format, what="a units registry (points with id, type)")
    records = json_safe_records(df.drop(columns=df.geometry.name))
    lon, lat = to_wgs84(df.geometry.x.to_numpy(), df.geometry.y.to_numpy(), source.crs)
    out = []
    for i, r in enumerate(records):
        uid = str(r.get("id") or f"U{i:04d}")
        out.append(
            UnitRow(uid, unit_kind(r),
                    str(r.get(source.name_attribute or "name") or uid),
                    "available", "", float(lon[i]), float(lat[i]))
        )  # fmt: skip
    return out


def ground_distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Straight-line distance in metres (equirectangular; exact enough within a city)."""
    k = math.cos(math.radians((lat1 + lat2) / 2))
    dx = math.radians(lon2 - lon1) * k
    dy = math.radians(lat2 - lat1)
    return EARTH_RADIUS_M * math.hypot(dx, dy)


@dataclass(frozen=True)
class Candidate:
    unit_id: str
    kind: str
    name: str
    status: str
    distance_m: float

    def as_json(self) -> dict[str, object]:
        return {
            "unit_id": self.unit_id,
            "kind": self.kind,
            "name": self.name,
            "status": self.status,
            "distance_m": round(self.distance_m, 1),
        }


def rank_units(
    units: Iterable[UnitRow],
    lon: float,
    lat: float,
    kinds: Iterable[str] = (),
    live: Mapping[str, tuple[float, float]] | None = None,
    limit: int = 5,
) -> list[Candidate]:
    """Available units of the wanted kinds (any dispatchable kind if none), nearest first.

    ``live``: unit id → (lon, lat) from the feed, preferred over the registry position.
    """
    wanted = set(kinds) or set(DISPATCHABLE_KINDS)
    live = live or {}
    out = []
    for u in units:
        if u.status != "available" or u.kind not in wanted:
            continue
        ulon, ulat = live.get(u.id, (u.lon, u.lat))
        if not (math.isfinite(ulon) and math.isfinite(ulat)):
            continue
        out.append(Candidate(u.id, u.kind, u.name, u.status, ground_distance_m(lon, lat, ulon, ulat)))
    out.sort(key=lambda c: (c.distance_m, c.unit_id))
    return out[:limit]
