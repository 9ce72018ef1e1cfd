"""What every ``doctor`` check receives besides the site: how far it may go (network, delivery).

Lives in core so checks in any layer (geo, feed, app) share one signature:
``check(site: Site, options: DoctorOptions) -> list[Issue]``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DoctorOptions:
    offline: bool = False  # skip checks that touch the network (endpoint probes)
    timeout_s: float = 0.5  # per endpoint probe
    for_delivery: bool = False  # the site is about to be packaged: internal-only data is an error
