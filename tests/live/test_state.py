"""The live state: a real feed pump writes into it, a replay hides and restores the live picture."""

from __future__ import annotations

import numpy as np
import pytest

from controlroom.core.feed_stats import FeedStats
from controlroom.core.protocol import Position
from controlroom.feed.buffer import CoalescingBuffer
from controlroom.feed.pump import ChangeSet, FeedPump
from controlroom.live import FeedModels, LiveState, Mode
from controlroom.live.events import (
    FocusRequested,
    ModeChanged,
    ModelsChanged,
    ModelsReplaced,
    Source,
)

T0 = 1_800_000_000.0


def _pump_into(state: LiveState) -> tuple[CoalescingBuffer, FeedPump]:
    buffer = CoalescingBuffer()
    live = state.live
    pump = FeedPump(
        buffer, FeedStats(), entities=live.entities, sensors=live.sensors, incidents=live.incidents,
        metrics=live.metrics,
    )  # fmt: skip
    return buffer, pump


def _bus(entity_id: str, x: float) -> Position:
    return Position(id=entity_id, kind="bus", x=x, y=0.0)


def test_models_exist_before_any_feed_and_the_pump_writes_into_them() -> None:
    state = LiveState(clock=lambda: T0)
    seen: list[ModelsChanged] = []
    state.subscribe(ModelsChanged, seen.append)
    assert len(state.entities) == 0 and len(state.incidents) == 0
    buffer, pump = _pump_into(state)
    buffer.merge_positions([_bus("BUS-1", 10.0)], [T0])
    change = pump.apply_pending(T0)
    assert state.apply(change, source=Source.FEED, at=T0)
    assert "BUS-1" in state.entities
    assert [(e.source, e.change.entities_updated) for e in seen] == [(Source.FEED, 1)]
    assert not state.apply(pump.apply_pending(T0), source=Source.FEED)  # nothing new: no event
    assert len(seen) == 1


def test_replay_shows_the_players_models_and_returning_shows_the_live_ones_current() -> None:
    state = LiveState(clock=lambda: T0)
    events: list[object] = []
    for kind in (ModelsChanged, ModelsReplaced, ModeChanged):
        state.subscribe(kind, events.append)
    buffer, pump = _pump_into(state)
    past = FeedModels.empty()
    zeros = np.zeros(1)
    u8, f32 = zeros.astype(np.uint8), zeros.astype(np.float32)
    past.entities.upsert(["OLD-1"], u8, zeros, zeros, f32, f32, u8, T0 - 3600)
    state.enter_replay(past, at=T0 - 3600)
    assert state.mode is Mode.REPLAY and state.replay_at == T0 - 3600
    assert list(state.entities.ids) == ["OLD-1"]
    buffer.merge_positions([_bus("BUS-2", 5.0)], [T0])
    assert not state.apply(pump.apply_pending(T0), source=Source.FEED)  # kept, not shown
    assert "BUS-2" not in state.entities and "BUS-2" in state.live.entities
    assert state.apply(ChangeSet(entities_updated=1), source=Source.HISTORY, at=T0 - 3599)
    state.return_to_live()
    assert state.mode is Mode.LIVE and state.replay_at is None
    assert "BUS-2" in state.entities and "OLD-1" not in state.entities
    kinds = [(type(e).__name__, getattr(e, "source", getattr(e, "mode", None))) for e in events]
    assert kinds == [
        ("ModelsReplaced", Source.HISTORY),
        ("ModeChanged", Mode.REPLAY),
        ("ModelsChanged", Source.HISTORY),
        ("ModelsReplaced", Source.FEED),
        ("ModeChanged", Mode.LIVE),
    ]


def test_the_history_player_cannot_write_over_the_live_picture() -> None:
    state = LiveState()
    with pytest.raises(ValueError, match="REPLAY"):
        state.apply(ChangeSet(entities_updated=1), source=Source.HISTORY)
    with pytest.raises(ValueError, match="REPLAY"):
        state.replace_all(FeedModels.empty(), at=T0)


def test_overlay_sources_follow_the_shown_models() -> None:
    state = LiveState()
    from controlroom.core.entities import EntityStore

    source = state.source_of(EntityStore)
    assert source() is state.live.entities
    past = FeedModels.empty()
    state.enter_replay(past, at=T0)
    assert source() is past.entities


def test_a_failing_subscriber_does_not_silence_the_others(caplog: pytest.LogCaptureFixture) -> None:
    state = LiveState()
    heard: list[FocusRequested] = []

    def broken(_event: FocusRequested) -> None:
        raise RuntimeError("panel bug")

    state.subscribe(FocusRequested, broken)
    state.subscribe(FocusRequested, heard.append)
    state.request_focus(1.0, 2.0, 300.0, "here")
    assert heard == [FocusRequested(1.0, 2.0, 300.0, "here")]
    assert "FocusRequested failed" in caplog.text


def test_events_reach_subscribers_on_the_home_thread_in_the_order_raised() -> None:
    """Once a home thread is named, another thread's event is handed over through ``post``; one
    raised at home while a handed-over one still waits queues behind it, else it arrives at once."""
    import threading

    state = LiveState(clock=lambda: T0)
    queue: list[tuple[object, tuple[object, ...]]] = []
    heard: list[tuple[str, int]] = []
    state.subscribe(FocusRequested, lambda e: heard.append((e.label, threading.get_ident())))
    state.deliver_on_this_thread(lambda fn, *args: queue.append((fn, args)))
    home = threading.get_ident()
    worker = threading.Thread(target=state.request_focus, args=(1.0, 2.0, 100.0, "from the player"))
    worker.start()
    worker.join()
    state.request_focus(3.0, 4.0, 100.0, "at home, behind it")
    assert heard == [] and len(queue) == 2
    for fn, args in queue:  # what the GUI's event loop does with the posted calls
        fn(*args)  # type: ignore[operator]
    state.request_focus(5.0, 6.0, 100.0, "at home, nothing waiting")
    assert heard == [
        ("from the player", home),
        ("at home, behind it", home),
        ("at home, nothing waiting", home),
    ]
