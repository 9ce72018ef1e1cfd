"""Ground heights as a regular grid in the site's local frame: what the flood what-if floods.

A site's ``[terrain]`` is either a raster DEM (GeoTIFF, ESRI ASCII grid … anything GDAL reads,
through rasterio) or a CityJSON ``TINRelief``. Both become one ``Terrain``: a float32 height grid
aligned with the local frame (row 0 is the southernmost row, column 0 the westernmost), so the
what-if compares one level against one array and looks heights up by index, with no CRS maths
per query. A DEM is warped into the site CRS once (bilinear); a TIN is rasterised with exact
barycentric interpolation (no re-triangulation). A DEM that does not say where it is (no CRS in
the file and none in the site file) is refused by name: guessing would put the river in the wrong
place without anyone noticing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from controlroom.core.issues import InputError

if TYPE_CHECKING:
    from controlroom.core.city import CityLayer
    from controlroom.core.site import TerrainSource
    from controlroom.geo.crs import LocalFrame

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
DEFAULT_TIN_CELL_M = 1.0
MAX_CELLS = 400_000_000  # a grid beyond this would not fit in memory here: refuse, name the cell size


@dataclass(frozen=True)
class Terrain:
    """Heights ``z`` (ny, nx) metres; NaN where the source has no data. Cell (i, j) has its centre
    at local (x0 + j·cell, y0 + i·cell)."""

    z: F32
    x0: float
    y0: float
    cell: float
    source: str = ""

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.z.shape[0]), int(self.z.shape[1]))

    @property
    def cell_area_m2(self) -> float:
        return self.cell * self.cell

    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, xmax, ymin, ymax) of the grid's outer cell edges, local metres."""
        ny, nx = self.shape
        h = self.cell / 2
        return (
            self.x0 - h,
            self.x0 + (nx - 1) * self.cell + h,
            self.y0 - h,
            self.y0 + (ny - 1) * self.cell + h,
        )

    def index(self, x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[I64, I64, npt.NDArray[np.bool_]]:
        """Row, column of the cell holding each point, and whether it is inside the grid."""
        xa = np.atleast_1d(np.asarray(x, np.float64))
        ya = np.atleast_1d(np.asarray(y, np.float64))
        j = np.floor((xa - self.x0) / self.cell + 0.5).astype(np.int64)
        i = np.floor((ya - self.y0) / self.cell + 0.5).astype(np.int64)
        ny, nx = self.shape
        inside = (i >= 0) & (i < ny) & (j >= 0) & (j < nx)
        return np.clip(i, 0, ny - 1), np.clip(j, 0, nx - 1), inside

    def sample(self, x: npt.ArrayLike, y: npt.ArrayLike) -> F64:
        """Height of the cell under each point (NaN outside the grid or where there is no data)."""
        i, j, inside = self.index(x, y)
        out = self.z[i, j].astype(np.float64)
        out[~inside] = np.nan
        return out

    def cell_centres(self) -> tuple[F64, F64]:
        """1-D x of the columns and y of the rows."""
        ny, nx = self.shape
        return (
            self.x0 + self.cell * np.arange(nx, dtype=np.float64),
            self.y0 + self.cell * np.arange(ny, dtype=np.float64),
        )


def _grid_for(
    xmin: float, xmax: float, ymin: float, ymax: float, cell: float, what: str, extra: int = 1
) -> tuple[int, int]:
    """Rows and columns of a grid spanning the extent (``extra`` = 1: the extent's ends are cell
    centres; 0: they are cell edges)."""
    nx = int(np.ceil((xmax - xmin) / cell - 1e-6)) + extra
    ny = int(np.ceil((ymax - ymin) / cell - 1e-6)) + extra
    if nx * ny > MAX_CELLS:
        raise InputError(
            f"{what}: a {cell:g} m grid over {xmax - xmin:.0f} × {ymax - ymin:.0f} m is {nx * ny:,} cells; "
            f"expected at most {MAX_CELLS:,} (set a larger terrain.cell_m)"
        )
    return ny, nx


def rasterise_triangles(
    points: F64, triangles: I64, cell: float, *, source: str = "", values: F64 | None = None
) -> Terrain:
    """A grid over the triangles' extent, each cell centre holding the linear interpolation of
    ``values`` (default the points' z) over the triangle it lies in; NaN outside every triangle."""
    pts = np.asarray(points, np.float64)
    tris = np.asarray(triangles, np.int64)
    if not len(tris):
        raise InputError(f"{source or 'terrain'}: no triangles to rasterise; expected a TIN with triangles")
    corners = pts[tris].reshape(-1, 3)
    xmin, ymin = corners[:, :2].min(axis=0)
    xmax, ymax = corners[:, :2].max(axis=0)
    x0 = float(np.floor(xmin / cell) * cell)
    y0 = float(np.floor(ymin / cell) * cell)
    ny, nx = _grid_for(x0, float(xmax), y0, float(ymax), cell, source or "terrain")
    z = np.full((ny, nx), np.nan, np.float32)
    fill_triangles(z, x0, y0, cell, pts, tris, pts[:, 2] if values is None else values)
    return Terrain(z, x0, y0, float(cell), source)


def fill_triangles(
    out: npt.NDArray[np.floating], x0: float, y0: float, cell: float, points: F64, triangles: I64, values: F64
) -> None:
    """Write into ``out`` (ny, nx; cell (i, j) centred at x0 + j·cell, y0 + i·cell) the linear
    interpolation of ``values`` at every cell centre inside a triangle; other cells are untouched.

    Vectorised over triangles: every triangle's bounding box of cell centres is expanded into
    candidate cells (``np.repeat``), barycentric coordinates keep those inside. The work is the sum
    of the bounding boxes, about twice the covered cells for a TIN of small triangles.
    """
    pts = np.asarray(points, np.float64)
    tris = np.asarray(triangles, np.int64)
    vals = np.asarray(values, np.float64)
    ny, nx = out.shape
    a, b, c = pts[tris[:, 0], :2], pts[tris[:, 1], :2], pts[tris[:, 2], :2]
    lo = np.minimum(np.minimum(a, b), c)
    hi = np.maximum(np.maximum(a, b), c)
    j0 = np.maximum(np.ceil((lo[:, 0] - x0) / cell - 1e-9).astype(np.int64), 0)
    j1 = np.minimum(np.floor((hi[:, 0] - x0) / cell + 1e-9).astype(np.int64), nx - 1)
    i0 = np.maximum(np.ceil((lo[:, 1] - y0) / cell - 1e-9).astype(np.int64), 0)
    i1 = np.minimum(np.floor((hi[:, 1] - y0) / cell + 1e-9).astype(np.int64), ny - 1)
    w = np.maximum(j1 - j0 + 1, 0)
    h = np.maximum(i1 - i0 + 1, 0)
    area = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1])
    ok = (np.abs(area) > 1e-12) & (w > 0) & (h > 0)
    # chunks of triangles keep the candidate arrays to a few tens of MB
    order = np.flatnonzero(ok)
    cum = np.cumsum((w * h)[order])
    chunk = 4_000_000
    edges = np.searchsorted(cum, np.arange(chunk, int(cum[-1]) if len(cum) else 0, chunk))
    for part in np.split(order, edges):
        if not len(part):
            continue
        n = (w * h)[part]
        t = np.repeat(part, n)
        k = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
        jj = j0[t] + k % w[t]
        ii = i0[t] + k // w[t]
        px = x0 + jj * cell
        py = y0 + ii * cell
        ax, ay = a[t, 0], a[t, 1]
        l1 = ((px - ax) * (c[t, 1] - ay) - (c[t, 0] - ax) * (py - ay)) / area[t]
        l2 = ((b[t, 0] - ax) * (py - ay) - (px - ax) * (b[t, 1] - ay)) / area[t]
        l0 = 1.0 - l1 - l2
        eps = -1e-9
        inside = (l0 >= eps) & (l1 >= eps) & (l2 >= eps)
        t, ii, jj = t[inside], ii[inside], jj[inside]
        zz = l0[inside] * vals[tris[t, 0]] + l1[inside] * vals[tris[t, 1]] + l2[inside] * vals[tris[t, 2]]
        out[ii, jj] = zz


