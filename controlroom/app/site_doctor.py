"""Aggregates the checks of every layer for a validated site (the body of ``doctor``)."""

from __future__ import annotations

from pathlib import Path

from controlroom.core.issues import Issue, SiteError
from controlroom.core.site import Site

SHIPPED_LAYOUTS = Path(__file__).resolve().parents[2] / "layouts"


def layout_dirs(site: Site) -> list[Path]:
    """Where a site's layout names are looked up: the site's own layouts/ first, then the shipped ones."""
    return [site.folder / "layouts", SHIPPED_LAYOUTS]


def check_layouts(site: Site) -> list[Issue]:
    from controlroom.layouts.spec import check_layout, find_layout

    issues: list[Issue] = []
    for i, name in enumerate(site.layouts.names):
        try:
            path = find_layout(name, layout_dirs(site))
        except SiteError:
            where = " or ".join(str(d) for d in layout_dirs(site))
            issues.append(
                Issue(
                    str(site.path), f"layouts.names[{i}]", repr(name), f"a layout file {name}.toml in {where}"
                )
            )
            continue
        issues += check_layout(path)
    return issues


def check_site(site: Site) -> list[Issue]:
    from controlroom.geo.site_checks import check_site_files

    return [*check_site_files(site), *check_layouts(site)]
