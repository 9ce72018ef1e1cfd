"""Shortest routes over a site's roads, for drawing a dispatched unit's way to its incident.

The road polylines (the city model's ``roads`` LineLayer, local metres) become one undirected
graph, built once: roads at grade are noded where they cross (many road files, the sample site's
among them, draw long straight streets that cross without sharing a vertex), bridges and tunnels
(``bridge``/``tunnel`` set or ``layer`` ≠ 0) join only where a vertex is shared, so a route never
drops off a bridge onto the street below. Segments are cut to at most ``step_m`` so that snapping
an end point to the nearest graph vertex (a KD-tree) lands on the road beside it, not at the
next junction. A route is one Dijkstra run from the start vertex (scipy), then the straight
connectors from the true end points to the road. With no roads, or no road path between the two
vertices, the route is the straight line: the map still shows who is going where.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix
    from scipy.spatial import cKDTree

    from controlroom.core.city import CityModel
    from controlroom.core.vector import LineLayer

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
STEP_M = 20.0  # longest graph edge: the snapping error is at most half of it
MERGE_M = 0.5  # vertices closer than this are one junction


@dataclass(frozen=True)
class Route:
    """A drawable route: ``points`` (n, 2) local metres from start to end."""

    points: F64
    length_m: float  # along the drawn line, connectors included
    road_m: float  # the part on the road graph (0 for a straight line)
    by_road: bool


def straight_route(start: Sequence[float], end: Sequence[float]) -> Route:
    pts = np.array([start[:2], end[:2]], np.float64)
    return Route(pts, float(np.linalg.norm(pts[1] - pts[0])), 0.0, False)


def _grade_separated(feature: dict[str, Any]) -> bool:
    """True for bridges, tunnels and other levels (OSM ``layer``), which cross streets unjoined."""
    for key in ("bridge", "tunnel"):
        value = str(feature.get(key, "")).strip().lower()
        if value and value not in ("no", "false", "0", "none", "nan"):
            return True
    try:
        return int(float(feature.get("layer") or 0)) != 0
    except (TypeError, ValueError):
        return False


class RoadRouter:
    """The road graph of one site: vertices ``xy`` (V, 2), a symmetric CSR of edge lengths."""

    def __init__(self, xy: F64, graph: csr_matrix) -> None:
        from scipy.spatial import cKDTree

        self.xy = xy
        self.graph = graph
        self._routing = graph  # the graph minus closed edges (a flood what-if's cut roads)
        self.n_closed = 0
        self._tree: cKDTree = cKDTree(xy)

    @property
    def n_nodes(self) -> int:
        return len(self.xy)

    @property
    def n_edges(self) -> int:
        return int(self.graph.nnz // 2)

    def close_edges(self, u: npt.ArrayLike, v: npt.ArrayLike) -> None:
        """Route around these edges (both directions) until ``reopen``; replaces earlier closures.

        The flood what-if calls this with the roads it cuts while it is applied to the live desk;
        a route whose only way is closed falls back to the straight line, like an unconnected one.
        """
        u = np.asarray(u, np.int64).reshape(-1)
        v = np.asarray(v, np.int64).reshape(-1)
        if not len(u):
            self.reopen()
            return
        n = self.n_nodes
        closed = np.unique(np.concatenate([u * n + v, v * n + u]))
        g = self.graph.tocsr(copy=True)
        rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(g.indptr))
        hit = np.isin(rows * n + g.indices.astype(np.int64), closed)
        g.data[hit] = 0.0
        g.eliminate_zeros()
        self._routing = g
        self.n_closed = int(hit.sum() // 2)

    def reopen(self) -> None:
        """Every road open again (the what-if was cleared or the water went down)."""
        self._routing = self.graph
        self.n_closed = 0

    # ------------------------------------------------------------------ building
    @classmethod
    def from_layer(cls, layer: LineLayer, step_m: float = STEP_M) -> RoadRouter | None:
        """The graph of a LineLayer (CSR polylines); None when it has no usable road."""
        lines, separated = [], []
        for i in range(layer.n_lines):
            pts = np.asarray(layer.points[layer.offsets[i] : layer.offsets[i + 1], :2], np.float64)
            feature_no = int(layer.cell_feature[i]) if i < len(layer.cell_feature) else -1
            feature = layer.features[feature_no] if 0 <= feature_no < len(layer.features) else {}
            lines.append(pts)
            separated.append(_grade_separated(feature))
        return cls.from_lines(lines, separated, step_m)

    @classmethod
    def from_lines(
        cls, lines: Sequence[F64], grade_separated: Sequence[bool] | None = None, step_m: float = STEP_M
    ) -> RoadRouter | None:
        """Node the at-grade lines where they cross, cut every segment to ≤ ``step_m``, merge
        vertices closer than ``MERGE_M`` and keep the shortest of parallel edges."""
        import shapely

        separated = list(grade_separated) if grade_separated is not None else [False] * len(lines)
        usable = [i for i, ln in enumerate(lines) if len(ln) >= 2 and np.ptp(ln[:, :2], axis=0).any()]
        geoms = [shapely.LineString(lines[i][:, :2]) for i in usable]
        flags = [separated[i] for i in usable]
        if not geoms:
            return None
        at_grade = [g for g, s in zip(geoms, flags, strict=True) if not s]
        parts = list(shapely.get_parts(shapely.union_all(at_grade))) if at_grade else []
        parts += [g for g, s in zip(geoms, flags, strict=True) if s]
        parts = list(shapely.segmentize(np.array(parts, dtype=object), step_m))
        coords = [np.asarray(shapely.get_coordinates(p), np.float64) for p in parts]
        coords = [c for c in coords if len(c) >= 2]
        if not coords:
            return None
        xy_all = np.concatenate(coords)
        counts = np.array([len(c) for c in coords], np.int64)
        node, xy = _merge_vertices(xy_all, MERGE_M)
        first = np.concatenate([[0], np.cumsum(counts)])[:-1]
        a = np.arange(len(xy_all) - 1, dtype=np.int64)
        keep = np.ones(len(a), bool)
        keep[(first[1:] - 1)] = False  # no edge from one line's last vertex to the next's first
        a = a[keep]
        b = a + 1
        w = np.linalg.norm(xy_all[b] - xy_all[a], axis=1)
        u, v = node[a], node[b]
        return cls(xy, _symmetric_graph(u, v, w, len(xy)))

    # ------------------------------------------------------------------ routing
    def snap(self, point: Sequence[float]) -> tuple[int, float]:
        """The nearest graph vertex and its distance (metres)."""
        dist, index = self._tree.query(np.asarray(point[:2], np.float64))
        return int(index), float(dist)

    def route(self, start: Sequence[float], end: Sequence[float]) -> Route:
        """Shortest way by road from ``start`` to ``end`` (local x, y); straight when the roads
        cannot do better than the straight line's own length or do not connect the two."""
        from scipy.sparse.csgraph import dijkstra

        src, snap_a = self.snap(start)
        dst, snap_b = self.snap(end)
        direct = float(np.hypot(end[0] - start[0], end[1] - start[1]))
        if direct <= snap_a + snap_b:
            return straight_route(start, end)  # both off-road and close: the road is no help
        dist, pred = dijkstra(self._routing, directed=False, indices=src, return_predecessors=True)
        road_m = float(dist[dst])
        if not np.isfinite(road_m):
            return straight_route(start, end)
        path = [dst]
        while path[-1] != src:
            path.append(int(pred[path[-1]]))
        path.reverse()
        pts = np.vstack([np.asarray(start[:2], np.float64), self.xy[path], np.asarray(end[:2], np.float64)])
        return Route(pts, snap_a + road_m + snap_b, road_m, True)


