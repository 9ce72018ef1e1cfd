"""An off-screen picture of the city with its open incidents pinned, for printed briefs.

The pins are the wall's own incident overlay (same shape and severity colours), so the printed
map reads like the wall. Framing: a saved camera state (local frame), else a site view, else an
overview that fits the incidents (the whole city when there are none).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from controlroom.core.city import CityModel
from controlroom.core.incidents import IncidentBoard, IncidentState
from controlroom.render.map_projection import MapProjection
from controlroom.render.scene import WgsFrame
from controlroom.render.snapshot import Decorate, open_offscreen

if TYPE_CHECKING:
    from controlroom.core.site import View


def render_incident_map(
    model: CityModel,
    out: Path,
    incidents: Sequence[IncidentState],
    now: float,
    size: tuple[int, int] = (1600, 1000),
    view: View | None = None,
    frame: WgsFrame | None = None,
    camera: dict[str, float] | None = None,
    decorate: Decorate | None = None,
) -> Path:
    """Render to a PNG at ``out``; ``incidents`` are drawn if open; ``decorate`` paints over it
    (map names, legend, north arrow, scale bar) with the picture's projection."""
    from controlroom.render.overlays.incidents import IncidentOverlay

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    board = IncidentBoard()
    board.apply(incidents)
    plotter, scene = open_offscreen(model, size)
    overlay = IncidentOverlay(lambda: board, lambda: now)
    overlay.still = True
    try:
        if camera is not None:
            scene.apply_camera_state(camera)
        elif view is not None and frame is not None:
            scene.fly_to_view(view, frame)
        overlay.attach(plotter)
        overlay.refresh(now)
        # screenshot() alone returns the frame show() rendered, before the pins existed
        plotter.ren_win.Render()  # type: ignore[union-attr]
        plotter.screenshot(str(out))
        if decorate is not None:
            decorate(out, MapProjection.of(plotter))
    finally:
        overlay.detach(plotter)
        plotter.close()
    return out
