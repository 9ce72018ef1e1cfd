"""The live picture of one app instance, Qt-free: feed models, the dispatch desk, operator intents.

``LiveState`` exists from start-up. Writers (the feed pump, the gateway's dispatch client, and the
history player of a replay) change it through a few typed entries; readers (panels, overlays, the
Qt adapter ``qt.live.LiveCity``) subscribe to its typed events. Nothing here imports Qt or VTK, so
headless tools and tests drive the same state the wall shows.
"""

from controlroom.live.state import FeedModels, LiveState, Mode

__all__ = ["FeedModels", "LiveState", "Mode"]
