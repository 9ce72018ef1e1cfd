"""The last step before publishing: lon/lat into WGS 84, then the site extent, as our ingest does.

Converting at the bridge (``geo.crs``: GCJ-02, BD-09, any EPSG frame) means the app receives
WGS 84 only and stays on its fastest path. The extent test is the same ``feed.validate.Extent``
the app applies, so a source sending coordinates in another frame than its map declares (a
GCJ-02 feed declared as WGS 84 is ~600 m off; a projected one is off by thousands of degrees)
is refused and counted here, at the edge, under ``out_of_extent``.
"""

from __future__ import annotations

import math
from operator import attrgetter

import numpy as np

from controlroom.bridges.mapping import MapResult, Record
from controlroom.core.protocol import WGS84, MetricPoint
from controlroom.feed.validate import Extent

_x = attrgetter("x")
_y = attrgetter("y")


def finish(result: MapResult, extent: Extent) -> dict[str, list[Record]]:
    """Record kind → WGS 84 records inside the extent; the others counted in ``result``."""
    box = extent.in_crs(WGS84)
    assert box is not None
    minx, miny, maxx, maxy = box
    out: dict[str, list[Record]] = {}
    for (kind, crs), records in result.records.items():
        keep = out.setdefault(kind, [])
        if kind == "metric":
            for r in records:
                assert isinstance(r, MetricPoint)
                if math.isfinite(r.value) and math.isfinite(r.t):
                    keep.append(r)
                else:
                    result.reject("non_finite", f"metric {r.name!r} = {r.value}")
            continue
        xs = np.fromiter(map(_x, records), np.float64, len(records))
        ys = np.fromiter(map(_y, records), np.float64, len(records))
        if crs != WGS84:
            from controlroom.geo.crs import to_wgs84

            xs, ys = to_wgs84(xs, ys, crs)
        elif bool(np.all((xs >= minx) & (xs <= maxx) & (ys >= miny) & (ys <= maxy))):
            keep.extend(records)  # all inside (NaN fails every comparison): nothing to convert or count
            continue
        for r, x, y in zip(records, xs.tolist(), ys.tolist(), strict=True):
            if not (math.isfinite(x) and math.isfinite(y)):
                result.reject("non_finite", f"{kind} {getattr(r, 'id', '?')!r} at ({x}, {y})")
            elif minx <= x <= maxx and miny <= y <= maxy:
                r.x, r.y = x, y  # type: ignore[union-attr]
                keep.append(r)
            else:
                result.reject(
                    "out_of_extent",
                    f"{kind} {getattr(r, 'id', '?')!r} at ({x:.6f}, {y:.6f}) (declared {crs})"
                    f" is outside the site ({minx:.4f}, {miny:.4f}, {maxx:.4f}, {maxy:.4f}):"
                    " is the map's crs right?",
                )
    return {k: v for k, v in out.items() if v}
