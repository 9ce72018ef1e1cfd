"""Aggregates the checks of every layer for a validated site (the body of ``doctor``)."""

from __future__ import annotations

from controlroom.core.issues import Issue
from controlroom.core.site import Site


def check_site(site: Site) -> list[Issue]:
    from controlroom.geo.site_checks import check_site_files

    issues = check_site_files(site)
    return issues
