"""What the search box finds, taken from the models the app already holds (all Qt-free).

Buildings, roads and POIs from the ``CityModel``; cameras from the site's ``CameraRegistry``;
vehicles and units from the live ``EntityStore``; incidents from the ``IncidentBoard``. Names in
both languages come from the data (``name`` and ``name_en``/``name_pinyin`` of GIS features).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from controlroom.core.search_index import SearchEntry, make_entry

if TYPE_CHECKING:
    from controlroom.core.cameras import CameraRegistry
    from controlroom.core.city import CityModel
    from controlroom.core.entities import EntityStore
    from controlroom.core.incidents import IncidentBoard

NAME_KEYS = ("name", "name_en", "name_pinyin", "ref", "addr", "address")


def _names(props: dict[str, object]) -> list[str | None]:
    out: list[str | None] = []
    for key in NAME_KEYS:
        value = props.get(key)
        if isinstance(value, dict):
            out += [str(v) for v in value.values()]
        elif value:
            out.append(str(value))
    return out


def city_entries(model: CityModel) -> list[SearchEntry]:
    """Every building (id, name; centred on its footprint), named road and POI of the city."""
    entries: list[SearchEntry] = []
    buildings = model.layers.get("buildings")
    if buildings is not None and len(buildings.objects):
        n = len(buildings.objects)
        tri = np.asarray(buildings.triangles)
        first = np.asarray(buildings.points, np.float64)[tri[:, 0]]
        obj = np.asarray(buildings.cell_object, np.intp)
        count = np.maximum(np.bincount(obj, minlength=n), 1)
        cx = np.bincount(obj, weights=first[:, 0], minlength=n) / count
        cy = np.bincount(obj, weights=first[:, 1], minlength=n) / count
        objects = buildings.objects
        for i in range(n):
            attrs = objects.attributes[i]
            names = [objects.names[i], *_names(attrs)]
            entries.append(make_entry("building", objects.ids[i], names, cx[i], cy[i], ("buildings", i)))
    roads = model.lines.get("roads")
    if roads is not None and roads.n_lines:
        seen: dict[str, int] = {}
        for i, feature in enumerate(roads.cell_feature.tolist()):
            props = roads.features[feature] if feature < len(roads.features) else {}
            key = str(props.get("name") or props.get("name_en") or "")
            if not key or key in seen:
                continue
            seen[key] = i
            seg = roads.points[roads.offsets[i] : roads.offsets[i + 1]]
            mid = seg[len(seg) // 2]
            entries.append(make_entry("road", key, _names(props), mid[0], mid[1], None))
    pois = model.points.get("poi")
    if pois is not None:
        for i, props in enumerate(pois.features[: pois.n_points]):
            pid = str(props.get("id") or f"poi-{i}")
            x, y = pois.points[i, 0], pois.points[i, 1]
            entries.append(make_entry("poi", pid, _names(props), x, y, None))
    return entries


def camera_entries(registry: CameraRegistry | None) -> list[SearchEntry]:
    if registry is None:
        return []
    return [
        make_entry(
            "camera",
            cid,
            [registry.names[i], *(v[i] for v in registry.names_in.values())],
            registry.x[i],
            registry.y[i],
            cid,
        )
        for i, cid in enumerate(registry.ids)
    ]


def unit_entries(store: EntityStore | None) -> list[SearchEntry]:
    """Live vehicles and units by id (where they are now)."""
    if store is None:
        return []
    n = len(store)
    x, y = store.x[:n], store.y[:n]
    return [make_entry("unit", eid, [], x[i], y[i], eid) for i, eid in enumerate(store.ids[:n])]


def incident_entries(
    board: IncidentBoard | None, type_label: dict[str, str] | None = None
) -> list[SearchEntry]:
    """Open incidents by id, text and type (``type_label`` adds the type in the UI's language)."""
    if board is None:
        return []
    labels = type_label or {}
    return [
        make_entry("incident", s.id, [s.text, s.type.replace("_", " "), labels.get(s.type)], s.x, s.y, s.id)
        for s in board.open()
    ]
