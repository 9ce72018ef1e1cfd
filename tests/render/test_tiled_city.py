"""The streamed city: budget never exceeded, no holes, coarse picks name the building, bad tiles named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from controlroom.geo.tiles.select import Camera, TileCache, covering, select
from controlroom.geo.tiles.tileset import read_tileset
from controlroom.render.tiled_city import TiledCity, local_from_tileset

SIZE = (800, 600)


@pytest.fixture(scope="module")
def city_tiles(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated 20k-building city, tiled (about 2 s)."""
    from controlroom.app.big_city import generate
    from controlroom.core.site import load_site
    from controlroom.geo.tiles.store import build_site_tiles

    base = tmp_path_factory.mktemp("bigcity")
    site = load_site(generate(base / "city", n=20_000))
    _, out = build_site_tiles(site, base / "tiles")
    return out


def _city(folder: Path, budget: int, renderer: Any = None) -> TiledCity:
    ts = read_tileset(folder)
    ours = ts.extras["controlroom"]
    return TiledCity(
        ts, local_from_tileset(ts, ours["crs"], tuple(ours["origin"])), budget, renderer=renderer
    )


def _look(pos: Any, focal: Any) -> Camera:
    return Camera(tuple(map(float, pos)), tuple(map(float, focal)), (0.0, 0.0, 1.0), 30.0, SIZE)


def _flight(city: TiledCity) -> list[Camera]:
    lo, hi = city.index.lo[0], city.index.hi[0]
    centre = (lo + hi) / 2
    ext = float(hi[0] - lo[0])
    cams = []
    for s in np.linspace(0, 1, 25):
        focal = centre + np.array([ext * 0.3 * s, ext * 0.2 * np.sin(6 * s), 0])
        cams.append(_look(focal + np.array([0, -ext * (1 - s) ** 2 - 150, ext * (1 - s) ** 2 + 60]), focal))
    return cams


def test_the_budget_is_never_exceeded_and_binds_by_going_coarser(city_tiles: Path) -> None:
    roomy = _city(city_tiles, 1 << 34)
    tight = _city(city_tiles, 12 << 20)
    bound, coarser = [], []
    for cam in _flight(roomy):
        roomy.update(cam)
        tight.update(cam)
        assert tight.cache.bytes <= tight.cache.budget
        assert tight.shown, "something is always drawn"
        bound.append(tight.status()["budget_bound"])
        coarser.append(tight.sse_in_use > roomy.sse_in_use)
    assert tight.cache.peak <= tight.cache.budget
    assert roomy.cache.peak > tight.cache.budget  # the flight really needs more than the tight budget
    assert any(bound) and bound == coarser  # bound exactly when it had to show coarser tiles
    assert not roomy.budget_bound


def test_parents_stay_until_children_are_ready(city_tiles: Path) -> None:
    """With loads held back, the view shows loaded ancestors: the ground is never left empty."""
    queued: list[int] = []
    ts = read_tileset(city_tiles)
    ours = ts.extras["controlroom"]
    city = TiledCity(
        ts, local_from_tileset(ts, ours["crs"], tuple(ours["origin"])), 1 << 34, submit=queued.append
    )
    cams = _flight(city)
    city.update(cams[0])
    from controlroom.render.tiled_city import load_tile

    for t in list(queued):  # the overview arrives
        city.deliver(load_tile(city.tileset, t, city.to_local))
    queued.clear()
    overview = set(city.shown)
    city.update(cams[-1])  # zoom in: children wanted, none loaded yet
    assert queued and set(city.shown) <= overview and city.shown
    for t in city.wanted:
        a: int | None = t
        while a is not None and a not in city.shown:
            a = city.index.parent[a]
        assert a is not None, f"tile {t} has no drawn stand-in"
    for t in list(queued):
        city.deliver(load_tile(city.tileset, t, city.to_local))
    assert sorted(city.shown) == sorted(city.wanted)