def route_between(router: RoadRouter | None, start: Sequence[float], end: Sequence[float]) -> Route:
    """By road where the site has roads, else the straight line."""
    return router.route(start, end) if router is not None else straight_route(start, end)


def _merge_vertices(xy: F64, radius: float) -> tuple[I64, F64]:
    """Vertex → junction number (vertices within ``radius`` chained into one) and junction xy."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    pairs = cKDTree(xy).query_pairs(radius, output_type="ndarray")
    n = len(xy)
    near = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, label = connected_components(near, directed=False)
    label = label.astype(np.int64)
    first = np.full(label.max() + 1, -1, np.int64)
    first[label[::-1]] = np.arange(n - 1, -1, -1)  # the lowest vertex index of each junction
    return label, xy[first]


def _symmetric_graph(u: I64, v: I64, w: F64, n: int) -> csr_matrix:
    """Undirected CSR of edge lengths; duplicate edges keep their shortest length (a plain sparse
    build would add them up), self-loops dropped."""
    from scipy.sparse import csr_matrix

    lo, hi = np.minimum(u, v), np.maximum(u, v)
    ok = lo != hi
    lo, hi, w = lo[ok], hi[ok], np.maximum(w[ok], 1e-6)  # a zero weight would read as no edge
    order = np.lexsort((w, hi, lo))
    lo, hi, w = lo[order], hi[order], w[order]
    first = np.ones(len(lo), bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    lo, hi, w = lo[first], hi[first], w[first]
    return csr_matrix(
        (np.concatenate([w, w]), (np.concatenate([lo, hi]), np.concatenate([hi, lo]))), shape=(n, n)
    )


def road_router_for(model: CityModel | None) -> RoadRouter | None:
    """The model's road graph (None without roads), built on first use and kept with the model
    (``CityModel.derived``), so every map and the flood what-if share one graph per city."""
    if model is None:
        return None
    if "road_router" not in model.derived:
        roads = model.lines.get("roads")
        model.derived["road_router"] = RoadRouter.from_layer(roads) if roads is not None else None
    router = model.derived["road_router"]
    return router if isinstance(router, RoadRouter) else None
