"""CityVisual: one actor, colour modes with legends, highlight, read off real off-screen frames."""

from __future__ import annotations

import numpy as np
import pytest

from controlroom.core.city import CityLayer, CityObjects, Surface
from controlroom.render.city_visual import CityVisual, color_scheme
from controlroom.render.picking import world_to_display
from controlroom.render.scene import CityScene

from .city_factory import USES, box_layer, roof_centre, synthetic_city
from .conftest import pixel_at, render


def _actor_count(plotter) -> int:  # type: ignore[no-untyped-def]
    return plotter.renderer.GetViewProps().GetNumberOfItems()


def test_city_is_drawn_with_lit_roofs_lighter_than_walls(offscreen) -> None:  # type: ignore[no-untyped-def]
    scene = CityScene(offscreen, synthetic_city(9, extras=False))
    image = render(offscreen)
    brightness = image.astype(int).sum(axis=2)
    assert (brightness > 250).mean() > 0.03, "buildings (light grey) should cover part of the frame"
    layer = scene.model.layers["buildings"]
    front = 1  # front row, middle column: nothing in front of it from the SSW overview
    roof = pixel_at(image, world_to_display(offscreen, tuple(roof_centre(layer, front))))
    pts = layer.points[front * 8 : front * 8 + 8]
    south_wall = (pts[0] + pts[1] + pts[5] + pts[4]) / 4
    wall = pixel_at(image, world_to_display(offscreen, tuple(south_wall)))
    assert roof.sum() > wall.sum() + 30, (roof, wall)
    assert roof[2] >= roof[0], "buildings carry a subtle cool tint"


def test_one_actor_per_layer_and_colour_modes_reuse_it(offscreen) -> None:  # type: ignore[no-untyped-def]
    scene = CityScene(offscreen, synthetic_city(16, extras=False))
    visual = scene.city_visuals["buildings"]
    before = _actor_count(offscreen)
    for name in ("height", "use", None, "floors"):
        visual.set_color_by(name)
        visual.highlight(3)
    assert _actor_count(offscreen) == before
    assert visual.mesh.n_cells == 16 * 12


def test_colour_by_height_changes_pixels_and_shows_a_colour_bar(offscreen) -> None:  # type: ignore[no-untyped-def]
    scene = CityScene(offscreen, synthetic_city(16, extras=False))
    visual = scene.city_visuals["buildings"]
    plain = render(offscreen)
    assert not visual.legend_visible
    scene.set_color_by("height")
    coloured = render(offscreen)
    changed = np.abs(coloured.astype(int) - plain.astype(int)).sum(axis=2) > 40
    assert changed.mean() > 0.02
    assert visual.legend.GetVisibility() and visual.legend.GetTitle() == "height (m)"
    # the bar is drawn in the right-hand part of the frame
    assert changed[:, int(plain.shape[1] * 0.86) :].mean() > 0.01
    saturation = coloured.max(axis=2).astype(int) - coloured.min(axis=2)
    assert (saturation > 80).mean() > 0.01, "a colour map, not shades of grey"


def test_colour_by_category_gives_one_colour_per_value_and_a_legend(offscreen) -> None:  # type: ignore[no-untyped-def]
    scene = CityScene(offscreen, synthetic_city(9, extras=False))
    layer = scene.model.layers["buildings"]
    scene.set_color_by("use")
    visual = scene.city_visuals["buildings"]
    image = render(offscreen)
    assert visual.category_legend.GetVisibility() and not visual.legend.GetVisibility()
    assert visual.scheme is not None and set(visual.scheme.categories) <= set(USES)
    assert visual.category_legend.GetNumberOfEntries() == 1 + len(visual.scheme.categories)
    roofs = {i: pixel_at(image, world_to_display(offscreen, tuple(roof_centre(layer, i)))) for i in (0, 1, 2)}
    uses = layer.objects.column("use")
    for i in roofs:
        for j in roofs:
            same = uses[i] == uses[j]
            close = np.abs(roofs[i] - roofs[j]).sum() < 40
            assert close == same, (i, j, uses[i], uses[j], roofs[i], roofs[j])


