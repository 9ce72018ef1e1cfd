"""Recorded video per camera group: the URL a tile opens at a replay instant."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from controlroom.core.cameras import Camera
from controlroom.core.video_playback import VideoPlaybackSource, replay_source

T = 1_796_536_920.5  # 2026-12-06 06:02:00.5 UTC


def _cam(cid: str, **kw: object) -> Camera:
    return Camera(cid, cid, 0.0, 0.0, 114.0, 22.5, **kw)  # type: ignore[arg-type]


GROUPS = [
    VideoPlaybackSource(cameras="HK-*", url="rtsp://nvr1/Streaming/tracks/{channel}01?starttime={start_utc:%Y%m%dT%H%M%SZ}"),
    VideoPlaybackSource(district="north", url="rtsp://nvr2/cam/playback?channel={channel}&starttime={start_local:%Y_%m_%d_%H_%M_%S}"),
    VideoPlaybackSource(tag="demo", url="{sub_url}", seek="loop"),
]  # fmt: skip


def test_each_group_gets_its_nvr_url_with_the_instant() -> None:
    hk = replay_source(_cam("HK-12"), T, GROUPS, "Asia/Shanghai")
    assert hk is not None and hk.url == "rtsp://nvr1/Streaming/tracks/1201?starttime=20261206T060200Z"
    assert hk.position_ms(10_000) == 0  # the NVR starts at the instant itself
    dh = replay_source(_cam("D7", district="north"), T, GROUPS, "Asia/Shanghai")
    assert dh is not None and dh.url == "rtsp://nvr2/cam/playback?channel=7&starttime=2026_12_06_14_02_00"


def test_a_loop_clip_seeks_to_the_instant_inside_the_loop() -> None:
    demo = replay_source(_cam("C1", sub_url="http://h/c1.mp4", tags=("demo",)), T, GROUPS, "UTC")
    assert demo is not None and demo.url == "http://h/c1.mp4" and demo.loop
    assert demo.position_ms(8000) == int(T * 1000) % 8000
    assert replay_source(_cam("C2", tags=("demo",)), T, GROUPS, "UTC") is None  # no clip: no recording


def test_a_camera_no_group_matches_has_no_recording() -> None:
    assert replay_source(_cam("X1", district="south"), T, GROUPS, "UTC") is None


def test_an_unknown_placeholder_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValidationError, match=r"unknown placeholder.*start_tme.*expected id, channel"):
        VideoPlaybackSource(url="rtsp://nvr/{start_tme}")
