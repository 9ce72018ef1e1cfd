"""Map names that stay legible: district, river and major road labels, placed without collisions.

The labels come from the city's own layers (district boundary features, named water areas,
named major roads), one anchor per name. Each frame they are projected through the camera
(numpy, no render) and placed greedily in priority order (districts, then rivers, then roads):
a label whose box would overlap one already placed, or leave the viewport, is skipped for this
frame, which is what VTK's ``vtkLabelPlacementMapper`` does, without its per-frame label
hierarchy rebuild and with the system's CJK fonts through Qt. Sizes come from the caller (the
Qt view measures its text), so this module stays Qt-free and testable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from controlroom.core.city import CityModel

PRIORITY = {"district": 0, "river": 1, "road": 2}
MAJOR_ROADS = ("motorway", "trunk", "primary", "secondary")


@dataclass(frozen=True)
class MapLabel:
    """One name on the map: its texts by language, where it sits, and which way it runs."""

    kind: str  # "district" | "river" | "road"
    names: dict[str, str]  # language → text; "" key = the data's own name
    anchor: tuple[float, float, float]
    along: tuple[float, float] = (1.0, 0.0)  # a road's direction at the anchor (east, north)

    def text(self, language: str) -> str:
        """The name in ``language`` ('en', 'zh_CN'), else the data's own name."""
        return self.names.get(language) or self.names.get("", "")


def feature_names(feature: dict[str, Any]) -> dict[str, str]:
    """Names of a GIS feature by language: ``name`` is the local (Chinese) name, ``name_en`` or
    ``name_pinyin`` the English one; a ``name = {en = …, zh_CN = …}`` table is taken as is."""
    name = feature.get("name")
    if isinstance(name, dict):
        return {str(k): str(v) for k, v in name.items() if v}
    names: dict[str, str] = {}
    if name:
        names[""] = names["zh_CN"] = str(name)
    for key in ("name_en", "name_pinyin"):
        if feature.get(key):
            names["en"] = str(feature[key])
            break
    return names


def boundary_names(model: CityModel) -> dict[str, dict[str, str]]:
    """Every named boundary feature (city, district, street, grid) by its data name, with its
    names by language: how a place chain from the gateway reads in the app's language."""
    out: dict[str, dict[str, str]] = {}
    for key, layer in model.lines.items():
        if key.startswith("boundary:"):
            for feature in layer.features:
                names = feature_names(feature)
                if names.get(""):
                    out.setdefault(names[""], names)
    return out


def _ring_centroid(points: npt.NDArray[np.float64]) -> tuple[float, float]:
    x, y = points[:, 0], points[:, 1]
    cross = x * np.roll(y, -1) - np.roll(x, -1) * y
    area = cross.sum() / 2.0
    if abs(area) < 1e-9:
        return float(x.mean()), float(y.mean())
    cx = ((x + np.roll(x, -1)) * cross).sum() / (6 * area)
    cy = ((y + np.roll(y, -1)) * cross).sum() / (6 * area)
    return float(cx), float(cy)


def collect_labels(model: CityModel) -> list[MapLabel]:
    """Every district, named water area and named major road of the city, one anchor per name."""
    labels: list[MapLabel] = []
    districts = model.lines.get("boundary:district")
    if districts is not None and districts.n_lines:
        best: dict[int, tuple[float, int]] = {}
        for i, feature in enumerate(districts.cell_feature.tolist()):
            length = float(districts.offsets[i + 1] - districts.offsets[i])
            if feature not in best or length > best[feature][0]:
                best[feature] = (length, i)  # the outer ring has the most points
        for feature, (_n, i) in best.items():
            names = feature_names(districts.features[feature]) if feature < len(districts.features) else {}
            if names:
                ring = districts.points[districts.offsets[i] : districts.offsets[i + 1]]
                cx, cy = _ring_centroid(ring)
                labels.append(MapLabel("district", names, (cx, cy, float(ring[:, 2].max()))))
    labels += _water_labels(model)
    labels += _road_labels(model)
    return labels


