"""What the 3D map asks of a live overlay (entities, incidents, sensors, cameras, alarms, routes).

Each overlay owns one merged actor (or a few: glyphs + labels), built once in ``attach`` and
updated in place by ``refresh`` on the map's clock; it never adds actors per update. The map
panel lists overlays in its layer list (``key``/``title``), asks them what is under the cursor
(``pick``/``describe``) before it picks buildings, and renders once per tick when any
``refresh`` returned True.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from controlroom.render.hover_words import PLAIN, HoverWords


@runtime_checkable
class MapOverlay(Protocol):
    key: str  # stable id: "entities", "trails", "heatmap", "incidents", "sensors", "cameras", ...
    title: str  # shown in the layer list

    def attach(self, plotter: Any) -> None:
        """Add this overlay's actors to the plotter (once)."""

    def set_visible(self, visible: bool) -> None: ...

    def is_visible(self) -> bool: ...

    def refresh(self, now: float) -> bool:
        """Copy the model's current state into the VTK arrays in place; True when the view changed."""

    def pick(self, plotter: Any, x_px: float, y_px: float) -> str | None:
        """The id of the item drawn nearest this display point (VTK pixels, origin bottom-left)
        within a few pixels, or None."""

    def describe(self, item_id: str, words: HoverWords = PLAIN) -> str:
        """The hover label for an item (one or two short lines), in ``words``' language."""

    def detach(self, plotter: Any) -> None:
        """Remove the actors (map closing or overlay replaced)."""
