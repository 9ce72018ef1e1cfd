"""City style: height shading with lit roofs, roof outlines, back-face culling only when safe."""

from __future__ import annotations

from typing import Any

import numpy as np

from controlroom.core.city import Surface
from controlroom.render.city_style import (
    HEIGHT_BANDS,
    N_SURFACES,
    height_bands,
    outlined_roofs,
    outward_wound,
    roof_outline,
    shaded_table,
    typical_roof_m,
)
from controlroom.render.theme import CityTheme

from .city_factory import box_layer


def test_taller_buildings_get_brighter_bands_and_roofs_are_lit() -> None:
    bands = height_bands([6.0, 20.0, 60.0, 450.0, None])
    assert list(bands[:4]) == sorted(bands[:4]) and bands[0] == 0 and bands[3] == HEIGHT_BANDS - 1
    assert bands[4] == 0, "unknown height: the darkest band"
    table = shaded_table(np.array([[40.0, 80.0, 120.0]]))
    roof, wall = table[int(Surface.ROOF)], table[int(Surface.WALL)]
    assert len(table) == N_SURFACES and roof[:3].sum() > wall[:3].sum() + 60


def test_roof_outline_is_the_roof_rim_only() -> None:
    layer = box_layer(3)
    outline = roof_outline(layer)
    assert outline.n_cells == 3 * 4, "four rim edges per box roof, not its diagonal"
    assert roof_outline(layer, max_edges=5).n_cells == 0, "none past the edge budget"
    assert 12.0 <= typical_roof_m(layer, outlined_roofs(layer)) <= 28.0, "box roofs are 12-28 m wide"


def test_back_faces_are_culled_only_for_consistently_outward_meshes() -> None:
    layer = box_layer(4)
    assert outward_wound(layer)
    wall = int(np.flatnonzero(np.asarray(layer.cell_surface) == int(Surface.WALL))[0])
    layer.triangles[wall] = layer.triangles[wall][::-1]  # one wall wound the other way
    assert not outward_wound(layer), "a mixed-winding mesh stays two-sided: no wall may vanish"


def _frames(plotter: Any, theme: CityTheme) -> list[np.ndarray]:
    from controlroom.render.scene import CityScene

    from .city_factory import synthetic_city
    from .conftest import render

    scene = CityScene(plotter, synthetic_city(25), theme)
    frames = [render(plotter).astype(int)]
    scene.set_color_by("use")  # an attribute's colours (a lookup table) are lit the same way
    frames.append(render(plotter).astype(int))
    lit = [v.actor.GetProperty().GetLighting() for v in scene.city_visuals.values()]
    return [*frames, np.array([*lit, scene.ground_actor.GetProperty().GetLighting()])]


def test_baked_light_draws_the_picture_vtk_lighting_draws(offscreen) -> None:  # type: ignore[no-untyped-def]
    """The city is drawn unlit with the scene's lights baked per face (a third of a software-GL
    frame): the picture must stay what VTK's own lighting gives: walls, roofs, river, ground."""
    import dataclasses

    import pyvista as pv

    from controlroom.render.theme import DEFAULT_THEME

    other = pv.Plotter(off_screen=True, window_size=[800, 600])
    try:
        *lit, lighting = _frames(other, dataclasses.replace(DEFAULT_THEME, bake_lighting=False))
    finally:
        other.close()
    *baked, baked_lighting = _frames(offscreen, DEFAULT_THEME)
    assert lighting.all() and not baked_lighting.any(), "baked: every city actor is drawn unlit"
    for was, now in zip(lit, baked, strict=True):
        assert (was.sum(axis=2) > 150).mean() > 0.05, "the city covers part of the frame"
        diff = np.abs(now - was).max(axis=2)
        assert diff.mean() < 1.0 and np.percentile(diff, 99.9) <= 6, (diff.mean(), diff.max())
    assert np.abs(baked[1] - baked[0]).max(axis=2).mean() > 1.0, "colour by changed the picture"


def test_roof_outlines_are_drawn_only_where_roofs_are_wide_enough_on_screen(offscreen) -> None:  # type: ignore[no-untyped-def]
    """Level of detail: far out, a one-pixel rim would swamp a few-pixel roof (and cost a tenth
    of a software frame), so the outlines go; nearer they come back; a hidden layer keeps them hidden."""
    from controlroom.render.scene import CityScene

    from .city_factory import synthetic_city
    from .conftest import render

    scene = CityScene(offscreen, synthetic_city(25, extras=False))
    visual = scene.city_visuals["buildings"]
    edges = visual.edge_actor
    assert edges is not None
    render(offscreen)  # the overview of a small block: roofs are tens of pixels wide
    assert visual.roof_px(offscreen.renderer) > 20 and edges.GetVisibility()
    scene.focus_on(100.0, 100.0, 20_000.0)
    far = render(offscreen)
    assert visual.roof_px(offscreen.renderer) < 8 and not edges.GetVisibility()
    edges.SetVisibility(True)
    offscreen.renderer.RemoveObserver(visual._lod_observer[1])  # drawn at this distance anyway:
    assert np.abs(render(offscreen).astype(int) - far).sum() > 0  # the outlines were really gone
    offscreen.renderer.AddObserver("StartEvent", visual._edge_lod)
    scene.focus_on(100.0, 100.0, 150.0)
    render(offscreen)
    assert edges.GetVisibility()
    scene.set_layer_visible("buildings", False)
    render(offscreen)
    assert not edges.GetVisibility()
