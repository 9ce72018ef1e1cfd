"""The map's live layers in drawing order: attach once, refresh together, pick top-most first.

The 3D panel owns one ``OverlayStack``; the feed overlays, the camera layer and the alarm layer
are added to it by whoever builds them (``add``), so the panel does not need to know what any
overlay shows. Kept free of Qt so the off-screen benchmark drives exactly what the wall draws.
"""

from __future__ import annotations

from typing import Any

from controlroom.render.hover_words import PLAIN, HoverWords
from controlroom.render.overlay import MapOverlay


class OverlayStack:
    """Overlays by key, in the order added (later ones are drawn and picked above earlier ones)."""

    def __init__(self) -> None:
        self._items: dict[str, MapOverlay] = {}
        self.plotter: Any = None
        #: The language of the hover labels (the Qt map sets a translating one).
        self.words: HoverWords = PLAIN

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def keys(self) -> list[str]:
        return list(self._items)

    def get(self, key: str) -> MapOverlay:
        try:
            return self._items[key]
        except KeyError:
            known = ", ".join(self._items) or "none"
            raise KeyError(f"no overlay '{key}' on this map (overlays: {known})") from None

    def add(self, overlay: MapOverlay) -> MapOverlay:
        """Add (or replace, by key) an overlay; attached at once when the map already has a plotter."""
        if not isinstance(overlay, MapOverlay):
            raise TypeError(f"{type(overlay).__name__} does not implement render.overlay.MapOverlay")
        old = self._items.pop(overlay.key, None)
        if old is not None and self.plotter is not None:
            old.detach(self.plotter)
        self._items[overlay.key] = overlay
        if self.plotter is not None:
            overlay.attach(self.plotter)
        return overlay

    def attach(self, plotter: Any) -> None:
        """Attach every overlay to a plotter (the city is shown); a no-op for the same plotter."""
        if self.plotter is plotter:
            return
        self.detach()
        self.plotter = plotter
        for overlay in self._items.values():
            overlay.attach(plotter)

    def detach(self) -> None:
        if self.plotter is None:
            return
        for overlay in self._items.values():
            overlay.detach(self.plotter)
        self.plotter = None

    def refresh(self, now: float) -> bool:
        """Refresh every overlay; True when any of them changed what is drawn."""
        if self.plotter is None:
            return False
        changed = False
        for overlay in self._items.values():
            changed = overlay.refresh(now) or changed
        return changed

    def pick(self, x_px: float, y_px: float) -> tuple[str, str] | None:
        """(overlay key, item id) of the top-most item near a display point, or None."""
        if self.plotter is None:
            return None
        for key in reversed(self._items):
            item = self._items[key].pick(self.plotter, x_px, y_px)
            if item is not None:
                return key, item
        return None

    def describe(self, key: str, item_id: str) -> str:
        return self.get(key).describe(item_id, self.words)
