"""The gateway's incident records into an app's live picture, through the feed's own path.

The gateway publishes its incidents as feed ``inc|`` batches (source ``gateway``) with a
clone-pattern snapshot. A second subscriber thread feeds them into the *same* coalescing buffer
as the city feed, so the pump, the incident board, the map overlay and every panel see gateway
state exactly as they see any feed — and a wall restarting gets the current incidents at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from controlroom.dispatch.security import desk_security
from controlroom.feed.ingest import Ingestor
from controlroom.feed.subscriber import FeedSubscriber

if TYPE_CHECKING:
    from controlroom.core.site import Site
    from controlroom.feed.site_feed import SiteFeed


def attach_gateway_feed(
    site_feed: SiteFeed,
    site: Site,
    *,
    endpoint: str | None = None,
    snapshot_endpoint: str | None = None,
    wait_s: float = 0.2,
) -> FeedSubscriber:
    """Start a subscriber to the gateway's PUB feeding ``site_feed``'s buffer; stop it with ``stop()``."""
    cfg = site.dispatch
    endpoint = endpoint or cfg.publish_endpoint
    snapshot_endpoint = snapshot_endpoint or cfg.snapshot_endpoint
    main = site_feed.subscriber.ingestor
    ingestor = Ingestor(main.buffer, site_feed.stats, main.extent, max_frame_bytes=main.max_frame_bytes)
    sub = FeedSubscriber(
        endpoint,
        ingestor,
        snapshot_endpoint=snapshot_endpoint,
        security=desk_security(site, [endpoint, snapshot_endpoint]),
        insecure=cfg.insecure,
        topics=(b"inc|", b"hbt|"),
    )
    return sub.start(wait_s=wait_s)
