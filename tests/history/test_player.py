"""Prediction-coded position files and the history player (no processes)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from controlroom.history import chain
from controlroom.history.files import HOUR_MS, MINUTE_MS, minute_file
from controlroom.history.player import HistoryPlayer
from controlroom.history.query import HistoryReader
from controlroom.history.rows import gone_rows, position_rows
from controlroom.history.schema import EVENTS, INCIDENTS, POSITIONS
from controlroom.history.writer import HistoryWriter, sort_rows

T0 = 1_796_536_800_000 - 90_000  # 90 s before a UTC hour boundary (ms): minute files and segments


def _drive(w: HistoryWriter, seconds: int, n: int = 40, start_ms: int = T0) -> dict[int, dict[str, tuple]]:
    """Entities turning and stopping at random; returns {t_ms: {id: (x, y, heading)}} as written."""
    rng = np.random.default_rng(3)
    ids = [f"E{i:03d}" for i in range(n)]
    x, y = rng.uniform(-5000, 5000, n), rng.uniform(-5000, 5000, n)
    heading, speed = rng.uniform(0, 360, n), rng.uniform(0, 20, n)
    truth: dict[int, dict[str, tuple]] = {}
    for s in range(seconds):
        turn = rng.random(n) < 0.2
        heading[turn] = rng.uniform(0, 360, int(turn.sum()))
        speed[rng.random(n) < 0.1] = 0.0
        x += speed * np.sin(np.radians(heading)) + rng.normal(0, 0.3, n)  # GPS jitter too
        y += speed * np.cos(np.radians(heading)) + rng.normal(0, 0.3, n)
        t = start_ms + s * 1000
        u8 = np.zeros(n, np.uint8)
        w.append(POSITIONS, position_rows(ids, t, u8, u8, x, y, heading, speed, kf=s % 5 == 0))
        truth[t] = {
            i: (round(a, 2), round(b, 2), round(h % 360, 1))
            for i, a, b, h in zip(ids, x, y, heading, strict=True)
        }
        if s % 2:
            w.flush()
    w.flush()
    return truth


def _by_id(entities: pa.Table) -> dict[str, tuple]:
    rows = entities.to_pylist()
    return {r["id"]: (round(r["x"], 2), round(r["y"], 2), round(r["heading"], 1)) for r in rows}


def test_minute_files_are_prediction_coded_and_decode_exactly(tmp_path: Path) -> None:
    w = HistoryWriter(tmp_path)
    _drive(w, 70)
    w.close_minutes(None)
    path = minute_file(tmp_path, POSITIONS, T0 - T0 % MINUTE_MS + MINUTE_MS)
    stored = pq.read_table(path)
    assert chain.chained_columns(stored.schema) == {"x_cm": 2, "y_cm": 2, "heading_dd": 1}
    decoded = chain.decode(stored, "id")
    # the same rows the writer was given, sorted: re-encoding them gives the stored file back
    again = chain.encode(sort_rows(decoded, POSITIONS), POSITIONS, "id")
    assert again.column("x_cm").equals(stored.column("x_cm"))
    # any row picked through the prefix sums equals the full decode
    idx = chain.load_index(path, POSITIONS, "id", ["x_cm", "y_cm", "heading_dd"])
    full = idx.all_rows()
    assert full.column("x_cm").to_pylist() == decoded.column("x_cm").to_pylist()
    assert full.column("heading_dd").to_pylist() == decoded.column("heading_dd").to_pylist()


def test_state_from_minute_files_and_segments_equals_what_was_written(tmp_path: Path) -> None:
    w = HistoryWriter(tmp_path)
    truth = _drive(w, 150)
    w.close_minutes(T0 + 150_000)  # the first minutes compacted, the last one still in segments
    r = HistoryReader(tmp_path)
    for t_ms in (T0 + 1000, T0 + 29_500, T0 + 60_000, T0 + 91_000, T0 + 119_999, T0 + 149_000):
        got = _by_id(r.state_at(t_ms / 1000).entities)
        want = truth[t_ms - t_ms % 1000]
        assert got.keys() == want.keys()
        for k, (x, y, h) in want.items():
            assert got[k][:2] == pytest.approx((x, y), abs=0.011)
            assert got[k][2] == pytest.approx(h, abs=0.051)
    rng = r.range(POSITIONS, (T0 + 58_000) / 1000, (T0 + 62_000) / 1000)
    assert rng.num_rows == 5 * 40 and rng.column("t").to_pylist() == sorted(rng.column("t").to_pylist())


def test_player_plays_backwards_and_forwards_with_gone_entities(tmp_path: Path) -> None:
    w = HistoryWriter(tmp_path)
    truth = _drive(w, 130)
    w.append(POSITIONS, gone_rows(["E005"], T0 + 129_500))  # timed out after its last report
    w.flush()
    w.close_minutes(None)
    player = HistoryPlayer(HistoryReader(tmp_path))
    player.set_speed(-8)
    player.playing = True
    player.seek((T0 + 138_000) / 1000)
    seen = []
    for _ in range(12):  # 8 s of history per step of one wall second, backwards
        frame = player.advance(1.0)
        t_ms = round(frame.time * 1000)
        got = _by_id(frame.entities)
        seen.append(t_ms)
        assert ("E005" in got) == (t_ms < T0 + 129_500)
        for k, (x, y, _) in truth[min(t_ms, T0 + 129_000)].items():
            if k != "E005" or t_ms < T0 + 129_500:
                assert got[k][:2] == pytest.approx((x, y), abs=0.011)
    assert seen == [T0 + 138_000 - 8000 * (i + 1) for i in range(12)]
    player.set_speed(64)
    assert round(player.advance(0.5).time * 1000) == seen[-1] + 32_000
    with pytest.raises(ValueError, match="replay speed 3× is not offered"):
        player.set_speed(3)
    trails = player.trails((T0 + 20_000) / 1000, ["E001", "nobody"], points=5)
    assert trails.shape == (2, 5, 2) and np.isnan(trails[1]).all()
    assert trails[0, -1, 0] == pytest.approx(truth[T0 + 20_000]["E001"][0], abs=0.011)
    assert trails[0, 0, 0] == pytest.approx(truth[T0 + 16_000]["E001"][0], abs=0.011)


def _alarm(t_ms: int, action: str, who: str = "system", **detail: object) -> dict[str, object]:
    detail_json = json.dumps({"alarm_id": "flood|S01@1", **detail})
    return {"subject": "flood|S01", "t_ms": t_ms, "kind": "alarm", "action": action, "who": who,
            "desk": "d1", "accepted": True, "detail": detail_json}  # fmt: skip


def test_alarms_as_they_stood_acknowledged_only_after_the_acknowledgement(tmp_path: Path) -> None:
    w = HistoryWriter(tmp_path)
    _drive(w, 40)
    rows = [_alarm(T0 + 5000, "raised"), _alarm(T0 + 15_000, "acknowledge", "ana"),
            _alarm(T0 + 20_000, "owner", "ana", owner="bo"), _alarm(T0 + 30_000, "cleared")]  # fmt: skip
    refused = dict(_alarm(T0 + 12_000, "acknowledge", "leo"), accepted=False)
    w.append(EVENTS, {k: [r[k] for r in [*rows, refused]] for k in rows[0]})
    w.flush()
    player = HistoryPlayer(HistoryReader(tmp_path), prefetch=False)
    assert player.seek((T0 + 4000) / 1000).alarms == []
    before = player.seek((T0 + 13_000) / 1000).alarms
    assert [(a.key, a.state, a.acknowledged) for a in before] == [("flood|S01", "raised", False)]
    after = player.seek((T0 + 25_000) / 1000).alarms[0]
    assert (after.acknowledged, after.acknowledged_by, after.owner) == (True, "ana", "bo")
    assert player.seek((T0 + 35_000) / 1000).alarms == []
    assert HOUR_MS  # the alarm trail is read an hour at a time: the hour boundary is crossed above


def test_a_truncated_minute_is_named_while_scrubbing_and_the_rest_plays(tmp_path: Path) -> None:
    w = HistoryWriter(tmp_path)
    truth = _drive(w, 150)
    w.close_minutes(None)
    minute = T0 - T0 % MINUTE_MS + MINUTE_MS
    broken = minute_file(tmp_path, POSITIONS, minute)
    broken.write_bytes(broken.read_bytes()[: broken.stat().st_size // 2])  # a copy cut short
    player = HistoryPlayer(HistoryReader(tmp_path), prefetch=False)
    with pytest.warns(UserWarning, match="cannot be read"):
        inside = player.seek((minute + 30_000) / 1000)
    assert any(str(broken) in warning for warning in inside.warnings)
    assert inside.entities.num_rows == 40  # as last seen before the lost minute
    after = player.seek((minute + MINUTE_MS + 10_000) / 1000)
    got, want = _by_id(after.entities), truth[minute + MINUTE_MS + 10_000]
    assert all(got[k][:2] == pytest.approx(v[:2], abs=0.011) for k, v in want.items())


def test_timeline_ticks_mark_alarms_and_new_incidents_by_urgency(tmp_path: Path) -> None:
    w = HistoryWriter(tmp_path)
    _drive(w, 40)
    rows = [
        _alarm(T0 + 5000, "raised"),
        _alarm(T0 + 15_000, "acknowledge", "ana"),
        _alarm(T0 + 25_000, "escalated"),
    ]
    w.append(EVENTS, {k: [r[k] for r in rows] for k in rows[0]})
    w.append(INCIDENTS, {"id": ["I1", "I1"], "t_ms": [T0 + 10_000, T0 + 20_000], "kf": [False, False],
                         "gone": [False, False], "type": ["fallen_tree"] * 2, "severity": [4, 4],
                         "x": [0.0] * 2, "y": [0.0] * 2, "status": ["new", "acknowledged"], "text": [""] * 2,
                         "raised_at": [(T0 + 10_000) / 1000] * 2, "source": [""] * 2})  # fmt: skip
    w.flush()
    player = HistoryPlayer(HistoryReader(tmp_path), prefetch=False)
    ticks = player.ticks(
        T0 / 1000, (T0 + 40_000) / 1000, alarm_rank=lambda key: 1 if key.startswith("flood") else 3
    )
    assert [(k.t, k.kind, k.action, k.rank) for k in ticks] == [
        ((T0 + 5000) / 1000, "alarm", "raised", 1),
        ((T0 + 10_000) / 1000, "incident", "new", 0),
        ((T0 + 25_000) / 1000, "alarm", "escalated", 1),
    ]
    nxt = HistoryPlayer.next_tick(ticks, (T0 + 10_000) / 1000)
    prev = HistoryPlayer.next_tick(ticks, (T0 + 10_000) / 1000, forward=False)
    assert nxt is not None and nxt.action == "escalated" and prev is not None and prev.action == "raised"


def test_replay_models_follow_the_clock_with_trails_and_the_board_as_it_stood(tmp_path: Path) -> None:
    from controlroom.history.replay_models import ReplayModels

    w = HistoryWriter(tmp_path)
    truth = _drive(w, 60, n=10)
    inc = {"id": ["I1", "I1"], "t_ms": [T0 + 10_000, T0 + 30_000], "kf": [True, False], "gone": [False] * 2,
           "type": ["fallen_tree"] * 2, "severity": [3, 3], "x": [1.0] * 2, "y": [2.0] * 2,
           "status": ["new", "closed"], "text": [""] * 2, "raised_at": [(T0 + 10_000) / 1000] * 2,
           "source": [""] * 2}  # fmt: skip
    w.append(INCIDENTS, inc)
    w.flush()
    player = HistoryPlayer(HistoryReader(tmp_path), prefetch=False)
    models = ReplayModels(trail_points=5)
    change = models.show(player.seek((T0 + 20_000) / 1000))
    assert change.entities_updated == 10 and [s.id for s in models.incidents.all()] == ["I1"]
    assert models.entities.trail("E003").shape == (1, 2)  # a jump: the trail starts here
    for k in range(1, 4):  # playing on, second by second: the trail grows as live
        models.show(player.seek((T0 + 20_000 + 1000 * k) / 1000))
    trail = models.entities.trail("E003")
    assert trail.shape == (4, 2) and trail[0, 0] == pytest.approx(truth[T0 + 20_000]["E003"][0], abs=0.011)
    models.show(player.seek((T0 + 40_000) / 1000))  # past the close: the board is empty
    assert len(models.incidents) == 0 and models.entities.trail("E003").shape == (1, 2)
    models.settle_trails(player.build((T0 + 40_000) / 1000, trails=5))  # the clock stopped: rebuilt
    trail = models.entities.trail("E003")
    assert trail.shape == (5, 2)
    assert trail[0, 0] == pytest.approx(truth[T0 + 36_000]["E003"][0], abs=0.011)
    assert trail[-1, 0] == pytest.approx(truth[T0 + 40_000]["E003"][0], abs=0.011)


def test_a_replay_session_shows_the_past_in_the_live_state_and_returns_to_live(tmp_path: Path) -> None:
    from controlroom.history.replay_session import ReplaySession
    from controlroom.live import LiveState, Mode
    from controlroom.live.events import ModelsChanged, ModelsReplaced

    w = HistoryWriter(tmp_path)
    truth = _drive(w, 30, n=5)
    w.close()
    now = [(T0 + 40_000) / 1000]
    state = LiveState(clock=lambda: now[0])
    seen: list[object] = []
    state.subscribe(ModelsChanged, seen.append)
    state.subscribe(ModelsReplaced, seen.append)
    session = ReplaySession(state, tmp_path, clock=lambda: now[0])
    session.enter((T0 + 10_000) / 1000)
    assert state.mode is Mode.REPLAY and state.entities is session.models.entities
    assert state.entities.x[state.entities.row("E002")] == pytest.approx(
        truth[T0 + 10_000]["E002"][0], abs=0.011
    )
    assert len(state.live.entities) == 0  # the live models are untouched (and keep filling)
    session.play(8)
    frame = session.step(1.0)
    assert frame is not None and round(frame.time * 1000) == T0 + 18_000 and state.replay_at == frame.time
    assert isinstance(seen[-1], ModelsChanged)
    assert session.step(3.0) is None and state.mode is Mode.LIVE  # 24 s more would pass now: live
    assert state.entities is state.live.entities


def test_the_replay_thread_builds_only_the_newest_instant_asked_for(tmp_path: Path) -> None:
    """While a frame is being built, later requests replace each other: only the last is built,
    and its answer carries the last request number (older answers are the receiver's to drop)."""
    from controlroom.history.replay_session import ReplaySession, Show
    from controlroom.history.replay_worker import Built, ReplayWorker
    from controlroom.live import LiveState

    w = HistoryWriter(tmp_path)
    _drive(w, 40, n=5)
    w.close()
    session = ReplaySession(LiveState(), tmp_path)
    answers: list[Built] = []
    worker = ReplayWorker(session, answers.append).start()
    try:
        with session.player._lock:  # the reader is busy: every request below waits
            asked = [worker.ask((T0 + 1000 * k) / 1000, Show.JUMP) for k in range(5, 30)]
            worker.ask((T0 + 31_000) / 1000, Show.STEP)  # a step after a jump stays a jump
        deadline = time.monotonic() + 30
        while not worker.idle() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert worker.idle() and worker.built <= 2 < len(asked)  # the first (maybe started) and the last
        last = answers[-1]
        assert last.seq == asked[-1] + 1 and last.frame is not None and last.how is Show.JUMP
        assert round(last.frame.time * 1000) == T0 + 31_000
    finally:
        worker.stop()
        session.close()


def test_a_one_off_question_and_a_decoded_minute_give_the_same_state(tmp_path: Path) -> None:
    """``state_at`` reads a cold minute file for its instant only (no index kept); the player
    decodes it whole. Both must give every entity's same row at every instant, a gone one too."""
    w = HistoryWriter(tmp_path)
    _drive(w, 130)
    w.append(POSITIONS, gone_rows(["E007"], T0 + 129_500))  # timed out after its last report
    w.flush()
    w.close_minutes(None)
    cold, warm = HistoryReader(tmp_path), HistoryReader(tmp_path)
    for t_ms in range(T0 + 500, T0 + 130_000, 2_750):
        one_off, kf = cold.positions_at(t_ms, keep=False)
        decoded, kf2 = warm.positions_at(t_ms)
        assert kf == kf2
        assert one_off.equals(decoded), t_ms
        assert ("E007" in one_off.column("id").to_pylist()) == (t_ms < T0 + 129_500)
    assert not cold._indexes  # nothing was kept for the one-off questions
