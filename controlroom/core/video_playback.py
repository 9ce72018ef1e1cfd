"""Recorded video at a replay instant: which URL a camera tile opens, and where it seeks.

Real cameras are recorded by NVRs that replay from a start time given in the URL; each vendor
spells it its own way, so the site gives one URL template per camera group
(``[[video_playback]]``; first matching group wins)::

    [[video_playback]]                      # Hikvision NVR, channels 1..64
    cameras = "HK-*"
    url = "rtsp://nvr1:554/Streaming/tracks/{channel}01?starttime={start_utc:%Y%m%dT%H%M%SZ}"

    [[video_playback]]                      # Dahua, local time
    district = "north"
    url = "rtsp://nvr2/cam/playback?channel={channel}&starttime={start_local:%Y_%m_%d_%H_%M_%S}"

    [[video_playback]]                      # the demo's looping clips: seek inside the loop
    cameras = "*"
    url = "{sub_url}"
    seek = "loop"

Placeholders: ``{id}``, ``{channel}`` (the digits at the end of the id), ``{main_url}``,
``{sub_url}``, ``{start_utc}``/``{start_local}`` (datetimes: any ``strftime`` format after the
colon), ``{start_unix}`` (seconds) and ``{start_unix_ms}``. A camera no group matches has no
recording, and its tile says so.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:
    from controlroom.core.cameras import Camera

PLACEHOLDERS = (
    "id",
    "channel",
    "main_url",
    "sub_url",
    "start_utc",
    "start_local",
    "start_unix",
    "start_unix_ms",
)
_FIELD_RE = re.compile(r"\{([a-z_]+)(?:[:!][^}]*)?\}")


class VideoPlaybackSource(BaseModel):
    """One camera group's recorded video: which cameras (all given filters must match) and the
    URL template that replays them from an instant."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cameras: str = Field(default="*", description="glob on the camera id, e.g. 'HK-*'")
    district: str | None = None
    grid: str | None = None
    tag: str | None = None
    url: str = Field(description="URL template; see controlroom.core.video_playback")
    seek: Literal["start_time", "loop"] = Field(
        default="start_time",
        description="start_time: the URL carries the instant (NVR); loop: a looping clip, seek inside it",
    )

    @field_validator("url")
    @classmethod
    def _known_placeholders(cls, v: str) -> str:
        unknown = sorted({m for m in _FIELD_RE.findall(v) if m not in PLACEHOLDERS})
        if unknown:
            raise ValueError(
                f"unknown placeholder(s) {', '.join(unknown)}; expected {', '.join(PLACEHOLDERS)}"
            )
        return v

    def matches(self, cam: Camera) -> bool:
        return (
            fnmatch.fnmatchcase(cam.id, self.cameras)
            and (self.district is None or cam.district == self.district)
            and (self.grid is None or cam.grid == self.grid)
            and (self.tag is None or self.tag in cam.tags)
        )


@dataclass(frozen=True)
class ReplaySource:
    """What a tile opens to show ``t``: a URL, and for a loop clip where to seek (``t`` modulo
    the clip's length, which only the player knows: ``position_ms``)."""

    url: str
    loop: bool
    t: float

    def position_ms(self, duration_ms: int) -> int:
        """For a loop clip: the position showing ``t``; an NVR URL starts at ``t`` already (0)."""
        if not self.loop or duration_ms <= 0:
            return 0
        return int(self.t * 1000) % duration_ms


def replay_source(
    cam: Camera, t: float, groups: list[VideoPlaybackSource], timezone: str
) -> ReplaySource | None:
    """The recorded video of ``cam`` at ``t`` (Unix seconds); None: the camera has no recording."""
    for g in groups:
        if not g.matches(cam):
            continue
        digits = re.search(r"(\d+)$", cam.id)
        start = datetime.fromtimestamp(t, UTC)
        channel = int(digits.group(1)) if digits else ""
        url = g.url.format(
            id=cam.id, channel=channel, main_url=cam.main_url, sub_url=cam.sub_url,
            start_utc=start, start_local=start.astimezone(ZoneInfo(timezone)), start_unix=int(t),
            start_unix_ms=int(t * 1000),
        )  # fmt: skip
        if not url:
            return None  # e.g. "{sub_url}" for a camera without one
        return ReplaySource(url, g.seek == "loop", t)
    return None
