"""Doctor check: every camera stream URL is one the video player can open.

A typo in a registry of 20,000 cameras shows up as one black tile on the wall weeks later; here
each bad URL is named by row, camera id and column, with what a good one looks like.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from controlroom.core.doctor import DoctorOptions
from controlroom.core.issues import InputError, Issue
from controlroom.core.site import Site

SCHEMES = ("rtsp", "rtsps", "http", "https", "file")
MAX_REPORTED = 20  # per column; then one summary line (a wholly wrong column is one mistake)
EXAMPLE = "rtsp://10.1.2.3:554/Streaming/Channels/101, https://host/cam.m3u8 or file:///clips/cam.mp4"


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be played, or None when it is well-formed (reachability is not checked)."""
    if any(c.isspace() for c in url):
        return "contains spaces (percent-encode them as %20)"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"malformed ({exc})"
    if parts.scheme.lower() not in SCHEMES:
        return f"scheme '{parts.scheme or '(none)'}' is not one of {', '.join(SCHEMES)}"
    if parts.scheme.lower() == "file":
        return None if parts.path else "a file URL without a path"
    if not parts.hostname:
        return "no host"
    if port is not None and not 1 <= port <= 65535:
        return f"port {port} out of range 1..65535"
    return None


def _records(site: Site) -> list[dict[str, Any]]:
    from controlroom.geo.vector_layers import read_frame

    cams = site.cameras
    assert cams is not None
    df, _ = read_frame(cams.path, cams.resolved_format, what="the camera registry")
    columns = [c for c in df.columns if c != df.geometry.name]
    return [dict(zip(columns, row, strict=True)) for row in df[columns].itertuples(index=False)]


def check_camera_urls(site: Site, options: DoctorOptions | None = None) -> list[Issue]:
    cams = site.cameras
    if cams is None or not cams.path.exists():
        return []
    try:
        records = _records(site)
    except InputError:
        return []  # the file check reports unreadable files
    file = str(cams.path)
    issues: list[Issue] = []
    header = set(records[0]) if records else set()
    for attr in ("main_url_attribute", "sub_url_attribute"):
        column = getattr(cams, attr)
        if records and column not in header:
            if attr == "main_url_attribute":
                issues.append(
                    Issue(
                        file,
                        f"column '{column}'",
                        f"columns {', '.join(sorted(map(str, header)))}",
                        "a column of stream URLs",
                        severity="warning",
                        fix=f"add the column, or set cameras.{attr} in {site.path.name} to the column's name",
                    )
                )
            continue
        bad = 0
        for n, rec in enumerate(records, start=2):
            value = rec.get(column)
            url = "" if value is None or value != value else str(value).strip()  # NaN → empty
            if not url:
                continue
            problem = url_problem(url)
            if problem is None:
                continue
            bad += 1
            if bad <= MAX_REPORTED:
                issues.append(
                    Issue(
                        file,
                        f"row {n} (id {rec.get(cams.id_attribute, '?')}).{column}",
                        f"{url!r}: {problem}",
                        f"a stream URL such as {EXAMPLE}",
                        fix="correct the URL in the registry",
                    )
                )
        if bad > MAX_REPORTED:
            issues.append(
                Issue(
                    file,
                    column,
                    f"{bad - MAX_REPORTED} more bad URLs",
                    "well-formed stream URLs in every row",
                )
            )
    return issues
