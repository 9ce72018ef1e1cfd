"""Doctor checks on a site's settings that are not files of geometry: licences, alarms, branding,
and whether the feed, gateway and walls answer from this PC."""

from __future__ import annotations

from typing import TYPE_CHECKING

from controlroom.core.doctor import DoctorOptions
from controlroom.core.issues import Issue, SiteError
from controlroom.core.site import Site

if TYPE_CHECKING:
    from controlroom.feed.keys import ClientSecurity


def check_licences(site: Site, options: DoctorOptions) -> list[Issue]:
    """A missing licence on map data is a warning; internal-only data is an error for delivery."""
    issues = []
    for key, source in site.data_sources():
        own = key in ("cameras", "units")  # the city's own registries: no third-party licence
        if source.internal_only:
            issues.append(
                Issue(
                    str(site.path),
                    f"{key}.internal_only",
                    "true (data licensed for internal tests only)",
                    "data that may be delivered with a build",
                    severity="error" if options.for_delivery else "warning",
                    fix="replace it with data licensed for delivery before `controlroom package` "
                    "(package refuses internal-only data)",
                )
            )
        elif not source.licence and not own:
            issues.append(
                Issue(
                    str(site.path),
                    f"{key}.licence",
                    "(missing)",
                    "the data's licence, e.g. 'ODbL-1.0 © OpenStreetMap contributors'",
                    severity="warning",
                    fix=f'add licence = "..." under {key}; the About box and delivery notes list it',
                )
            )
    return issues


def check_alarms(site: Site, options: DoctorOptions) -> list[Issue]:
    """The alarm rules parse, and alarm presets name presets that exist in the site's layouts."""
    from controlroom.core.alarms.rules import load_site_rules

    issues: list[Issue] = []
    try:
        load_site_rules(site)
    except SiteError as exc:
        issues += exc.issues
    if site.alarms.presets:
        from controlroom.app.site_doctor import layout_dirs
        from controlroom.layouts.files import find_layout, load_layout

        known: set[str] = set()
        for name in site.layouts.names:
            try:
                known |= set(load_layout(find_layout(name, layout_dirs(site))).presets)
            except SiteError:
                continue  # the layouts check reports it
        for category, preset in site.alarms.presets.items():
            if preset not in known:
                issues.append(
                    Issue(
                        str(site.path),
                        f"alarms.presets.{category}",
                        repr(preset),
                        f"a preset of the site's layouts ({', '.join(sorted(known)) or 'none'})",
                        fix="use one of those names or add the preset to the layout file",
                    )
                )
    return issues


def check_branding(site: Site, options: DoctorOptions) -> list[Issue]:
    """Logo and icon exist and are images Qt can read (an .ico is needed for the Windows build)."""
    issues = []
    for key in ("logo", "icon"):
        path = getattr(site.branding, key)
        if path is None:
            continue
        if not path.is_file():
            issues.append(
                Issue(
                    str(site.path), f"branding.{key}", f"{path} (missing)", "an image file (PNG, SVG or ICO)"
                )
            )
        elif path.suffix.lower() not in (".png", ".svg", ".ico", ".jpg", ".jpeg"):
            issues.append(
                Issue(
                    str(site.path),
                    f"branding.{key}",
                    path.name,
                    "a .png, .svg, .jpg or .ico image",
                    fix="convert the image to PNG (and ICO for the Windows executable icon)",
                )
            )
    return issues


def endpoint_targets(site: Site) -> list[tuple[str, str, str, ClientSecurity | None]]:
    """(key, endpoint, server socket type, CURVE client keys) of everything this app connects to.

    Raises FeedSecurityError when a section's keys are half-configured or unsafe.
    """
    from controlroom.feed.keys import ClientSecurity, client_security

    feed = client_security(site, [site.feed.endpoint, site.feed.snapshot_endpoint])
    d = site.dispatch
    gateway = (
        ClientSecurity(d.client_secret_key, d.server_public_key)
        if d.client_secret_key and d.server_public_key
        else None
    )
    out = [
        ("feed.endpoint", site.feed.endpoint, "pub", feed),
        ("feed.snapshot_endpoint", site.feed.snapshot_endpoint, "router", feed),
        ("dispatch.endpoint", d.endpoint, "router", gateway),
        ("dispatch.publish_endpoint", d.publish_endpoint, "pub", gateway),
    ]
    w = site.wall
    for i, t in enumerate(w.targets):
        sec = (
            ClientSecurity(w.client_secret_key, t.server_public_key)
            if w.client_secret_key and t.server_public_key
            else None
        )
        out.append((f"wall.targets[{i}].endpoint", t.endpoint, "router", sec))
    return out


def check_endpoints(site: Site, options: DoctorOptions) -> list[Issue]:
    """Each endpoint answers a ZeroMQ handshake (with the site's keys); offline is a warning."""
    if options.offline:
        return []
    from controlroom.feed.keys import FeedSecurityError
    from controlroom.feed.probe import probe

    try:
        targets = endpoint_targets(site)
    except FeedSecurityError as exc:
        return [
            Issue(
                str(site.path), "feed", str(exc), "a usable key configuration", fix="see docs/site.md, [feed]"
            )
        ]
    issues = []
    for key, endpoint, peer, security in targets:
        try:
            result = probe(endpoint, peer, options.timeout_s, security)
        except FeedSecurityError:
            continue  # the keys check names the broken key file
        if not result.ok:
            issues.append(
                Issue(
                    str(site.path),
                    key,
                    f"{endpoint}: {result.detail}",
                    "a running server answering there",
                    severity="warning",
                    fix="start the server, check the address and firewall, or run doctor with --offline "
                    "away from the site network",
                )
            )
    return issues