def terrain_from_tin(layer: CityLayer, cell: float = DEFAULT_TIN_CELL_M, source: str = "") -> Terrain:
    """Rasterise a loaded ``terrain`` layer (a CityJSON TINRelief, local frame)."""
    return rasterise_triangles(layer.points, layer.triangles, cell, source=source or "TINRelief")


def read_dem(
    path: Path, frame: LocalFrame, *, crs: str | None = None, cell_m: float | None = None
) -> Terrain:
    """A raster DEM warped into the site's local frame.

    ``crs`` is used only when the file declares none; a file that declares none and no ``crs``
    given is an ``InputError``. ``cell_m`` defaults to the DEM's own resolution in metres.
    """
    import rasterio
    from rasterio.crs import CRS
    from rasterio.errors import RasterioIOError
    from rasterio.warp import Resampling, reproject, transform_bounds

    from controlroom.geo.crs import convert

    try:
        src = rasterio.open(path)
    except RasterioIOError as exc:
        raise InputError(
            f"{path}: cannot read as a raster DEM ({exc}); expected a GeoTIFF or ASCII grid"
        ) from None
    with src:
        declared = src.crs
        if declared is None or not declared.to_wkt():
            if crs is None:
                raise InputError(
                    f"{path}: the DEM declares no CRS (found: no georeferencing in the file); expected a "
                    f'GeoTIFF/ASCII grid with its CRS (or a .prj beside it), or `crs = "EPSG:…"` under '
                    f"[terrain] in the site file"
                )
            declared = CRS.from_user_input(_epsg_for(crs))
        if src.count < 1:
            raise InputError(f"{path}: the raster has no band; expected one band of heights")
        dst_crs = CRS.from_user_input(frame.crs)
        left, bottom, right, top = transform_bounds(declared, dst_crs, *src.bounds)
        if cell_m is None:
            # the native pixel's size in metres at the DEM's centre
            cx, cy = (src.bounds.left + src.bounds.right) / 2, (src.bounds.bottom + src.bounds.top) / 2
            px, py = convert(
                [cx, cx + src.res[0], cx], [cy, cy, cy + src.res[1]], declared.to_string(), frame.crs
            )
            cell_m = float(
                max(np.hypot(px[1] - px[0], py[1] - py[0]), np.hypot(px[2] - px[0], py[2] - py[0]))
            )
        ny, nx = _grid_for(left, right, bottom, top, cell_m, str(path), extra=0)
        from rasterio.transform import from_origin

        dst_transform = from_origin(left, top, cell_m, cell_m)
        out = np.full((ny, nx), np.nan, np.float32)
        band = src.read(1, masked=True).astype(np.float32).filled(np.nan)
        reproject(
            band,
            out,
            src_transform=src.transform,
            src_crs=declared,
            src_nodata=np.nan,
            dst_transform=dst_transform,
            dst_crs=dst_crs,
            dst_nodata=np.nan,
            resampling=Resampling.bilinear,
        )
    z = np.ascontiguousarray(out[::-1])  # north-up raster → row 0 in the south
    x0 = left + cell_m / 2 - frame.origin_x
    y0 = top - ny * cell_m + cell_m / 2 - frame.origin_y
    return Terrain(z, float(x0), float(y0), float(cell_m), str(path))