def _water_labels(model: CityModel) -> list[MapLabel]:
    water = model.layers.get("water")
    if water is None or not water.n_triangles:
        return []
    out: list[MapLabel] = []
    centres = np.asarray(water.points, np.float64)[np.asarray(water.triangles)].mean(axis=1)
    for index in range(len(water.objects)):
        names = feature_names({**water.objects.attributes[index], "name": water.objects.names[index]})
        if not names:
            continue
        own = centres[np.asarray(water.cell_object) == index]
        if not len(own):
            continue
        middle = own.mean(axis=0)  # the triangle nearest the middle lies inside even a winding river
        anchor = own[int(np.argmin(((own[:, :2] - middle[:2]) ** 2).sum(axis=1)))]
        out.append(MapLabel("river", names, (float(anchor[0]), float(anchor[1]), float(anchor[2]))))
    return out


def _road_labels(model: CityModel) -> list[MapLabel]:
    roads = model.lines.get("roads")
    if roads is None or not roads.n_lines:
        return []
    longest: dict[str, tuple[float, int]] = {}
    for i, feature in enumerate(roads.cell_feature.tolist()):
        props = roads.features[feature] if feature < len(roads.features) else {}
        if props.get("highway") not in MAJOR_ROADS or not props.get("name") or props.get("bridge") == "yes":
            continue
        seg = roads.points[roads.offsets[i] : roads.offsets[i + 1]]
        length = float(np.linalg.norm(np.diff(seg[:, :2], axis=0), axis=1).sum())
        key = str(props["name"])
        if key not in longest or length > longest[key][0]:
            longest[key] = (length, i)
    out: list[MapLabel] = []
    for _name, (_length, i) in longest.items():
        seg = roads.points[roads.offsets[i] : roads.offsets[i + 1]]
        props = roads.features[int(roads.cell_feature[i])]
        steps = np.linalg.norm(np.diff(seg[:, :2], axis=0), axis=1)
        along = np.concatenate([[0.0], np.cumsum(steps)])
        k = int(np.clip(np.searchsorted(along, along[-1] * 0.35), 1, len(seg) - 1))  # off the crossings
        direction = seg[k, :2] - seg[k - 1, :2]
        norm = float(np.linalg.norm(direction)) or 1.0
        anchor = seg[k - 1] + (seg[k] - seg[k - 1]) * 0.5
        out.append(
            MapLabel(
                "road",
                feature_names(props),
                (float(anchor[0]), float(anchor[1]), float(anchor[2])),
                (float(direction[0] / norm), float(direction[1] / norm)),
            )
        )
    return out


Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels


def place(
    centres: npt.NDArray[np.float64], sizes: npt.NDArray[np.float64], order: list[int],
    viewport: tuple[float, float], margin: float = 4.0,
) -> list[int]:  # fmt: skip
    """Greedy placement: the indices (in ``order``) whose box, centred on its point, lies inside
    the viewport and overlaps no box placed before it (``margin`` pixels of air around each)."""
    width, height = viewport
    placed: list[Box] = []
    kept: list[int] = []
    for i in order:
        cx, cy = centres[i]
        if not (np.isfinite(cx) and np.isfinite(cy)):
            continue
        w, h = sizes[i]
        box = (cx - w / 2 - margin, cy - h / 2 - margin, cx + w / 2 + margin, cy + h / 2 + margin)
        if box[0] < 0 or box[1] < 0 or box[2] > width or box[3] > height:
            continue
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
            continue
        placed.append(box)
        kept.append(i)
    return kept


def nice_length(metres_per_pixel: float, target_px: float = 140.0) -> float:
    """A scale bar's length in metres: 1, 2 or 5 × 10^k, the largest not longer than ``target_px``."""
    if not np.isfinite(metres_per_pixel) or metres_per_pixel <= 0:
        return 0.0
    raw = metres_per_pixel * target_px
    power = 10.0 ** np.floor(np.log10(raw))
    for step in (5.0, 2.0, 1.0):
        if step * power <= raw:
            return float(step * power)
    return float(power)


def format_distance(metres: float) -> str:
    """'850 m', '1.2 km', '12 km': metres below a kilometre, then km."""
    if metres < 1000.0:
        return f"{metres:.0f} m"
    km = metres / 1000.0
    return f"{km:.1f} km" if km < 10 else f"{km:.0f} km"
