"""Kept for imports: the dispatch bridge is ``qt.dispatch_bridge`` (the Qt side of the live desk)."""

from controlroom.qt.dispatch_bridge import DispatchBridge

__all__ = ["DispatchBridge"]
