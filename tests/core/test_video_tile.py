"""The video tile's state machine: connecting → live → stalled → reconnect, errors with back-off."""

from __future__ import annotations

from controlroom.core.video_tile import Backoff, TileAction, TileMachine, TileState


def test_backoff_doubles_up_to_the_cap_and_resets() -> None:
    b = Backoff(initial_s=1.0, factor=2.0, maximum_s=10.0)
    assert [b.next_delay() for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    b.reset()
    assert b.next_delay() == 1.0


def test_live_then_stalled_then_reconnects_and_recovers() -> None:
    m = TileMachine(stall_after_s=3.0, reconnect_stalled_after_s=10.0)
    m.open(0.0)
    assert m.state == TileState.CONNECTING and m.frame_age(0.0) is None
    m.on_frame(0.5)
    assert m.state == TileState.LIVE and m.frame_age(1.5) == 1.0
    assert m.tick(3.0) is None and m.state == TileState.LIVE
    assert m.tick(3.6) is None and m.state == TileState.STALLED and m.reason == "no picture"
    m.on_frame(4.0)  # the stream came back on the same connection
    assert m.state == TileState.LIVE
    assert m.tick(7.1) is None and m.state == TileState.STALLED
    assert m.tick(14.1) is None and m.state == TileState.ERROR and m.reason == "stream stalled"
    assert m.retry_in(14.1) == 1.0
    assert m.tick(15.2) == TileAction.RECONNECT and m.state == TileState.CONNECTING
    m.on_frame(15.5)
    assert m.state == TileState.LIVE and m.backoff.failures == 0


def test_errors_retry_with_growing_delays() -> None:
    m = TileMachine()
    m.open(0.0)
    m.on_error(0.0, "Connection refused")
    assert m.state == TileState.ERROR and m.reason == "Connection refused"
    for _ in range(20):  # a player repeating its error does not push the retry back
        m.on_error(0.1, "Demuxing failed")
    assert m.retry_in(0.0) == 1.0 and m.backoff.failures == 1 and m.reason == "Demuxing failed"
    retries = []
    now = 0.0
    for _ in range(4):
        while m.tick(now) != TileAction.RECONNECT:
            now += 0.25
        retries.append(now)
        m.on_error(now, "Connection refused")
    gaps = [b - a for a, b in zip([0.0, *retries], retries, strict=False)]
    assert gaps == [1.0, 2.0, 4.0, 8.0]


def test_connect_timeout_and_closed_tiles_ignore_late_errors() -> None:
    m = TileMachine(connect_timeout_s=5.0)
    m.open(0.0)
    assert m.tick(5.5) is None and m.state == TileState.ERROR and "no picture after 5 s" in m.reason
    m.close()
    m.on_error(6.0, "late error from a stopped player")
    assert m.state == TileState.IDLE and m.tick(100.0) is None


def test_pictures_after_an_error_mean_live() -> None:
    m = TileMachine()
    m.open(0.0)
    m.on_frame(0.1)
    m.on_error(1.0, "Demuxing failed")
    m.on_frame(1.1)
    assert m.state == TileState.LIVE and m.retry_at is None and m.backoff.failures == 1
