"""The 3D city map panel (``MapPanel``)."""

from controlroom.panels.map3d.panel import MapPanel

__all__ = ["MapPanel"]
