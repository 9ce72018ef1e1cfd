"""The camera layer: every registered camera on the map, aggregated into clusters when zoomed out.

A district has tens of thousands of cameras; drawn one by one from afar they are noise and
cost triangles, so beyond ``CLUSTER_ABOVE_M`` of camera distance they are binned on a coarse
ground grid (a cell is ``CLUSTER_CELL_PX`` on screen, so the overview shows a sparse lattice,
not a carpet) and each occupied cell is one small, dim, flat disc (``DISC_PX`` by count,
``CLUSTER_ALPHA``): the cameras are an unobtrusive layer under the city and its traffic, not a
blanket over them. Close in, each camera is a small diamond (amber for PTZ) with a translucent
view cone when its heading and field of view are known. Sizes are in screen pixels at each
item's depth (``metres_per_pixel``). Everything is one merged mesh; the clustering is redone
when the zoom changes bucket, the sizes when the camera moved. Drawn on the top layer just
below the vehicles, so traffic stays on top. Clicking a camera yields its id, clicking a
cluster ``cluster:<k>`` (``cluster_focus`` says where to zoom).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from controlroom.render import hover_words as hover
from controlroom.render.hover_words import PLAIN, HoverWords
from controlroom.render.overlays.base import (
    MeshOverlay,
    ViewWatch,
    camera_distance,
    metres_per_pixel,
    palette,
)
from controlroom.render.overlays.solids import faces_for

if TYPE_CHECKING:
    from controlroom.core.cameras import CameraRegistry

CLUSTER_ABOVE_M = 2500.0  # camera distance beyond which cameras are aggregated
CLUSTER_CELL_PX = 110.0  # cluster cell edge on screen (at the focal point)
DISC_PX = (3.0, 8.0)  # cluster disc radius on screen: 1 camera .. ``DISC_FULL_AT`` or more
DISC_FULL_AT = 200
DIAMOND_PX = 4.0  # camera diamond half-size on screen
CONE_PX = 20.0  # view-cone length on screen
MIN_DIAMOND_M = 1.5  # street level: a camera stays a little bigger than a speck
MIN_CONE_M = 8.0
Z_M = 1.5  # just above the roads, below the vehicles (``entities.GLYPH_Z_M``)
COLOURS = palette(["#2ea8ff", "#ffb020", "#9db4d3"])  # fixed, PTZ, cluster (steel: not a bus)
CAMERA_ALPHA = 220
CONE_ALPHA = 40
CLUSTER_ALPHA = 102  # 40 %: a hint of coverage, the city shows through
_CONE_SEGMENTS = 4
_DIAMOND = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
_CAMERA_TRIS = np.array([[0, 1, 2], [0, 2, 3]] + [[4, 5 + k, 6 + k] for k in range(_CONE_SEGMENTS)], np.int64)
_CAMERA_VERTS = 4 + 2 + _CONE_SEGMENTS  # diamond, cone apex + arc points
_DISC_SIDES = 12
_DISC_TRIS = np.array([[0, 1 + k, 1 + (k + 1) % _DISC_SIDES] for k in range(_DISC_SIDES)], np.int64)
_DISC_VERTS = 1 + _DISC_SIDES


def cluster_cells(x: np.ndarray, y: np.ndarray, cell: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cluster of each point, cluster centroid x, y) binning points on a square grid of ``cell`` m."""
    ix = np.floor(x / cell).astype(np.int64)
    iy = np.floor(y / cell).astype(np.int64)
    key = (ix - ix.min()) * (int(iy.max() - iy.min()) + 1) + (iy - iy.min()) if len(x) else ix
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    cx = np.bincount(inverse, weights=x) / counts
    cy = np.bincount(inverse, weights=y) / counts
    return inverse, cx, cy


