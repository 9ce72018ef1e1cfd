"""The body of ``doctor``: a registry of checks, each run on a validated site, all reported at once.

To check a new site section, write ``check_x(site, options) -> list[Issue]`` next to the code that
understands the section (any layer; the signature only needs core) and add one line to
``DOCTOR_CHECKS``. A check that crashes is reported as a doctor bug and the others still run.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from controlroom.core.doctor import DoctorOptions
from controlroom.core.issues import Issue, SiteError
from controlroom.core.shipped import shipped_layouts
from controlroom.core.site import Site

SHIPPED_LAYOUTS = shipped_layouts()

CheckFn = Callable[[Site, DoctorOptions], list[Issue]]

# name → "module:function". Order is report order: files first, the network last.
DOCTOR_CHECKS: dict[str, str] = {
    "files": "controlroom.geo.site_checks:check_site_files",
    "crs-alignment": "controlroom.geo.crs_alignment:check_crs_alignment",
    "licences": "controlroom.app.doctor_checks:check_licences",
    "layouts": "controlroom.app.site_doctor:check_layouts",
    "alarms": "controlroom.app.doctor_checks:check_alarms",
    "cameras": "controlroom.geo.camera_checks:check_camera_urls",
    "keys": "controlroom.feed.key_checks:check_keys",
    "branding": "controlroom.app.doctor_checks:check_branding",
    "sources": "controlroom.bridges.checks:check_sources",
    "endpoints": "controlroom.app.doctor_checks:check_endpoints",
}


def layout_dirs(site: Site) -> list[Path]:
    """Where a site's layout names are looked up: the site's own layouts/ first, then the shipped ones."""
    return [site.folder / "layouts", SHIPPED_LAYOUTS]


def check_layouts(site: Site, options: DoctorOptions | None = None) -> list[Issue]:
    """Every named layout exists and is valid (monitors tile, regions fit, presets name real panels)."""
    from controlroom.layouts.files import check_layout, find_layout

    issues: list[Issue] = []
    for i, name in enumerate(site.layouts.names):
        try:
            path = find_layout(name, layout_dirs(site))
        except SiteError:
            where = " or ".join(str(d) for d in layout_dirs(site))
            issues.append(
                Issue(
                    str(site.path),
                    f"layouts.names[{i}]",
                    repr(name),
                    f"a layout file {name}.toml in {where}",
                    fix=f"copy a layout from {SHIPPED_LAYOUTS} to {site.folder / 'layouts'} as {name}.toml, "
                    "or remove the name (`controlroom layout list` shows the shipped ones)",
                )
            )
            continue
        issues += check_layout(path)
    return issues


def _load(target: str) -> CheckFn:
    module, _, func = target.partition(":")
    fn: CheckFn = getattr(importlib.import_module(module), func)
    return fn


def run_checks(
    site: Site, options: DoctorOptions | None = None, only: list[str] | None = None
) -> list[Issue]:
    opts = options or DoctorOptions()
    issues: list[Issue] = []
    for name, target in DOCTOR_CHECKS.items():
        if only and name not in only:
            continue
        try:
            issues += _load(target)(site, opts)
        except Exception as exc:  # one broken check must not hide the others' findings
            issues.append(
                Issue(
                    str(site.path),
                    f"(doctor check '{name}')",
                    f"{type(exc).__name__}: {exc}",
                    "the check to finish",
                    fix="this is a bug in controlroom; please report it with the site file",
                )
            )
    return issues


def check_site(site: Site, options: DoctorOptions | None = None) -> list[Issue]:
    """Every registered check (kept for callers of the first doctor)."""
    return run_checks(site, options)
