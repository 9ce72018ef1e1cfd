"""Open incidents as tall pins coloured by severity that pulse on the map's clock.

A pin (a thin stem and a diamond head high above the rooftops) is the one shape on the map that
sticks up out of the city, so a new incident is seen from across the room; its head breathes
(size and brightness) a few times a second, faster for incidents raised in the last minute.
Heights follow the camera distance so pins stay prominent from the overview down to a street.
Drawn on the top layer: no tower, vehicle glyph or camera marker ever hides an incident.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from controlroom.render import hover_words as hover
from controlroom.render.hover_words import PLAIN, HoverWords
from controlroom.render.overlays.base import MeshOverlay, camera_distance, palette
from controlroom.render.overlays.solids import PIN_TRIS, PIN_VERTS, faces_for, pins

if TYPE_CHECKING:
    from controlroom.core.incidents import IncidentBoard

SEVERITY_COLOURS = ["#facc15", "#fb923c", "#ef4444", "#ff2d95"]  # severity 1..4
NEW_FOR_S = 60.0
_SEV_RGB = palette(SEVERITY_COLOURS).astype(np.float32)
_STALE_RGB = np.array([138, 148, 166], np.float32)


class IncidentOverlay(MeshOverlay):
    key: str = "incidents"
    on_top: ClassVar[bool] = True  # incidents draw the eye: never behind a tower or the crowd
    pick_radius_px: ClassVar[float] = 20.0

    def __init__(
        self,
        source: Callable[[], IncidentBoard | None],
        clock: Callable[[], float],
        title: str = "Incidents",
    ) -> None:
        super().__init__(title)
        self.source = source
        self.clock = clock
        self._version = -1
        self._faces_n = -1
        self.phase = 0.0
        # a printed map holds every pin still at its full severity colour (the legend's colour),
        # so a brief does not depend on the instant it was printed
        self.still = False

    def _style(self, prop: object) -> None:
        prop.SetAmbient(0.45)  # type: ignore[attr-defined]
        prop.SetDiffuse(0.7)  # type: ignore[attr-defined]

    def refresh(self, now: float) -> bool:
        board = self.source()
        if board is None or not self.is_visible():
            return False
        if board.version == self._version and not self.item_ids:
            return False  # nothing open: nothing pulses
        self._version = board.version
        cols = board.columns()
        n = len(cols.ids)
        self.item_ids = cols.ids
        scale = camera_distance(self.plotter) if self.plotter is not None else 3000.0
        sev = np.clip(cols.severity.astype(np.int64), 1, 4) - 1
        height = (scale * (0.045 + 0.012 * sev)).astype(np.float64)
        self.anchors = np.column_stack([cols.x, cols.y, height])
        if n == 0:
            self._set_geometry(np.zeros((0, 3)), np.zeros((0, 4), np.uint8))
            self._faces_n = -1
            return True
        fresh = (now - cols.raised_at) < NEW_FOR_S
        if self.still:
            fresh = np.zeros(n, bool)
            pulse = np.ones(n)
        else:
            rate_hz = np.where(fresh, 1.6, 0.6)
            pulse = 0.5 + 0.5 * np.sin(2.0 * math.pi * rate_hz * now)  # 0..1
        pulse[cols.stale] = 0.0  # a stale incident (its source went silent) holds still, in grey
        self.phase = float(pulse[0])
        head: np.ndarray = scale * 0.008 * (1.0 + 0.35 * sev / 3) * (1.0 + 0.35 * pulse)
        points = pins(cols.x, cols.y, height, np.full(n, scale * 0.0012), head)
        rgb = _SEV_RGB[sev] * (0.75 + 0.25 * pulse[:, None]) + 60.0 * pulse[:, None] * fresh[:, None]
        rgb[cols.stale] = _STALE_RGB
        rgba = np.column_stack([np.clip(rgb, 0, 255), np.full(n, 255.0)]).astype(np.uint8)
        faces = None
        if n != self._faces_n:
            faces = faces_for(n, PIN_TRIS, PIN_VERTS)
            self._faces_n = n
        self._set_geometry(points, np.repeat(rgba, PIN_VERTS, axis=0), faces=faces)
        return True

    def describe(self, item_id: str, words: HoverWords = PLAIN) -> str:
        board = self.source()
        state = board.get(item_id) if board is not None else None
        if state is None:
            return item_id
        text = words.say(
            hover.INCIDENT,
            id=item_id,
            type=words.code("incident_type", state.type),
            severity=words.code("severity", state.severity),
            status=words.code("incident_status", state.status),
            ago=words.ago(max(0.0, self.clock() - state.raised_at)),
        )
        return f"{text}\n{state.text}" if state.text else text
