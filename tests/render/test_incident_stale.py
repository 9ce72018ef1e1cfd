"""A stale incident (its source went silent) is drawn grey and holds still; a live one pulses."""

from __future__ import annotations

import numpy as np

from controlroom.core.incidents import IncidentBoard, IncidentState
from controlroom.render.overlays.base import RGBA_ARRAY
from controlroom.render.overlays.incidents import IncidentOverlay
from controlroom.render.overlays.solids import PIN_VERTS

T0 = 1_800_000_000.0


def test_a_stale_incident_is_grey_and_still_while_a_live_one_pulses() -> None:
    board = IncidentBoard()
    board.apply(
        [
            IncidentState("LIVE", "road_damage", 4, 0.0, 0.0, (), "", "new", T0, T0, "ai-1"),
            IncidentState("DEAD", "road_damage", 4, 500.0, 0.0, (), "", "new", T0, T0, "ai-2"),
        ]
    )
    later = T0 + 3600.0
    assert board.mark_stale(later, {"ai-1": later, "ai-2": T0}) == ["DEAD"]
    now = [later]
    overlay = IncidentOverlay(lambda: board, lambda: now[0])

    def colours() -> dict[str, np.ndarray]:
        overlay.refresh(now[0])
        rgba = np.asarray(overlay.mesh.point_data[RGBA_ARRAY]).reshape(-1, PIN_VERTS, 4)
        return {incident_id: rgba[i] for i, incident_id in enumerate(overlay.item_ids)}

    first = colours()
    now[0] = later + 0.3  # a different phase of the pulse
    second = colours()
    assert (first["DEAD"][:, :3] == (138, 148, 166)).all()
    assert (second["DEAD"] == first["DEAD"]).all(), "a stale pin does not pulse"
    assert not (second["LIVE"] == first["LIVE"]).all(), "a live pin pulses"
    assert not (first["LIVE"][:, :3] == (138, 148, 166)).all()
