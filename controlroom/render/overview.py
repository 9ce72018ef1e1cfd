"""The overview framing: the city fills the map, whatever the map's shape (desk, laptop, wall).

Framing the city's bounding sphere leaves an oblique city floating in the middle of a wide map
(about 45 % of a 3 × 2 wall). Instead the overview camera looks north (so the north arrow points
up and the city's grid lines up with the screen) and is placed by projecting the city's ground
footprint with the camera's own perspective: for a few elevations it finds the farthest distance
at which the footprint still covers ``TARGET_COVERAGE`` of the viewport, and keeps the elevation
that shows the most of the city at that fill. A wide wall gets a lower, wider look; a 4:3 laptop
a steeper one. Pure numpy, so the snapshot command and the tests use the same framing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

TARGET_COVERAGE = 0.74  # of the viewport, a margin above the 70 % the wall needs
ELEVATIONS_DEG = (50.0, 56.0, 45.0, 40.0, 35.0, 30.0)  # in order of preference
OVERVIEW_AZIMUTH_DEG = 0.0  # looking north: north is up on every overview
Extent = tuple[float, float, float, float, float, float]
Vec3 = tuple[float, float, float]


@dataclass(frozen=True)
class OverviewPose:
    """Where the overview camera looks from, and what it shows of the city."""

    focal: Vec3
    distance: float
    azimuth_deg: float
    elevation_deg: float
    coverage: float  # fraction of the viewport the city's footprint covers
    visible: float  # fraction of the footprint inside the viewport


def _basis(az_deg: float, el_deg: float) -> tuple[npt.NDArray[np.float64], ...]:
    az, el = math.radians(az_deg), math.radians(el_deg)
    forward = np.array([math.sin(az) * math.cos(el), math.cos(az) * math.cos(el), -math.sin(el)])
    up = np.array([math.sin(az) * math.sin(el), math.cos(az) * math.sin(el), math.cos(el)])
    right = np.cross(forward, up)
    return forward, up, right


def project_ndc(
    corners: npt.NDArray[np.float64], focal: Vec3, distance: float, az_deg: float, el_deg: float,
    view_angle_deg: float, aspect: float,
) -> npt.NDArray[np.float64]:  # fmt: skip
    """World points (n, 3) → normalised device coordinates (n, 2), the viewport being [-1, 1]²."""
    forward, up, right = _basis(az_deg, el_deg)
    position = np.asarray(focal) - forward * distance
    v = corners - position
    depth = np.maximum(v @ forward, 1e-6)
    t = math.tan(math.radians(view_angle_deg) / 2.0)
    return np.column_stack([(v @ right) / depth / t / aspect, (v @ up) / depth / t])


def polygon_area(poly: npt.NDArray[np.float64]) -> float:
    if len(poly) < 3:
        return 0.0
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def clip_to_square(poly: npt.NDArray[np.float64], half: float = 1.0) -> npt.NDArray[np.float64]:
    """Sutherland–Hodgman clip of a polygon to the square [-half, half]²."""
    out = [tuple(p) for p in poly]
    for axis in (0, 1):
        for sign in (1.0, -1.0):
            if not out:
                break
            src, out = out, []
            for i, cur in enumerate(src):
                prev = src[i - 1]
                cur_in = sign * cur[axis] <= half
                prev_in = sign * prev[axis] <= half
                if cur_in != prev_in:
                    t = (sign * half - prev[axis]) / (cur[axis] - prev[axis])
                    out.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
                if cur_in:
                    out.append(cur)
    return np.array(out, np.float64).reshape(-1, 2)


def footprint(extent: Extent) -> npt.NDArray[np.float64]:
    """The city's ground rectangle (4, 3), counter-clockwise, at its lowest height."""
    x0, x1, y0, y1, z0, _ = extent
    return np.array([[x0, y0, z0], [x1, y0, z0], [x1, y1, z0], [x0, y1, z0]], np.float64)


def coverage(screen: npt.NDArray[np.float64]) -> tuple[float, float]:
    """(fraction of the viewport covered, fraction of the polygon inside) of an NDC polygon."""
    inside = polygon_area(clip_to_square(screen))
    whole = polygon_area(screen)
    return inside / 4.0, (inside / whole if whole > 0 else 0.0)