def _epsg_for(crs: str) -> str:
    from controlroom.core.site import normalise_crs

    c = normalise_crs(crs)
    if c in ("gcj02", "bd09"):
        raise InputError(f"terrain crs {crs!r}: a DEM grid cannot be in {c}; expected an EPSG code")
    return c


def write_dem(path: Path, terrain: Terrain, frame: LocalFrame) -> None:
    """Save a terrain as a GeoTIFF in the site CRS (north-up, float32, NaN nodata, deflate)."""
    import rasterio
    from rasterio.transform import from_origin

    ny, nx = terrain.shape
    left = terrain.x0 - terrain.cell / 2 + frame.origin_x
    top = terrain.y0 + (ny - 0.5) * terrain.cell + frame.origin_y
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=ny,
        width=nx,
        count=1,
        dtype="float32",
        crs=frame.crs,
        transform=from_origin(left, top, terrain.cell, terrain.cell),
        nodata=np.nan,
        compress="deflate",
        predictor=3,
    ) as dst:
        dst.write(terrain.z[::-1], 1)


def load_terrain(source: TerrainSource, frame: LocalFrame) -> Terrain:
    """The site's ``[terrain]`` as a grid in ``frame``: a DEM, or a CityJSON file's TINRelief."""
    if not source.path.is_file():
        raise InputError(f"{source.path}: no such file; expected the terrain named under [terrain]")
    if source.resolved_format == "cityjson":
        from controlroom.geo.cityjson import read_cityjson

        layers, _ = read_cityjson(source.path, crs=source.crs).to_layers(frame)
        tin = layers.get("terrain")
        if tin is None or not tin.n_triangles:
            raise InputError(
                f"{source.path}: no TINRelief with triangles found; expected a CityJSON file with a "
                f"TINRelief object (or a raster DEM)"
            )
        return terrain_from_tin(tin, source.cell_m or DEFAULT_TIN_CELL_M, str(source.path))
    return read_dem(source.path, frame, crs=source.crs, cell_m=source.cell_m)
