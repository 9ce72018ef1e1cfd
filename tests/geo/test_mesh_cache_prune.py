"""The disk cache stays bounded: entries unused too long, then the least recently used, go first."""

from __future__ import annotations

import os
import time
from pathlib import Path

from controlroom.geo import mesh_cache


def _entry(root: Path, key: str, size: int, age_s: float) -> None:
    meshes = root / "meshes"
    meshes.mkdir(parents=True, exist_ok=True)
    when = time.time() - age_s
    for suffix in (".npz", ".msgpack"):
        p = meshes / f"{key}{suffix}"
        p.write_bytes(b"x" * size)
        os.utime(p, (when, when))


def _tiles(root: Path, key: str, size: int, age_s: float) -> None:
    d = root / "tiles" / key / "content"
    d.mkdir(parents=True)
    (d / "0_0.glb").write_bytes(b"x" * size)
    when = time.time() - age_s
    for p in (d / "0_0.glb", d, d.parent):
        os.utime(p, (when, when))


def test_old_entries_go_then_least_recently_used_until_under_the_cap(tmp_path: Path) -> None:
    _entry(tmp_path, "old", 10, age_s=100 * 86400)
    _entry(tmp_path, "lru", 1000, age_s=3600)
    _tiles(tmp_path, "tilesnew", 1000, age_s=60)
    _entry(tmp_path, "fresh", 1000, age_s=10)
    removed = mesh_cache.prune_cache(tmp_path, max_bytes=4500, max_age_s=30 * 86400)
    assert removed == ["old", "lru"]
    assert sorted(p.name for p in (tmp_path / "meshes").iterdir()) == ["fresh.msgpack", "fresh.npz"]
    assert (tmp_path / "tiles" / "tilesnew").is_dir()


def test_entries_in_use_are_kept_even_over_the_cap(tmp_path: Path) -> None:
    _entry(tmp_path, "inuse", 1000, age_s=100 * 86400)
    assert mesh_cache.prune_cache(tmp_path, max_bytes=0, keep=("inuse",)) == []
    assert (tmp_path / "meshes" / "inuse.npz").is_file()


def test_a_cache_hit_counts_as_use(tmp_path: Path) -> None:
    from controlroom.geo.mesh_cache import LayerBundle, load_bundle, store_bundle

    store_bundle("k1", LayerBundle(), tmp_path / "meshes")
    side = tmp_path / "meshes" / "k1.msgpack"
    os.utime(side, (1, 1))
    assert load_bundle("k1", tmp_path / "meshes") is not None
    assert time.time() - side.stat().st_mtime < 600
    assert mesh_cache.prune_cache(tmp_path, max_age_s=86400) == []