class CameraOverlay(MeshOverlay):
    """Cameras from a ``CameraRegistry`` (a callable, so the registry can load after the map)."""

    key: str = "cameras"
    on_top: ClassVar[bool] = True  # street-level glyphs must not vanish behind towers

    def __init__(self, source: Callable[[], CameraRegistry | None], title: str = "Cameras") -> None:
        super().__init__(title)
        self.source = source
        self.clustered = False
        self.cluster_of = np.zeros(0, np.int64)
        self.cluster_counts = np.zeros(0, np.int64)
        self.cell_m = 0.0
        self._key: tuple[int, int] = (-1, -1)
        self._view = ViewWatch()

    def _style(self, prop: Any) -> None:
        prop.LightingOff()
        prop.SetOpacity(0.999)  # route through the translucent pass so per-vertex alpha applies

    def refresh(self, now: float) -> bool:
        registry = self.source()
        if registry is None or not self.is_visible() or self.plotter is None:
            return False
        distance = camera_distance(self.plotter)
        bucket = round(math.log2(max(distance, 1.0)) * 4)  # re-cluster every ~19 % of zoom
        key = (id(registry), bucket)
        view_moved = self._view.moved(self.plotter)
        if key == self._key and not view_moved:
            return False
        regroup = key != self._key
        self._key = key
        if len(registry) == 0:
            self.item_ids = []
            self.anchors = np.zeros((0, 3))
            self._set_geometry(np.zeros((0, 3)), np.zeros((0, 4), np.uint8))
            return True
        if 2 ** (bucket / 4) > CLUSTER_ABOVE_M:
            self._build_clusters(registry, 2 ** (bucket / 4), regroup or not self.clustered)
        else:
            self._build_cameras(registry)
        return True

    def _build_cameras(self, registry: CameraRegistry) -> None:
        self.clustered = False
        n = len(registry)
        x, y = registry.x, registry.y
        self.anchors = np.column_stack([x, y, np.full(n, Z_M)])
        mpp = metres_per_pixel(self.plotter, self.anchors)
        s = np.maximum(DIAMOND_PX * mpp, MIN_DIAMOND_M)
        diamond = np.empty((n, 4, 3))
        diamond[..., 0] = x[:, None] + _DIAMOND[None, :, 0] * s[:, None]
        diamond[..., 1] = y[:, None] + _DIAMOND[None, :, 1] * s[:, None]
        diamond[..., 2] = Z_M + 0.3
        heading = registry.heading_deg
        fov = np.nan_to_num(registry.fov_deg, nan=0.0)
        known = ~np.isnan(heading) & (fov > 0)
        h = np.radians(np.nan_to_num(heading))
        half = np.radians(fov) / 2
        t = np.linspace(-1.0, 1.0, _CONE_SEGMENTS + 1)
        ang = h[:, None] + half[:, None] * t[None, :]
        length = np.where(known, np.maximum(CONE_PX * mpp, MIN_CONE_M), 0.0)  # unknown: zero-area cone
        cone = np.empty((n, _CONE_SEGMENTS + 2, 3))
        cone[:, 0, 0], cone[:, 0, 1] = x, y
        cone[:, 1:, 0] = x[:, None] + np.sin(ang) * length[:, None]
        cone[:, 1:, 1] = y[:, None] + np.cos(ang) * length[:, None]
        cone[..., 2] = Z_M
        points = np.concatenate([diamond, cone], axis=1).reshape(-1, 3)
        rgb = COLOURS[registry.ptz.astype(np.int64)]
        rgba = np.empty((n, _CAMERA_VERTS, 4), np.uint8)
        rgba[..., :3] = rgb[:, None, :]
        rgba[:, :4, 3] = CAMERA_ALPHA
        rgba[:, 4:, 3] = CONE_ALPHA
        self.item_ids = list(registry.ids)
        self._set_geometry(
            points, rgba.reshape(-1, 4), faces=faces_for(n, _CAMERA_TRIS, _CAMERA_VERTS), lines=None
        )

    def _build_clusters(self, registry: CameraRegistry, distance: float, regroup: bool) -> None:
        """Discs for the clusters; the binning itself only when the zoom bucket changed."""
        if regroup:
            self.clustered = True
            # metres per pixel per metre of distance, times the bucket's distance: the grid does
            # not shift while the zoom stays within a bucket
            per_m = float(metres_per_pixel(self.plotter)[0]) / max(camera_distance(self.plotter), 1.0)
            self.cell_m = CLUSTER_CELL_PX * per_m * distance
            inverse, cx, cy = cluster_cells(registry.x, registry.y, self.cell_m)
            self.cluster_of = inverse
            self.cluster_counts = np.bincount(inverse)
            self.anchors = np.column_stack([cx, cy, np.full(len(cx), Z_M)])
            self.item_ids = [f"cluster:{i}" for i in range(len(cx))]
        k = len(self.cluster_counts)
        cx, cy = self.anchors[:, 0], self.anchors[:, 1]
        fill = np.clip(np.log(self.cluster_counts) / math.log(DISC_FULL_AT), 0.0, 1.0)
        radius_px = DISC_PX[0] + (DISC_PX[1] - DISC_PX[0]) * fill
        radius = radius_px * metres_per_pixel(self.plotter, self.anchors)
        ang = np.linspace(0, 2 * np.pi, _DISC_SIDES, endpoint=False)
        disc = np.empty((k, _DISC_VERTS, 3))
        disc[:, 0, 0], disc[:, 0, 1] = cx, cy
        disc[:, 1:, 0] = cx[:, None] + np.cos(ang)[None] * radius[:, None]
        disc[:, 1:, 1] = cy[:, None] + np.sin(ang)[None] * radius[:, None]
        disc[..., 2] = Z_M
        rgba = np.empty((k, _DISC_VERTS, 4), np.uint8)
        rgba[..., :3] = COLOURS[2]  # one flat colour: no bright centre, no glow
        rgba[..., 3] = CLUSTER_ALPHA
        self._set_geometry(
            disc.reshape(-1, 3), rgba.reshape(-1, 4), faces=faces_for(k, _DISC_TRIS, _DISC_VERTS)
        )

    # ---------------------------------------------------------------- queries
    def cluster_rows(self, item_id: str) -> np.ndarray:
        """Registry rows of the cameras in a cluster (empty for a camera id or a stale cluster)."""
        if not (self.clustered and item_id.startswith("cluster:")):
            return np.zeros(0, np.intp)
        k = int(item_id.split(":", 1)[1])
        return np.flatnonzero(self.cluster_of == k)

    def cluster_focus(self, item_id: str) -> tuple[float, float, float] | None:
        """Where to fly to open a cluster: its centre and a distance that shows its cameras."""
        if not item_id.startswith("cluster:") or not len(self.item_ids):
            return None
        k = int(item_id.split(":", 1)[1])
        if k >= len(self.anchors):
            return None
        x, y, _ = self.anchors[k]
        return float(x), float(y), min(CLUSTER_ABOVE_M * 0.8, max(300.0, self.cell_m * 4))

    def describe(self, item_id: str, words: HoverWords = PLAIN) -> str:
        registry = self.source()
        if registry is None:
            return item_id
        if item_id.startswith("cluster:"):
            return words.say(hover.CAMERA_CLUSTER, len(self.cluster_rows(item_id)))
        camera = registry.find(item_id)
        if camera is None:
            return item_id
        return words.say(
            hover.CAMERA_PTZ if camera.ptz else hover.CAMERA,
            name=camera.name_in(words.language()),
            id=camera.id,
        )
