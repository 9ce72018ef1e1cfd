"""Checks a decoded message must pass before it may touch the models.

The site extent (the city model's lon/lat bounding box plus a margin) rejects coordinates that
would put a bus in the sea or blow up the camera's clipping range; sequence tracking per source
turns lost and repeated messages into counters; the reject log says what went wrong without
flooding the log when a broken publisher sends thousands of bad messages a second.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import numpy as np

from controlroom.core.feed_stats import SourceStats
from controlroom.core.protocol import WGS84

log = logging.getLogger(__name__)

#: Sequence numbers this far below the last one mean the publisher restarted, not a duplicate.
RESTART_WINDOW = 10_000
#: Runs remembered per source, so a late frame from a run already replaced cannot reset it again.
RETIRED_EPOCHS = 8
_FMAX = 1.7976931348623157e308
_UNBOUNDED = (-_FMAX, -_FMAX, _FMAX, _FMAX)


@dataclass
class Extent:
    """Where coordinates may be: a WGS 84 bbox plus a margin, converted lazily into each input CRS."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    margin_m: float = 2000.0
    _by_crs: dict[str, tuple[float, float, float, float] | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not (self.min_lon < self.max_lon and self.min_lat < self.max_lat):
            raise ValueError(
                f"extent ({self.min_lon}, {self.min_lat}, {self.max_lon}, {self.max_lat}): "
                "expected min_lon < max_lon and min_lat < max_lat"
            )

    @classmethod
    def from_bbox(cls, bbox: tuple[float, float, float, float], margin_m: float = 2000.0) -> Extent:
        return cls(*bbox, margin_m=margin_m)

    def wgs84(self) -> tuple[float, float, float, float]:
        mid = math.radians((self.min_lat + self.max_lat) / 2)
        dlat = self.margin_m / 111_320.0
        dlon = self.margin_m / (111_320.0 * max(math.cos(mid), 0.01))
        return (
            max(-180.0, self.min_lon - dlon),
            max(-90.0, self.min_lat - dlat),
            min(180.0, self.max_lon + dlon),
            min(90.0, self.max_lat + dlat),
        )

    def in_crs(self, crs: str) -> tuple[float, float, float, float] | None:
        """(minx, miny, maxx, maxy) in ``crs``; None when the CRS is not understood."""
        if crs in self._by_crs:
            return self._by_crs[crs]
        geographic = crs in (WGS84, "wgs84", "EPSG:4490")
        box = self.wgs84() if geographic else _convert_box(self.wgs84(), crs)
        self._by_crs[crs] = box
        return box


def _convert_box(
    box: tuple[float, float, float, float], crs: str
) -> tuple[float, float, float, float] | None:
    from controlroom.geo.crs import from_wgs84

    lo0, la0, lo1, la1 = box
    t = np.linspace(0.0, 1.0, 21)
    lon = np.concatenate([lo0 + (lo1 - lo0) * t, np.full(21, lo1), lo1 - (lo1 - lo0) * t, np.full(21, lo0)])
    lat = np.concatenate([np.full(21, la0), la0 + (la1 - la0) * t, np.full(21, la1), la1 - (la1 - la0) * t])
    try:
        x, y = from_wgs84(lon, lat, crs)
    except Exception as exc:  # pyproj raises CRSError / ProjError for names it cannot resolve
        log.warning("cannot use CRS %r from the feed: %s", crs, exc)
        return None
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        return None
    return float(x.min()), float(y.min()), float(x.max()), float(y.max())


class AnyExtent(Extent):
    """No site given (``feed stats`` without ``--site``): any finite coordinate in any frame passes."""

    def __init__(self) -> None:
        super().__init__(-180.0, -90.0, 180.0, 90.0, margin_m=0.0)

    def in_crs(self, crs: str) -> tuple[float, float, float, float] | None:
        return _UNBOUNDED


def check_sequence(src: SourceStats, seq: int, epoch: int = 0) -> str | None:
    """Judge one live message against its source's run; the reject reason, or None to accept it.

    A message from a run (``epoch``) not seen before is a publisher restart: counted, and the
    sequence is tracked afresh from that message whatever its number (a PUB socket drops a new
    publisher's first messages while subscribers reconnect, so the first one seen may be any
    number). A message from a run this source has already left is ``stale_epoch``. Within a run
    a jump ahead counts the missing numbers as gaps and a number already passed is a
    ``duplicate``. Epoch 0 (publishers that predate epochs, old recordings) keeps the old rule:
    1 after a later number, or a number more than ``RESTART_WINDOW`` below the last, is a restart.
    """
    if epoch != src.epoch:
        if src.epoch is None:  # first word from this source (or only a snapshot so far): adopt its run
            src.epoch = epoch
        elif epoch in src.retired:
            return "stale_epoch"
        else:
            new_run(src, epoch)
            src.last_seq = seq
            return None
    last = src.last_seq
    if seq > last:
        if last and seq > last + 1:
            src.gaps += seq - last - 1
        src.last_seq = seq
        return None
    if epoch == 0 and ((seq == 1 and last > 1) or last - seq > RESTART_WINDOW):
        src.restarts += 1
        src.last_seq = seq
        return None
    src.duplicates += 1
    return "duplicate"


def new_run(src: SourceStats, epoch: int) -> None:
    """The source restarted as run ``epoch``: count it and forget the old run's sequence."""
    if src.epoch is not None:
        src.retired = (*src.retired[-(RETIRED_EPOCHS - 1) :], src.epoch)
        src.restarts += 1
    src.epoch = epoch
    src.last_seq = 0


def adopt_epoch(src: SourceStats, epoch: int) -> bool:
    """A snapshot's run for this source (no sequence check): False when it is a run already left."""
    if epoch == src.epoch:
        return True
    if epoch in src.retired:
        return False
    new_run(src, epoch)
    return True


def finite_reason(x: float, y: float) -> str:
    """The reject reason for a coordinate pair that failed the extent test."""
    return "out_of_extent" if math.isfinite(x) and math.isfinite(y) else "non_finite"


class RejectLog:
    """Logs the first reject of each reason, then at most one summary per reason per interval."""

    def __init__(self, interval_s: float = 10.0, logger: logging.Logger = log) -> None:
        self.interval_s = interval_s
        self._log = logger
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def __call__(self, reason: str, detail: str, source: str = "?") -> None:
        now = time.monotonic()
        last = self._last.get(reason)
        if last is not None and now - last < self.interval_s:
            self._suppressed[reason] = self._suppressed.get(reason, 0) + 1
            return
        more = self._suppressed.pop(reason, 0)
        self._last[reason] = now
        suffix = f" (+{more} more since the last report)" if more else ""
        self._log.warning("feed: rejected (%s) from %s: %s%s", reason, source, detail[:200], suffix)
