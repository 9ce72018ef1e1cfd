"""Camera registry: exact nearest / within-radius answers (against brute force) and text search."""

from __future__ import annotations

import numpy as np
import pytest

from controlroom.core.cameras import Camera, CameraRegistry, split_tags


def _registry(n: int = 5000, seed: int = 3) -> CameraRegistry:
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-5000, 5000, n), rng.uniform(-4000, 4000, n)
    ids = [f"C{i:05d}" for i in range(n)]
    names = [f"{'珠江大道' if i % 3 else 'Haiyue Road'} {i}号" for i in range(n)]
    tags = [("road", "bridge") if i % 97 == 0 else ("road",) for i in range(n)]
    return CameraRegistry(ids, names, x, y, x / 1e5, y / 1e5, tags=tags, nearest_n=4)


def test_nearest_is_exact_against_brute_force() -> None:
    reg = _registry()
    rng = np.random.default_rng(11)
    for qx, qy in rng.uniform(-6000, 6000, (200, 2)):
        d = np.hypot(reg.x - qx, reg.y - qy)
        order = np.argsort(d, kind="stable")[:7]
        hits = reg.nearest(float(qx), float(qy), 7)
        assert [h.distance_m for h in hits] == pytest.approx(d[order].tolist(), abs=1e-9)
        assert {h.camera.id for h in hits} == {reg.ids[i] for i in order}
    assert len(reg.nearest(0, 0)) == 4  # the site's nearest_n


def test_within_radius_is_exact_and_sorted() -> None:
    reg = _registry()
    for qx, qy, r in [(0, 0, 250.0), (4900, -3900, 600.0), (123.0, 45.0, 1000.0)]:
        d = np.hypot(reg.x - qx, reg.y - qy)
        hits = reg.within(qx, qy, r)
        assert {h.camera.id for h in hits} == {reg.ids[i] for i in np.flatnonzero(d <= r)}
        dist = [h.distance_m for h in hits]
        assert dist == sorted(dist) and all(x <= r for x in dist)
    assert reg.within(1e6, 1e6, 10.0) == []


def test_small_and_empty_registries() -> None:
    one = CameraRegistry(["A"], ["a"], [1.0], [2.0], [0.0], [0.0])
    assert [h.camera.id for h in one.nearest(0, 0, 4)] == ["A"]
    empty = CameraRegistry([], [], [], [], [], [])
    assert empty.nearest(0, 0) == [] and empty.within(0, 0, 100) == [] and empty.search("x") == []


def test_search_by_id_name_and_tag() -> None:
    reg = _registry(500)
    assert reg.search("c00042")[0].id == "C00042"  # exact id first, case-insensitive
    assert all("bridge" in c.tags for c in reg.search("bridge"))
    assert len(reg.search("bridge")) == len(reg.with_tag("BRIDGE")) == 6
    hits = reg.search("haiyue", limit=10)
    assert len(hits) == 10 and all("Haiyue" in c.name for c in hits)
    assert reg.search("珠江大道 2号")[0].id == "C00002"
    assert reg.search("   ") == []


def test_get_names_the_missing_id_and_rows_round_trip() -> None:
    reg = CameraRegistry(
        ["A", "B"], ["a", "b"], [0, 1], [0, 1], [113.0, 113.1], [23.0, 23.1],
        main_urls=["rtsp://a/main", ""], sub_urls=["", "http://b/sub"],
        heading_deg=[90.0, np.nan], fov_deg=[60.0, np.nan], ptz=[True, False],
    )  # fmt: skip
    a = reg.get("A")
    assert a == Camera("A", "a", 0.0, 0.0, 113.0, 23.0, "rtsp://a/main", "", True, 90.0, 60.0)
    assert a.stream_url(main=False) == "rtsp://a/main"  # no sub-stream: the main one
    assert reg.get("B").heading_deg is None and reg.get("B").stream_url(main=True) == "http://b/sub"
    with pytest.raises(KeyError, match="no camera with id 'Z'"):
        reg.get("Z")
    assert reg.find("Z") is None and "A" in reg and "Z" not in reg


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="camera id 'A' appears more than once"):
        CameraRegistry(["A", "B", "A"], ["x"] * 3, [0, 1, 2], [0, 1, 2], [0] * 3, [0] * 3)


def test_split_tags() -> None:
    assert split_tags("road; bridge,school|x") == ("road", "bridge", "school", "x")
    assert split_tags(["a", " ", "b"]) == ("a", "b")
    assert split_tags(None) == () and split_tags("") == ()