def test_the_first_frame_is_whole_after_one_small_load(city_tiles: Path) -> None:
    """At start the root stand-in is asked for first: one load and the whole view is drawn."""
    from controlroom.render.tiled_city import load_tile

    queued: list[int] = []
    ts = read_tileset(city_tiles)
    ours = ts.extras["controlroom"]
    city = TiledCity(
        ts, local_from_tileset(ts, ours["crs"], tuple(ours["origin"])), 1 << 34, submit=queued.append
    )
    root = city.index.parent.index(None)
    city.update(_flight(city)[-1])  # a street-level view: it wants leaves, not the root
    assert root not in city.wanted and queued[0] == root and len(queued) > 1
    assert not city.covered and not city.shown
    city.deliver(load_tile(city.tileset, queued.pop(0), city.to_local))
    assert city.covered and city.shown == [root]
    root_triangles = city.shown_triangles
    for t in queued:
        city.deliver(load_tile(city.tileset, t, city.to_local))
    assert sorted(city.shown) == sorted(city.wanted) and root not in city.shown
    assert root_triangles < city.shown_triangles


def test_cache_refuses_rather_than_overflows() -> None:
    cache = TileCache(100)
    cache.admit(1, "a", 60, pinned=set())
    with pytest.raises(MemoryError):
        cache.admit(2, "b", 50, pinned={1})
    assert cache.bytes == 60 and cache.refused == 1
    assert cache.admit(2, "b", 50, pinned=set()) == [1]
    assert cache.bytes == 50 and cache.peak == 60


def test_selection_is_finer_near_and_skips_what_is_behind(city_tiles: Path) -> None:
    city = _city(city_tiles, 1 << 34)
    lo, hi = city.index.lo[0], city.index.hi[0]
    centre = (lo + hi) / 2
    far = select(city.index, _look(centre + np.array([0, -40000, 40000]), centre), 16)
    near_focal = centre + np.array([0, 0, 0])
    near = select(city.index, _look(near_focal + np.array([0, -300, 200]), near_focal), 16)
    assert max(city.index.level[t] for t in near) > max(city.index.level[t] for t in far)
    away = select(
        city.index, _look(lo - np.array([500, 500, 0]) + [0, 0, 50], lo - np.array([5000, 5000, 0])), 16
    )
    assert away == []
    assert covering(city.index, near, set()) == []


def test_a_pick_on_a_coarse_tile_names_the_building_under_it(city_tiles: Path) -> None:
    from controlroom.geo.tiles.gltf_read import decode_glb

    city = _city(city_tiles, 1 << 34)
    lo, hi = city.index.lo[0], city.index.hi[0]
    centre = (lo + hi) / 2
    city.update(_look(centre + np.array([0, -1, 60000]), centre))  # from far above: the root stand-ins
    assert city.shown == [0] and city.index.children[0]
    root = decode_glb(city.tileset.tiles[0].contents[0].read_bytes(), "root")
    boxes = root.points.reshape(-1, 8, 3)  # the stand-ins: 8 corners each
    box_lo, box_hi = boxes.min(1), boxes.max(1)
    leaf = next(t for t in range(len(city.tileset.tiles)) if not city.index.children[t])
    mesh = decode_glb(city.tileset.tiles[leaf].contents[0].read_bytes(), "leaf")
    # A building whose centre lies under a stand-in box: the click lands on the coarse tile there.
    for f in range(mesh.n_features):
        centre_xy = mesh.points[mesh.vertex_feature == f][:, :2].mean(0)
        if ((box_lo[:, :2] <= centre_xy) & (centre_xy <= box_hi[:, :2])).all(1).any():
            break
    else:
        pytest.fail("no building under a stand-in")
    target = np.array([*centre_xy, 5000.0])
    got = city.pick_ray(target, np.array([0.0, 0.0, -1.0]))
    assert got is not None and got.resolved_from_coarse and got.level == 0
    assert got.record["id"] == mesh.features["id"][f]
    assert got.record["height"] == pytest.approx(mesh.features["height"][f])


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_broken_tiles_are_named_and_the_rest_still_draws(city_tiles: Path, tmp_path: Path) -> None:
    folder = _copy(city_tiles, tmp_path / "t")
    doc = json.loads((folder / "tileset.json").read_text())
    leaves = []

    def walk(t: dict[str, Any]) -> None:
        if "children" not in t:
            leaves.append(t)
        for c in t.get("children", []):
            walk(c)

    walk(doc["root"])
    truncated, missing, glt1, bad_volume = leaves[:4]
    p = folder / truncated["content"]["uri"]
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    (folder / missing["content"]["uri"]).unlink()
    g = folder / glt1["content"]["uri"]
    data = bytearray(g.read_bytes())
    data[4:8] = (1).to_bytes(4, "little")  # glTF 1.0 binary, as OSGB converters write
    g.write_bytes(bytes(data))
    bad_volume["boundingVolume"] = {"box": [0, 0, 0]}
    (folder / "tileset.json").write_text(json.dumps(doc))

    city = _city(folder, 1 << 34)
    assert len(city.tileset.issues) == 1 and "boundingVolume.box" in city.tileset.issues[0]
    assert "expected 12 finite numbers" in city.tileset.issues[0]
    lo, hi = city.index.lo[0], city.index.hi[0]
    centre = (lo + hi) / 2
    city.index.error[:] = np.where(city.index.error > 0, 1e9, 0)  # want every leaf
    city.update(_look(centre + np.array([0, -1, 60000]), centre))
    messages = [m for ms in city.errors.values() for m in ms]
    assert any(truncated["content"]["uri"] in m and "truncated" in m for m in messages), messages
    assert any(missing["content"]["uri"] in m for m in messages), messages
    assert any(glt1["content"]["uri"] in m and "glTF 1.0" in m and "glTF 2.0" in m for m in messages)
    assert len(city.errors) == 3
    assert len(city.shown) >= len(leaves) - 4  # everything else is drawn
    assert city.status()["errors"] == 3