def test_objects_without_a_value_are_neutral_grey(offscreen) -> None:  # type: ignore[no-untyped-def]
    layer = box_layer(4)
    for i in (0, 1):
        layer.objects.attributes[i].pop("use")
    scene = CityScene(offscreen, _model_with(layer))
    scene.set_color_by("use")
    scheme = scene.city_visuals["buildings"].scheme
    assert scheme is not None and scheme.n_missing == 2
    image = render(offscreen)
    rgb = pixel_at(image, world_to_display(offscreen, tuple(roof_centre(layer, 1))))
    assert rgb.max() - rgb.min() < 25, f"no-value roof should be grey, got {rgb}"


def test_unknown_attribute_is_a_clear_error(offscreen) -> None:  # type: ignore[no-untyped-def]
    scene = CityScene(offscreen, synthetic_city(4, extras=False))
    with pytest.raises(KeyError, match=r"hieght.*available: height, type, lod, use, floors"):
        scene.set_color_by("hieght")


def test_highlight_paints_the_selected_building_and_clears(offscreen) -> None:  # type: ignore[no-untyped-def]
    scene = CityScene(offscreen, synthetic_city(9, extras=False))
    layer = scene.model.layers["buildings"]
    visual = scene.city_visuals["buildings"]
    roof = world_to_display(offscreen, tuple(roof_centre(layer, 4)))
    before = pixel_at(render(offscreen), roof)
    scene.highlight("buildings", 4)
    lit = pixel_at(render(offscreen), roof)
    assert lit[0] > 180 and lit[0] - lit[2] > 80, f"amber highlight expected, got {lit} (was {before})"
    assert visual.highlighted == 4 and scene.selection == ("buildings", 4)
    actor = visual.highlight_actor
    scene.highlight("buildings", 2)
    assert visual.highlight_actor is actor and visual.highlighted == 2
    scene.highlight(None)
    cleared = pixel_at(render(offscreen), roof)
    assert np.abs(cleared - before).sum() < 15
    assert scene.selection is None and not actor.GetVisibility()


def test_water_layer_is_drawn_blue(offscreen) -> None:  # type: ignore[no-untyped-def]
    scene = CityScene(offscreen, synthetic_city(9))
    water = scene.model.layers["water"]
    centre = water.points.mean(axis=0)
    rgb = pixel_at(render(offscreen), world_to_display(offscreen, tuple(centre)))
    assert rgb[2] > rgb[0] + 60, rgb


def test_colour_scheme_reads_numeric_strings_and_caps_categories() -> None:
    objects = CityObjects()
    for i in range(20):
        objects.append(f"o{i}", "Building", attributes={"floors": str(i % 7), "zone": f"z{i}"})
    numeric = color_scheme(objects, "floors")
    assert numeric.kind == "numeric" and numeric.value_range == (0.0, 6.0)
    categorical = color_scheme(objects, "zone", max_categories=5)
    assert categorical.kind == "categorical"
    assert categorical.categories[-1] == "other" and len(categorical.categories) == 5
    assert np.nanmax(categorical.values) == 4.0


def _model_with(layer: CityLayer):  # type: ignore[no-untyped-def]
    from controlroom.core.city import CityModel

    return CityModel("EPSG:32650", (0.0, 0.0, 0.0), layers={layer.kind: layer})


def test_empty_layer_makes_no_visual(offscreen) -> None:  # type: ignore[no-untyped-def]
    model = _model_with(CityLayer.empty("buildings"))
    scene = CityScene(offscreen, model)
    assert scene.city_visuals == {}
    render(offscreen)  # an empty city still renders (ground and sky)


def test_surface_palette_covers_every_surface_class() -> None:
    layer = box_layer(1)
    layer.cell_surface[:] = Surface.OTHER
    visual = CityVisual(layer)
    assert visual.color_by is None and visual.mesh.cell_data["display"].max() == float(Surface.OTHER)
