"""The camera registry: every camera of a site, searchable by text and by place.

A district centre aggregates tens of thousands of cameras and an operator must see the ones
around an alarm *now*, so the registry keeps its columns as numpy arrays (35,000 rows load in
well under a second) and answers nearest-N / within-radius queries from a k-d tree
(``scipy.spatial.cKDTree``: exact answers, ~tens of microseconds per query). ``Camera`` objects
are built on demand for the few rows a query returns. Positions are in the site's local frame
(metres east/north of the origin); lon/lat are WGS 84 for display and export.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from controlroom.core.local_text import pick

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Camera:
    """One camera; ``heading_deg`` (compass, 0 = north) and ``fov_deg`` are None when unknown."""

    id: str
    name: str
    x: float
    y: float
    lon: float
    lat: float
    main_url: str = ""
    sub_url: str = ""
    ptz: bool = False
    heading_deg: float | None = None
    fov_deg: float | None = None
    district: str = ""
    grid: str = ""
    tags: tuple[str, ...] = ()
    #: (language, name) where the site gives the camera a name per language (``name`` is the fallback)
    names_in: tuple[tuple[str, str], ...] = ()

    def name_in(self, language: str) -> str:
        """The camera's name in ``language``, else in English, else ``name``."""
        return pick(dict(self.names_in), language, self.name) if self.names_in else self.name

    def stream_url(self, main: bool) -> str:
        """The main (full resolution) or sub (grid) stream, falling back to the other one."""
        first, second = (self.main_url, self.sub_url) if main else (self.sub_url, self.main_url)
        return first or second


@dataclass(frozen=True, slots=True)
class Nearby:
    """A query answer: the camera and its straight-line distance in metres."""

    camera: Camera
    distance_m: float