def test_tiles_render_with_one_actor_per_tile(city_tiles: Path, offscreen: Any) -> None:
    from tests.render.conftest import render

    offscreen.set_background("black")
    render(offscreen)  # shown first: showing resets the camera
    city = _city(city_tiles, 1 << 34, renderer=offscreen.renderer)
    lo, hi = city.index.lo[0], city.index.hi[0]
    centre = (lo + hi) / 2
    cam = _look(centre + np.array([0, -3000, 3000]), centre)
    offscreen.camera.position, offscreen.camera.focal_point, offscreen.camera.up = (
        cam.position,
        cam.focal_point,
        (0, 0, 1),
    )
    offscreen.camera_set = True  # else pyvista re-fits the camera on render
    city.update(cam)
    offscreen.renderer.ResetCameraClippingRange()
    offscreen.render_window.Render()  # pyvista's render() skips frames for actors it did not add
    image = np.asarray(offscreen.screenshot(None, return_img=True))[..., :3]
    assert (image.sum(axis=2) > 60).mean() > 0.2  # buildings cover the view
    visible = [a for acts in city.actors.values() for a in acts if a.GetVisibility()]
    assert len(visible) == len(city.shown)


def test_back_faces_are_culled_without_holes_among_towers(city_tiles: Path, offscreen: Any) -> None:
    """Our generated buildings are closed and wound outward: culling changes no pixel at street level."""
    from tests.render.conftest import render

    offscreen.set_background("black")
    render(offscreen)
    city = _city(city_tiles, 1 << 34, renderer=offscreen.renderer)
    lo, hi = city.index.lo[0], city.index.hi[0]
    centre = (lo + hi) / 2
    cam = _look(centre + np.array([-300, -400, 40]), centre + np.array([0, 0, 60]))
    offscreen.camera.position, offscreen.camera.focal_point, offscreen.camera.up = (
        cam.position,
        cam.focal_point,
        (0, 0, 1),
    )
    offscreen.camera_set = True
    city.update(cam)
    offscreen.renderer.ResetCameraClippingRange()
    actors = [a for acts in city.actors.values() for a in acts if a.GetVisibility()]
    assert actors and all(a.GetProperty().GetBackfaceCulling() for a in actors)

    def frame() -> np.ndarray:
        offscreen.render_window.Render()
        return np.asarray(offscreen.screenshot(None, return_img=True))[..., :3].astype(int)

    culled = frame()
    for a in actors:
        a.GetProperty().BackfaceCullingOff()
    both = frame()
    assert (culled.sum(axis=2) > 60).mean() > 0.2  # buildings fill much of the view
    assert (np.abs(culled - both).sum(axis=2) > 30).mean() < 1e-4