def fit_overview(
    extent: Extent,
    view_angle_deg: float,
    aspect: float,
    target: float = TARGET_COVERAGE,
    tops: npt.NDArray[np.float64] | None = None,
) -> OverviewPose:
    """The overview pose for a viewport of ``aspect`` (width / height): see the module docstring.

    ``tops`` (n, 3) are points that must stay below the top edge (the tallest roofs); by
    default the far corners of the extent at its greatest height (at most 3 % of its size).
    """
    x0, x1, y0, y1, z0, z1 = extent
    # the ground: z = 0 of the local frame where the extent spans it (a tileset's root volume can
    # reach kilometres below and above the city), else the extent's lowest point
    ground = min(max(0.0, z0), z1)
    corners = footprint((x0, x1, y0, y1, ground, z1))
    size = max(x1 - x0, y1 - y0, 60.0)
    poses: list[OverviewPose] = []
    for elevation in ELEVATIONS_DEG:
        focal: Vec3 = ((x0 + x1) / 2.0, (y0 + y1) / 2.0, ground)
        distance = size
        for _ in range(2):  # fit the distance, centre the footprint at it, fit again
            distance = _fit_distance(corners, focal, size, elevation, view_angle_deg, aspect, target)
            focal = _centre_vertically(corners, focal, size, distance, elevation, view_angle_deg, aspect)
        distance = _fit_distance(corners, focal, size, elevation, view_angle_deg, aspect, target)
        if tops is None:
            roofs = corners.copy()
            roofs[:, 2] = ground + min(z1 - ground, 0.03 * size)  # no meshes: towers, not the volume
        else:
            roofs = np.asarray(tops, np.float64).reshape(-1, 3)
        for _ in range(40):  # the far towers' roofs stay below the top edge
            top = project_ndc(roofs, focal, distance, OVERVIEW_AZIMUTH_DEG, elevation, view_angle_deg, aspect)
            if not len(top) or float(top[:, 1].max()) <= 0.98:
                break
            distance *= 1.03
        ndc = project_ndc(corners, focal, distance, OVERVIEW_AZIMUTH_DEG, elevation, view_angle_deg, aspect)
        cov, vis = coverage(ndc)
        pose = OverviewPose(focal, distance, OVERVIEW_AZIMUTH_DEG, elevation, cov, vis)
        poses.append(pose)
    filled = [p for p in poses if p.coverage >= target - 0.04] or sorted(poses, key=lambda p: -p.coverage)[:1]
    whole = [p for p in filled if p.visible >= 0.97]
    # the first elevation (in order of preference) that fills the map and shows all of the city,
    # else the one showing the most of it
    best = whole[0] if whole else max(filled, key=lambda p: p.visible)
    return best


def _fit_distance(
    corners: npt.NDArray[np.float64], focal: Vec3, size: float, el: float, va: float, aspect: float,
    target: float,
) -> float:  # fmt: skip
    """The farthest distance at which the footprint still covers ``target`` (bisection: coverage
    falls as the camera backs away)."""
    near, far = size * 0.05, size * 20.0
    for _ in range(36):
        mid = math.sqrt(near * far)
        cov, _ = coverage(project_ndc(corners, focal, mid, OVERVIEW_AZIMUTH_DEG, el, va, aspect))
        near, far = (mid, far) if cov >= target else (near, mid)
    return near


def _centre_vertically(
    corners: npt.NDArray[np.float64], focal: Vec3, size: float, distance: float, el: float, va: float,
    aspect: float,
) -> Vec3:  # fmt: skip
    """Slide the focal point north/south so the footprint's near and far edges sit symmetric on
    screen (perspective makes the near half look bigger, leaving sky above a centred city)."""
    fx, fy, fz = focal
    for _ in range(8):
        ndc = project_ndc(corners, (fx, fy, fz), distance, OVERVIEW_AZIMUTH_DEG, el, va, aspect)
        top, bottom = float(ndc[:, 1].max()), float(ndc[:, 1].min())
        offset = (top + bottom) / 2.0  # > 0: the footprint sits high on screen
        if abs(offset) < 1e-3:
            break
        fy += offset * size * 0.25
    return (fx, fy, fz)