class CameraRegistry:
    """Column store of cameras with an id index, a text search and a spatial index."""

    def __init__(
        self,
        ids: Sequence[str],
        names: Sequence[str],
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        lon: npt.ArrayLike,
        lat: npt.ArrayLike,
        *,
        main_urls: Sequence[str] | None = None,
        sub_urls: Sequence[str] | None = None,
        ptz: npt.ArrayLike | None = None,
        heading_deg: npt.ArrayLike | None = None,
        fov_deg: npt.ArrayLike | None = None,
        districts: Sequence[str] | None = None,
        grids: Sequence[str] | None = None,
        tags: Sequence[Sequence[str]] | None = None,
        nearest_n: int = 4,
        names_in: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        n = len(ids)
        self.ids: list[str] = [str(i) for i in ids]
        self.names: list[str] = [str(s) for s in names]
        self.x: F64 = np.asarray(x, np.float64).reshape(-1)
        self.y: F64 = np.asarray(y, np.float64).reshape(-1)
        self.lon: F64 = np.asarray(lon, np.float64).reshape(-1)
        self.lat: F64 = np.asarray(lat, np.float64).reshape(-1)
        self.main_urls = list(main_urls) if main_urls is not None else [""] * n
        self.sub_urls = list(sub_urls) if sub_urls is not None else [""] * n
        self.ptz = np.zeros(n, bool) if ptz is None else np.asarray(ptz, bool).reshape(-1)
        self.heading_deg: F64 = _optional(heading_deg, n)
        self.fov_deg: F64 = _optional(fov_deg, n)
        self.districts = list(districts) if districts is not None else [""] * n
        self.grids = list(grids) if grids is not None else [""] * n
        self.tags: list[tuple[str, ...]] = [tuple(t) for t in tags] if tags is not None else [()] * n
        self.nearest_n = nearest_n
        #: per-language names (language → one name per camera, "" where it has none)
        self.names_in: dict[str, list[str]] = {k: [str(s) for s in v] for k, v in (names_in or {}).items()}
        lengths = [len(self.names), len(self.x), len(self.y), len(self.lon), len(self.lat)]
        lengths += [len(self.main_urls), len(self.sub_urls), len(self.ptz), len(self.heading_deg)]
        lengths += [len(self.fov_deg), len(self.districts), len(self.grids), len(self.tags)]
        lengths += [len(v) for v in self.names_in.values()]
        if any(k != n for k in lengths):
            raise ValueError("camera columns differ in length")
        self._row = {cid: i for i, cid in enumerate(self.ids)}
        if len(self._row) != n:
            from collections import Counter

            dup = next(c for c, k in Counter(self.ids).items() if k > 1)
            raise ValueError(f"camera id '{dup}' appears more than once; ids must be unique")
        self._tree: cKDTree | None = None
        self._folded: list[str] | None = None

    # ------------------------------------------------------------------ rows
    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, camera_id: object) -> bool:
        return camera_id in self._row

    def __iter__(self) -> Iterator[Camera]:
        return (self.camera(i) for i in range(len(self)))

    def row(self, camera_id: str) -> int:
        try:
            return self._row[camera_id]
        except KeyError:
            raise KeyError(f"no camera with id '{camera_id}' ({len(self)} cameras in the registry)") from None

    def get(self, camera_id: str) -> Camera:
        return self.camera(self.row(camera_id))

    def find(self, camera_id: str) -> Camera | None:
        i = self._row.get(camera_id)
        return None if i is None else self.camera(i)

    def camera(self, i: int) -> Camera:
        h, f = self.heading_deg[i], self.fov_deg[i]
        return Camera(
            id=self.ids[i],
            name=self.names[i],
            names_in=tuple((k, v[i]) for k, v in self.names_in.items() if v[i]),
            x=float(self.x[i]),
            y=float(self.y[i]),
            lon=float(self.lon[i]),
            lat=float(self.lat[i]),
            main_url=self.main_urls[i],
            sub_url=self.sub_urls[i],
            ptz=bool(self.ptz[i]),
            heading_deg=None if np.isnan(h) else float(h),
            fov_deg=None if np.isnan(f) else float(f),
            district=self.districts[i],
            grid=self.grids[i],
            tags=self.tags[i],
        )

    @property
    def xy(self) -> F64:
        return np.column_stack([self.x, self.y])

    # ----------------------------------------------------------------- space
    @property
    def tree(self) -> cKDTree:
        """Built on first spatial query (a few ms at 35,000) so text-only users never pay for it."""
        if self._tree is None:
            from scipy.spatial import cKDTree

            self._tree = cKDTree(self.xy if len(self) else np.empty((0, 2)))
        return self._tree

    def nearest_rows(self, x: float, y: float, n: int | None = None) -> tuple[npt.NDArray[np.intp], F64]:
        """Rows and distances of the ``n`` cameras nearest (x, y), nearest first (exact)."""
        k = min(self.nearest_n if n is None else n, len(self))
        if k <= 0:
            return np.empty(0, np.intp), np.empty(0)
        dist, idx = self.tree.query((x, y), k=k)
        return np.atleast_1d(idx).astype(np.intp), np.atleast_1d(dist).astype(np.float64)

    def nearest(self, x: float, y: float, n: int | None = None) -> list[Nearby]:
        """The ``n`` (default: the site's ``nearest_n``) cameras nearest a local-frame point."""
        rows, dist = self.nearest_rows(x, y, n)
        return [Nearby(self.camera(int(i)), float(d)) for i, d in zip(rows, dist, strict=True)]

    def within(self, x: float, y: float, radius_m: float) -> list[Nearby]:
        """Every camera within ``radius_m`` of a point, nearest first."""
        if not len(self):
            return []
        rows = np.asarray(self.tree.query_ball_point((x, y), r=radius_m), np.intp)
        dist = np.hypot(self.x[rows] - x, self.y[rows] - y)
        order = np.argsort(dist, kind="stable")
        return [Nearby(self.camera(int(rows[i])), float(dist[i])) for i in order]

    # ------------------------------------------------------------------ text
    def search(self, text: str, limit: int = 50) -> list[Camera]:
        """Cameras whose id, name or a tag matches ``text`` (case-insensitive).

        Exact id first, then exact tag, then id/name substrings, each in registry order.
        """
        q = text.strip().casefold()
        if not q:
            return []
        if self._folded is None:
            self._folded = [
                "\x00".join([cid, self.names[i], *(v[i] for v in self.names_in.values())]).casefold()
                for i, cid in enumerate(self.ids)
            ]
        hits: list[int] = []
        seen: set[int] = set()

        def add(i: int) -> None:
            if i not in seen:
                seen.add(i)
                hits.append(i)

        for cid, i in self._row.items():
            if cid.casefold() == q:
                add(i)
        for i, tags in enumerate(self.tags):
            if any(t.casefold() == q for t in tags):
                add(i)
                if len(hits) >= limit:
                    break
        for i, folded in enumerate(self._folded):
            if len(hits) >= limit:
                break
            if q in folded:
                add(i)
        return [self.camera(i) for i in hits[:limit]]

    def with_tag(self, tag: str) -> list[Camera]:
        t = tag.casefold()
        return [self.camera(i) for i, tags in enumerate(self.tags) if any(x.casefold() == t for x in tags)]


def _optional(values: npt.ArrayLike | None, n: int) -> F64:
    """A float column where NaN means 'not known'."""
    if values is None:
        return np.full(n, np.nan)
    return np.asarray(values, np.float64).reshape(-1)


def split_tags(value: object) -> tuple[str, ...]:
    """Tags as written in a CSV cell ('road;bridge', 'a, b', 'x|y') or a GeoJSON list."""
    if value is None:
        return ()
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(str(v).strip() for v in value if str(v).strip())
    text = str(value)
    for sep in (",", "|"):
        text = text.replace(sep, ";")
    return tuple(t.strip() for t in text.split(";") if t.strip())