def test_snapshot_of_a_tiled_site_shows_the_buildings(city_tiles: Path, tmp_path: Path) -> None:
    from PIL import Image

    from controlroom.core.city import CityModel
    from controlroom.render.snapshot import render_snapshot

    ts = read_tileset(city_tiles)
    ours = ts.extras["controlroom"]
    model = CityModel(
        crs=ours["crs"], origin=tuple(ours["origin"]), tilesets=[str(city_tiles / "tileset.json")]
    )
    out = render_snapshot(model, tmp_path / "city.png", size=(640, 400))
    image = np.asarray(Image.open(out).convert("RGB")).astype(int)
    lit = image.sum(axis=2) > 300  # light building faces on the dark theme background
    assert lit.mean() > 0.01, "the streamed buildings are in the picture"


def test_tiles_wear_the_city_style_taller_buildings_brighter(city_tiles: Path) -> None:
    """The same look as the single-mesh map: height ramp, roofs lighter than their walls."""
    from vtkmodules.util.numpy_support import vtk_to_numpy

    from controlroom.render.tiled_city import load_tile

    city = _city(city_tiles, 1 << 34)
    leaf = next(t for t in range(len(city.index.level)) if not city.index.children[t])
    part = load_tile(city.tileset, leaf, city.to_local).parts[0]
    rgb = vtk_to_numpy(part.polydata.GetCellData().GetArray("rgb")).astype(float)
    assert part.boxes is not None
    tall = part.boxes.hi[:, 2] - part.boxes.lo[:, 2]
    up = (
        np.cross(*(part.points[part.triangles[:, k]] - part.points[part.triangles[:, 0]] for k in (1, 2)))[
            :, 2
        ]
        > 0
    )
    low_f, high_f = int(np.argmin(tall)), int(np.argmax(tall))
    assert tall[high_f] > 2 * tall[low_f]
    roof = {f: rgb[(part.cell_feature == f) & up].sum(1).mean() for f in (low_f, high_f)}
    wall = rgb[(part.cell_feature == high_f) & ~up].sum(1).mean()
    assert roof[high_f] > roof[low_f] + 30 and roof[high_f] > wall


def test_tiles_are_drawn_nearest_first_and_the_picture_is_the_same(city_tiles: Path, offscreen: Any) -> None:
    """Street level: the renderer draws the nearest tile first (cheaper on software GL: hidden
    fragments fail the depth test unshaded), and drawing far first gives the same picture."""
    from tests.render.conftest import render

    offscreen.set_background("black")
    render(offscreen)
    city = _city(city_tiles, 1 << 34, renderer=offscreen.renderer)
    lo, hi = city.index.lo[0], city.index.hi[0]
    centre = (lo + hi) / 2
    cam = _look(centre + np.array([-300, -400, 40]), centre + np.array([0, 0, 60]))
    offscreen.camera.position, offscreen.camera.focal_point, offscreen.camera.up = (
        cam.position,
        cam.focal_point,
        (0, 0, 1),
    )
    offscreen.camera_set = True
    city.update(cam)
    offscreen.renderer.ResetCameraClippingRange()
    props = offscreen.renderer.GetViewProps()
    owner = {id(a): t for t, acts in city.actors.items() for a in acts if a.GetVisibility()}
    drawn = [
        owner[id(p)]
        for p in (props.GetItemAsObject(i) for i in range(props.GetNumberOfItems()))
        if id(p) in owner
    ]
    assert len(drawn) == len(city.shown) > 2
    pos = np.asarray(cam.position)
    gap = [float(np.linalg.norm(np.clip(pos, city.index.lo[t], city.index.hi[t]) - pos)) for t in drawn]
    assert gap == sorted(gap)

    def frame() -> np.ndarray:
        offscreen.render_window.Render()
        return np.asarray(offscreen.screenshot(None, return_img=True))[..., :3].astype(int)

    near_first = frame()
    slots = [i for i in range(props.GetNumberOfItems()) if id(props.GetItemAsObject(i)) in owner]
    actors = [props.GetItemAsObject(i) for i in slots]
    for i, actor in zip(slots, reversed(actors), strict=True):
        props.ReplaceItem(i, actor)
    far_first = frame()
    assert (near_first.sum(axis=2) > 60).mean() > 0.2
    assert (np.abs(near_first - far_first).sum(axis=2) > 30).mean() < 1e-4
