"""Reading the live map's pixels in GUI tests: where a world point lands, what colour is there,
and publishing until the pump has applied a message."""

from __future__ import annotations

import numpy as np

from controlroom.panels.map3d import MapPanel
from controlroom.render.picking import world_to_display

SPOT = (130.0, 170.0)  # local metres: a street crossing of the synthetic city (between blocks)


def grab_map(panel: MapPanel, qtbot) -> np.ndarray:  # type: ignore[no-untyped-def]
    qtbot.wait(60)
    image = panel.interactor.grab().toImage()
    buffer = image.convertToFormat(image.Format.Format_RGB888)
    arr = np.frombuffer(buffer.constBits(), np.uint8).reshape(buffer.height(), buffer.bytesPerLine())
    return arr[:, : buffer.width() * 3].reshape(buffer.height(), buffer.width(), 3).astype(int)


def publish_until(qtbot, live, send, ready) -> None:  # type: ignore[no-untyped-def]
    """Send (again) until the pump has applied it: a SUB socket joins a moment after connecting."""

    def applied() -> bool:
        send()
        live.pump_now()
        return bool(ready())

    qtbot.waitUntil(applied, timeout=5_000)
    qtbot.wait(150)  # repeats sent before the first one landed arrive now, not after a clock jump
    live.pump_now()


def lonlat(live, x: float, y: float) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    lon, lat = live.frame.to_wgs84([x], [y])
    return float(lon[0]), float(lat[0])


def map_pixel(panel: MapPanel, image: np.ndarray, world: tuple[float, float, float]) -> np.ndarray:
    x, y = world_to_display(panel.plotter, world)
    p = panel.widget_point(x, y)
    return image[p.y() - 1 : p.y() + 2, p.x() - 1 : p.x() + 2].reshape(-1, 3).mean(axis=0)
