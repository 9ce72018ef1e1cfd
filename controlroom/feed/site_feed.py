"""Wiring a site's ``[feed]`` section into a running pipeline: extent, frame, security, pump.

The GUI and the headless tools build the same thing: a subscriber thread feeding a coalescing
buffer, and a pump applying it to the models in the site's local frame. This module does that
once, so ``controlroom run`` and ``controlroom feed stats --site`` cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from controlroom.core.entities import EntityStore
from controlroom.core.feed_stats import FeedStats
from controlroom.feed.buffer import CoalescingBuffer
from controlroom.feed.ingest import Ingestor
from controlroom.feed.keys import client_security
from controlroom.feed.pump import FeedPump, site_to_local
from controlroom.feed.subscriber import FeedSubscriber
from controlroom.feed.validate import Extent

if TYPE_CHECKING:
    from controlroom.core.city import CityModel
    from controlroom.core.incidents import IncidentBoard
    from controlroom.core.metrics import MetricSeries
    from controlroom.core.sensors import SensorStore
    from controlroom.core.site import Site
    from controlroom.geo.crs import LocalFrame


def site_extent(site: Site, city: CityModel | None = None, frame: LocalFrame | None = None) -> Extent:
    """The city model's lon/lat bounding box plus the site's ``extent_margin_m``."""
    from controlroom.geo.city_loader import load_city, site_frame

    city = city if city is not None else load_city(site)
    frame = frame if frame is not None else site_frame(site)
    x0, x1, y0, y1 = city.bounds()[:4]
    lon, lat = frame.to_wgs84([x0, x1, x0, x1], [y0, y0, y1, y1])
    return Extent(
        float(lon.min()),
        float(lat.min()),
        float(lon.max()),
        float(lat.max()),
        margin_m=site.feed.extent_margin_m,
    )


@dataclass
class SiteFeed:
    """A subscriber thread plus the pump the GUI timer calls (``pump.apply_pending(now)``)."""

    subscriber: FeedSubscriber
    pump: FeedPump
    stats: FeedStats

    def start(self) -> SiteFeed:
        self.subscriber.start()
        return self

    def stop(self) -> None:
        self.subscriber.stop()


def open_site_feed(
    site: Site,
    *,
    city: CityModel | None = None,
    frame: LocalFrame | None = None,
    endpoint: str | None = None,
    snapshot_endpoint: str | None = None,
    entities: EntityStore | None = None,
    sensors: SensorStore | None = None,
    incidents: IncidentBoard | None = None,
    metrics: MetricSeries | None = None,
) -> SiteFeed:
    """Build (not start) the pipeline for a site: CURVE or the plain-text rule, extent, local frame.

    The pump writes into the given models (an app's ``LiveState.live``), else into new ones."""
    from controlroom.geo.city_loader import site_frame

    cfg = site.feed
    endpoint = endpoint or cfg.endpoint
    snapshot_endpoint = snapshot_endpoint or cfg.snapshot_endpoint
    frame = frame if frame is not None else site_frame(site)
    # every [[sources]] bridge publishes on its own endpoint (docs/sources.md)
    endpoints = [endpoint, *(s.publish for s in site.sources)]
    security = client_security(site, [*endpoints, snapshot_endpoint])
    stats = FeedStats()
    buffer = CoalescingBuffer()
    ingestor = Ingestor(buffer, stats, site_extent(site, city, frame), max_frame_bytes=cfg.max_frame_bytes)
    subscriber = FeedSubscriber(
        endpoints, ingestor, snapshot_endpoint=snapshot_endpoint, security=security, insecure=cfg.insecure
    )
    if entities is None:
        entities = EntityStore(timeouts_s=cfg.entity_timeouts_s or None)
    pump = FeedPump(
        buffer,
        stats,
        entities=entities,
        sensors=sensors,
        incidents=incidents,
        metrics=metrics,
        to_local=site_to_local(frame),
    )
    return SiteFeed(subscriber, pump, stats)
