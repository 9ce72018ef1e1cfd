"""Site texts (metric titles, place names, the site title) in the running app's language.

The site file may give each text per language (``core.local_text``); every panel asks here, so
the vital-signs tiles, the leader's summary and the brief name a metric the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from controlroom.core.local_text import pick
from controlroom.core.site import MetricSpec, Site
from controlroom.qt.i18n import current_language
from controlroom.qt.strings import code_label


def metric_title(name: str, specs: Iterable[MetricSpec] | Site | None = None) -> str:
    """The site's title for metric ``name`` in the app's language, else our translation of it."""
    metrics = specs.metrics if isinstance(specs, Site) else (specs or ())
    for spec in metrics:
        if spec.name == name and (title := spec.title_in(current_language())):
            return title
    return code_label("metric", name)


def place_name(site: Site | None, name: str) -> str:
    """A district, POI or road name as the site's ``[names]`` gives it in the app's language."""
    return site.place_name(name, current_language()) if site is not None else name


def attribute_value(site: Site | None, value: str) -> str:
    """A building attribute's value as shown: a known code translated (``residential`` → 住宅),
    else a place name from the site's ``[names]`` (district values), else as the data has it."""
    from controlroom.qt.strings import BUILDING_VALUES

    return code_label("building_value", value) if value in BUILDING_VALUES else place_name(site, value)


def view_title(site: Site | None, name: str) -> str:
    """A site view's title in the app's language (its name when untitled or not a site view)."""
    for view in site.views if site is not None else ():
        if view.name == name:
            return view.title_in(current_language())
    return name


def profile_name(site: Site) -> str | None:
    """This desk's user as their profile names them (``[[dispatch.users]] display_name``, else the
    account name); None when the site names no desk user."""
    user = site.dispatch.user
    if not user:
        return None
    for u in site.dispatch.users:
        if u.name == user:
            return pick(u.display_name, current_language(), u.name)
    return user


def site_title(site: Site) -> str:
    return site.title_in(current_language())


def site_clock(t: float, zone: str | None, fmt: str = "%H:%M:%S") -> str:
    """Epoch seconds as a clock time in the site's zone (the machine's zone only when none)."""
    return datetime.fromtimestamp(t, ZoneInfo(zone) if zone else None).strftime(fmt)
