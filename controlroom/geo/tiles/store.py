"""A site's city as tiles: built once into the cache (keyed like the mesh cache), then reused.

The key covers every city-model file's bytes, the loader parameters, the local frame and the tile
format version, so an edited file or a moved origin never serves stale tiles. The folder is built
aside and renamed into place: a half-written build is never taken for a finished one.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from controlroom.core.site import Site
from controlroom.geo import mesh_cache
from controlroom.geo.tiles.build import (
    FORMAT_VERSION,
    MAX_FEATURES_PER_LEAF,
    BuildResult,
    ProgressFn,
    build_tileset,
)
from controlroom.geo.tiles.tileset import read_tileset


def tiles_root() -> Path:
    return mesh_cache.cache_dir().parent / "tiles"


def site_tiles_key(site: Site, frame_params: dict[str, Any]) -> str:
    sources = [
        {"sha256": mesh_cache.file_digest(s.path), "params": s.model_dump(mode="json", exclude={"path"})}
        for s in site.city_model
        if s.resolved_format != "3dtiles"
    ]
    blob = json.dumps(
        {
            "v": FORMAT_VERSION,
            "cache": mesh_cache.CACHE_VERSION,
            "sources": sources,
            "frame": frame_params,
            "storey": site.site.storey_height_m,
            "default_h": site.site.default_height_m,
            "leaf": MAX_FEATURES_PER_LEAF,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def build_site_tiles(
    site: Site,
    out: Path | None = None,
    *,
    progress: ProgressFn | None = None,
    use_cache: bool = True,
    workers: int | None = None,
) -> tuple[BuildResult | None, Path]:
    """Tiles of the site's city model; ``(None, folder)`` when the cache already holds them."""
    from controlroom.geo.city_loader import load_city, site_frame
    from controlroom.geo.crs import LocalFrame

    frame = site_frame(site)
    key = site_tiles_key(site, {"crs": frame.crs, "origin": list(frame.origin)})
    target = out or tiles_root() / key
    if out is None and use_cache and (target / "tileset.json").is_file():
        return None, target
    # The tiles are this city's cache: a merged mesh stored beside them would only cost the
    # build its write (a fifth of a 1 M-building build) and the disk twice the space.
    model = load_city(
        site,
        include_vectors=False,
        as_tiles=False,
        use_cache=False,
        progress=None if progress is None else (lambda f, m: progress(0.3 * f, m)),
    )
    result = build_tileset(
        list(model.layers.values()),
        LocalFrame.of_model(model),
        target,
        progress=None if progress is None else (lambda f, m: progress(0.3 + 0.7 * f, m)),
        source=str(site.path),
        workers=workers,
    )
    if out is None:
        mesh_cache.prune_cache(keep=(key,))
    return result, target


def tileset_info(path: str | Path) -> dict[str, Any]:
    """``tiles info``: version, tile count, levels, features, bytes on disk, WGS 84 bbox."""
    from pyproj import Transformer

    ts = read_tileset(path)
    folder = ts.path.parent
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    lo, hi = ts.root.box_min, ts.root.box_max
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    lon, lat, _h = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True).transform(
        corners[:, 0], corners[:, 1], corners[:, 2]
    )
    ours = ts.extras.get("controlroom", {})
    return {
        "version": ts.version,
        "tiles": len(ts.tiles),
        "levels": ts.levels,
        "features": ours.get("features"),
        "bytes": int(size),
        "bbox_wgs84": [round(float(v), 7) for v in (min(lon), min(lat), max(lon), max(lat))],
        "issues": ts.issues,
    }
