"""History files without processes: the writer, the reader, damaged files, retention, times."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow.parquet as pq
import pytest

from controlroom.history import writer as writer_module
from controlroom.history.files import (
    HOUR_MS,
    MINUTE_MS,
    HistoryFileWarning,
    hour_dir,
    minute_file,
    segment_dir,
)
from controlroom.history.query import HistoryQueryError, HistoryReader
from controlroom.history.retention import enforce
from controlroom.history.rows import gone_rows, position_rows
from controlroom.history.schema import EVENTS, POSITIONS
from controlroom.history.times import TimeFormatError, parse_time
from controlroom.history.writer import HistoryWriter

T0 = 1_796_536_800_000 - 30_000  # 30 s before a UTC hour boundary (ms)


def _fleet(w: HistoryWriter, seconds: int, n: int = 50, keyframe_s: int = 5, flush_s: int = 2) -> dict:
    """Entities moving east 1 m/s each second; returns {t_ms: {id: x}} of what was written."""
    ids = [f"V{i:03d}" for i in range(n)]
    truth: dict[int, dict[str, float]] = {}
    for s in range(seconds):
        t = T0 + s * 1000
        x = np.arange(n) * 100.0 + s
        y = np.full(n, 50.0)
        u8 = np.zeros(n, np.uint8)
        w.append(
            POSITIONS, position_rows(ids, t, u8, u8, x, y, np.zeros(n), np.ones(n), kf=s % keyframe_s == 0)
        )
        truth[t] = dict(zip(ids, x.tolist(), strict=True))
        if s % flush_s == flush_s - 1:
            w.flush()
    w.flush()
    return truth


def _xs(state: object) -> dict[str, float]:
    e = state.entities  # type: ignore[attr-defined]
    return dict(zip(e.column("id").to_pylist(), e.column("x").to_pylist(), strict=True))


def test_state_at_any_instant_is_the_latest_row_after_the_keyframe(tmp_path: Path) -> None:
    w = HistoryWriter(tmp_path)
    truth = _fleet(w, 20)
    r = HistoryReader(tmp_path)
    for t_ms in (T0 + 3000, T0 + 7000, T0 + 12_400):
        state = r.state_at(t_ms / 1000)
        want = truth[t_ms - t_ms % 1000]
        got = dict(
            zip(state.entities.column("id").to_pylist(), state.entities.column("x").to_pylist(), strict=True)
        )
        assert got == pytest.approx(want, abs=0.01)
    assert r.state_at((T0 - 60_000) / 1000).entities.num_rows == 0  # before the recording: nothing


def test_an_entity_that_went_away_is_not_in_the_state_after(tmp_path: Path) -> None:
    w = HistoryWriter(tmp_path)
    _fleet(w, 3, n=5)
    w.append(POSITIONS, gone_rows(["V001"], T0 + 3500))
    w.flush()
    r = HistoryReader(tmp_path)
    assert "V001" in r.state_at((T0 + 3000) / 1000).entities.column("id").to_pylist()
    assert "V001" not in r.state_at((T0 + 4000) / 1000).entities.column("id").to_pylist()


def test_closed_minutes_are_compacted_and_answer_the_same(tmp_path: Path) -> None:
    w = HistoryWriter(tmp_path)
    truth = _fleet(w, 60)  # crosses the hour boundary at s = 30
    hour = T0 - T0 % HOUR_MS
    before = HistoryReader(tmp_path).state_at((T0 + 25_000) / 1000)
    w.close_minutes(T0 + 31_000)  # the minute before the hour ended 1 s ago: not settled yet
    assert not hour_dir(tmp_path, POSITIONS, hour).exists()
    w.close_minutes(T0 + 60_000)
    first = minute_file(tmp_path, POSITIONS, hour + HOUR_MS - MINUTE_MS)
    assert first.is_file()
    assert not segment_dir(tmp_path, POSITIONS, hour).exists()
    assert segment_dir(tmp_path, POSITIONS, hour + HOUR_MS).is_dir()  # the open minute stays in segments
    after = HistoryReader(tmp_path).state_at((T0 + 25_000) / 1000)
    assert after.entities.equals(before.entities)
    data = pq.read_table(first)
    assert data.num_rows == 50 * 30
    ids, t = data.column("id").to_pylist(), data.column("t_ms").to_pylist()
    assert list(zip(ids, t, strict=True)) == sorted(zip(ids, t, strict=True))  # by id, then time
    assert pq.ParquetFile(first).metadata.row_group(0).column(0).compression == "ZSTD"
    x = dict(
        zip(after.entities.column("id").to_pylist(), after.entities.column("x").to_pylist(), strict=True)
    )
    assert x == pytest.approx(truth[T0 + 25_000], abs=0.01)


def test_a_truncated_minute_file_is_named_and_the_rest_reads(tmp_path: Path) -> None:
    w = HistoryWriter(tmp_path)
    truth = _fleet(w, 40)  # crosses the hour (and minute) boundary at s = 30
    w.close_minutes(None)
    broken = minute_file(tmp_path, POSITIONS, T0 - T0 % HOUR_MS + HOUR_MS)
    with open(broken, "r+b") as f:
        f.truncate(os.path.getsize(broken) // 2)
    r = HistoryReader(tmp_path)
    with pytest.warns(HistoryFileWarning, match=f"{broken.name}.*cannot be read"):
        state = r.state_at((T0 + 35_000) / 1000)  # in the broken minute: the last readable second answers
    assert state.warnings and broken.name in state.warnings[0]
    x = dict(
        zip(state.entities.column("id").to_pylist(), state.entities.column("x").to_pylist(), strict=True)
    )
    assert x == pytest.approx(truth[T0 + 29_000], abs=0.01)


def test_a_half_written_segment_is_left_out_with_a_warning(tmp_path: Path) -> None:
    w = HistoryWriter(tmp_path)
    truth = _fleet(w, 8)
    seg = sorted(segment_dir(tmp_path, POSITIONS, T0 - T0 % HOUR_MS).glob("*.parquet"))
    broken = seg[-2]  # seconds 4 and 5 (5 is a keyframe)
    broken.write_bytes(broken.read_bytes()[:-100])  # the footer is gone: what a crash mid-write leaves
    r = HistoryReader(tmp_path)
    with pytest.warns(HistoryFileWarning, match=broken.name):
        state = r.state_at((T0 + 5000) / 1000)
    assert _xs(state) == pytest.approx(truth[T0 + 3000], abs=0.01)  # the last second before the broken file
    later = r.state_at((T0 + 7000) / 1000)  # after it: keyframe at 0 s, then the readable rows up to 7 s
    assert _xs(later) == pytest.approx(truth[T0 + 7000], abs=0.01)


def test_leftover_temporary_files_are_removed_on_start(tmp_path: Path) -> None:
    folder = tmp_path / POSITIONS / "2026-12-06T07.seg"
    folder.mkdir(parents=True)
    (folder / ".123.parquet.tmp").write_bytes(b"PAR1 half")
    HistoryWriter(tmp_path)
    assert not list(folder.iterdir())


def test_retention_drops_old_hours_and_keeps_under_the_disk_cap(tmp_path: Path) -> None:
    w = HistoryWriter(tmp_path)
    now = T0 + 30_000 + 5 * HOUR_MS
    for h in range(5):  # five closed hours, then the open one
        for s in range(3):
            t = T0 + 30_000 + h * HOUR_MS + s * 1000
            u8 = np.zeros(200, np.uint8)
            xs = np.random.default_rng(h * 10 + s).uniform(0, 1e5, 200)
            w.append(POSITIONS, position_rows([f"E{i}" for i in range(200)], t, u8, u8, xs, xs, xs, xs))
        w.flush()
    w.append(EVENTS, {"subject": ["a"], "t_ms": [now], "kind": ["alarm"], "action": ["raised"], "who": ["x"],
                      "desk": [""], "accepted": [True], "detail": ["{}"]})  # fmt: skip
    w.flush()
    w.close_minutes(now)
    res = enforce(tmp_path, keep_days=3 / 24, max_gb=100, min_free_gb=0, now_ms=now)
    assert res.reason == "age" and len(res.dropped) == 2  # older than 3 h (ended before now - 3 h)
    one_hour = sum(
        p.stat().st_size for p in hour_dir(tmp_path, POSITIONS, now - now % HOUR_MS - HOUR_MS).iterdir()
    )
    cap_gb = (one_hour * 1.5) / 1024**3
    res = enforce(tmp_path, keep_days=30, max_gb=cap_gb, min_free_gb=0, now_ms=now)
    assert res.reason == "disk cap" and res.dropped and res.disk_low
    assert (
        len([p for p in (tmp_path / POSITIONS).iterdir() if p.is_dir()]) == 1
    )  # the newest closed hour stays
    assert segment_dir(tmp_path, EVENTS, now - now % HOUR_MS).is_dir()  # the open hour is never dropped
    assert HistoryReader(tmp_path).range("events", now / 1000 - 1, now / 1000 + 1).num_rows == 1


def test_range_refuses_an_unknown_kind_and_a_backwards_range(tmp_path: Path) -> None:
    r = HistoryReader(tmp_path)
    with pytest.raises(HistoryQueryError, match="unknown kind 'cars'; expected one of positions"):
        r.range("cars", 0, 1)
    with pytest.raises(HistoryQueryError, match="ends"):
        r.range("events", 10, 1)


def test_times_are_iso_in_the_site_zone_or_unix_seconds() -> None:
    assert parse_time("1796536800", "Asia/Shanghai") == 1_796_536_800
    assert parse_time("2026-12-06T09:00:00", "Asia/Shanghai") == parse_time("2026-12-06T01:00:00Z", "UTC")
    assert parse_time("2026-12-06T09:00:00+00:00", "Asia/Shanghai") == parse_time("2026-12-06T09:00", "UTC")
    with pytest.raises(TimeFormatError, match="expected ISO 8601"):
        parse_time("yesterday", "UTC")


def test_copying_a_history_folder_elsewhere_still_reads(tmp_path: Path) -> None:
    w = HistoryWriter(tmp_path / "a")
    _fleet(w, 6)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    assert HistoryReader(tmp_path / "b").state_at((T0 + 5000) / 1000).entities.num_rows == 50


def test_cli_at_and_range_read_the_files(
    sample_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from controlroom.app.cli import main

    w = HistoryWriter(tmp_path / "h")
    _fleet(w, 6, n=7)
    site = str(sample_folder / "site.toml")
    iso = (
        datetime.fromtimestamp((T0 + 4000) / 1000, ZoneInfo("Asia/Shanghai")).replace(tzinfo=None).isoformat()
    )
    assert main(["history", "at", "--site", site, "--dir", str(tmp_path / "h"), "--time", iso, "--json",
                 "--out", str(tmp_path / "at.parquet")]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert out["entities"] == 7 and out["time"] == (T0 + 4000) / 1000
    assert pq.read_table(tmp_path / "at.parquet").num_rows == 7
    args = ["history", "range", "--site", site, "--dir", str(tmp_path / "h"), "--kind", "positions", "--json"]
    assert main([*args, "--from", str(T0 / 1000), "--to", str((T0 + 2000) / 1000)]) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 21


def test_cli_user_errors_are_one_line(
    sample_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from controlroom.app.cli import main

    site = str(sample_folder / "site.toml")
    assert main(["history", "at", "--site", site, "--dir", str(tmp_path / "none"), "--time", "noon"]) == 2
    assert "history: time 'noon': expected ISO 8601" in capsys.readouterr().err
    assert main(["history", "at", "--site", site, "--dir", str(tmp_path / "none"), "--time", "0"]) == 1
    assert f"history: no history at {tmp_path / 'none'}" in capsys.readouterr().err
    (tmp_path / "h").mkdir()
    args = ["history", "range", "--site", site, "--dir", str(tmp_path / "h"), "--from", "0", "--to", "1"]
    assert main([*args, "--kind", "cars"]) == 1
    assert "history: unknown kind 'cars'; expected one of positions" in capsys.readouterr().err


def test_recorder_says_when_the_disk_cap_forces_a_drop(
    sample_folder: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from controlroom.core.site import load_site
    from controlroom.history.files import hour_name
    from controlroom.history.recorder import Recorder
    from tests.history.conftest import site_on_free_ports

    site = load_site(
        site_on_free_ports(sample_folder, f"cap-{tmp_path.name}", "[history]\nmax_gb = 0.000001\n")
    )
    rec = Recorder(site, tmp_path / "h")  # not started: its disk check alone
    w = rec.writer
    _fleet(w, 3)
    w.close_minutes(None)
    now = T0 + 2 * HOUR_MS
    with caplog.at_level("ERROR"):
        res = rec._retention(now / 1000)
    assert res is not None and res.dropped == [hour_name(T0)] and res.reason == "disk cap"
    assert "history disk nearly full" in caplog.text
    assert rec.status_dict()["disk_low"] and "disk cap" in rec.status_dict()["retention"]
    w.flush()
    events = HistoryReader(tmp_path / "h").range("events", now / 1000 - 1, now / 1000 + 1).to_pylist()
    assert [(e["kind"], e["action"]) for e in events] == [("recorder", "disk_low")]


def test_the_service_answers_at_range_and_bad_requests_over_zeromq(tmp_path: Path) -> None:
    import msgspec

    from controlroom.history.service import HistoryClient, HistoryServer, from_ipc

    _fleet(HistoryWriter(tmp_path), 6, n=9)
    server = HistoryServer(tmp_path, "tcp://127.0.0.1:0", status=lambda: {"rows": 54}).start()
    client = HistoryClient(server.endpoint)
    try:
        at = client.ask("at", time=(T0 + 4000) / 1000, rows=True)
        assert at["ok"] and at["result"]["entities"] == 9
        assert from_ipc(at["tables"]["entities"]).num_rows == 9
        rng = client.ask("range", kind="positions", **{"from": T0 / 1000, "to": (T0 + 1000) / 1000})
        assert rng["ok"] and from_ipc(rng["tables"]["positions"]).num_rows == 18
        assert client.ask("status")["result"] == {"rows": 54}
        bad = client.ask("range", kind="cars", **{"from": 0, "to": 1})
        assert not bad["ok"] and "unknown kind 'cars'" in bad["reason"]
        assert "must be Unix seconds" in client.ask("at", time="noon")["reason"]
        client.sock.send(b"\xc1 not msgpack")
        assert client.sock.poll(5000)
        assert "undecodable request" in msgspec.msgpack.decode(client.sock.recv())["reason"]
        assert client.ask("at", time=(T0 + 1000) / 1000)["ok"]  # still serving
    finally:
        client.close()
        server.stop()


def test_wall_notes_reach_the_recorder_and_bad_ones_are_refused(tmp_path: Path) -> None:
    from controlroom.history.notes import HistoryNotes
    from controlroom.history.service import HistoryClient, HistoryServer

    stored: list[dict] = []
    server = HistoryServer(tmp_path, "tcp://127.0.0.1:0", note=stored.append).start()
    notes = HistoryNotes(HistoryClient(server.endpoint))
    client = HistoryClient(server.endpoint)
    try:
        notes.note("switch_preset", "flood", "ana", "wall-1", detail={"command_id": "c1"})
        notes.note(
            "push_camera", "left", "ana", "wall-1", accepted=False, detail={"reason": "no such camera"}
        )
        assert notes.wait_sent(2)
        assert [(r["kind"], r["action"], r["subject"], r["accepted"]) for r in stored] == [
            ("wall", "switch_preset", "flood", True),
            ("wall", "push_camera", "left", False),
        ]
        bad = client.ask("note", kind="wall", action="paint", subject="x")
        assert (
            not bad["ok"]
            and "wall note action 'paint' is unknown; expected one of switch_preset" in bad["reason"]
        )
        assert "note kind 'alarm' is not taken" in client.ask("note", kind="alarm")["reason"]
    finally:
        notes.close()
        client.close()
        server.stop()
    plain = HistoryServer(tmp_path, "tcp://127.0.0.1:0").start()  # a reader, not a recorder
    client = HistoryClient(plain.endpoint)
    try:
        reply = client.ask("note", kind="wall", action="push_view", subject="main")
        assert reply["reason"] == "this history service does not record notes (not a recorder)"
    finally:
        client.close()
        plain.stop()


def _alarm_day(w: HistoryWriter, hours: int, start: int) -> None:
    """Alarm transitions every minute for ``hours`` hours, written and compacted minute by
    minute as a recorder on the wall clock would (flush, then close what is over); the last
    hour is left open (its end not yet settled)."""
    rng = np.random.default_rng(3)
    for m in range(hours * 60):
        t = start + m * MINUTE_MS + 20_000
        keys = [f"alarm-{k}" for k in rng.integers(0, 40, 3)]
        w.append(
            EVENTS, _events(keys, [t, t + 1, t + 2], rng.choice(["raised", "acknowledge", "cleared"], 3))
        )
        w.flush()
        w.close_minutes(min(t + 45_000, start + hours * HOUR_MS))


def _events(keys: list[str], t_ms: list[int], actions: object) -> dict[str, object]:
    n = len(keys)
    return {"subject": keys, "t_ms": t_ms, "kind": ["alarm"] * n, "action": list(actions),  # type: ignore[call-overload]
            "who": ["op"] * n, "desk": [""] * n, "accepted": [True] * n, "detail": ["{}"] * n}  # fmt: skip


def test_an_hour_of_alarm_events_becomes_one_file_and_answers_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = T0 + 30_000 - 2 * HOUR_MS  # two whole UTC hours, then part of a third
    merged, minutes = tmp_path / "merged", tmp_path / "minutes"
    for root in (merged, minutes):
        if root == minutes:  # the same recording, its small tables left as minute files
            monkeypatch.setattr(writer_module, "HOURLY", ())
        w = HistoryWriter(root)
        _alarm_day(w, 2, start)
        w.append(EVENTS, _events(["alarm-99"], [start + 2 * HOUR_MS + 5_000], ["raised"]))
        w.flush()
        w.close_minutes(start + 2 * HOUR_MS + 10 * MINUTE_MS)
    for hour in (start, start + HOUR_MS):  # each hour that is over: one file, no minute files left
        assert [p.name for p in hour_dir(merged, EVENTS, hour).iterdir()] == [f"hour-{hour:013d}.parquet"]
        assert len(list(hour_dir(minutes, EVENTS, hour).iterdir())) == 60
    r, before = HistoryReader(merged), HistoryReader(minutes)
    for t in (start + HOUR_MS // 2, start + HOUR_MS + 17 * MINUTE_MS, start + 2 * HOUR_MS + 9_000):
        now = r.alarms_at(t)
        assert now.num_rows > 0
        assert now.equals(before.alarms_at(t)), t
    day = r.range(EVENTS, start / 1000, (start + 3 * HOUR_MS) / 1000)
    assert day.num_rows == 2 * 60 * 3 + 1  # every event once
    assert day.equals(before.range(EVENTS, start / 1000, (start + 3 * HOUR_MS) / 1000))
    assert "alarm-99" in r.alarms_at(start + 2 * HOUR_MS + 9_000).column("subject").to_pylist()


def test_minute_files_merged_before_a_crash_are_not_read_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = T0 + 30_000 - HOUR_MS
    with monkeypatch.context() as m:
        m.setattr(writer_module, "HOURLY", ())  # the hour's minute files, not merged yet
        w = HistoryWriter(tmp_path)
        _alarm_day(w, 1, start)
        w.close_minutes(start + HOUR_MS + MINUTE_MS)
    folder = hour_dir(tmp_path, EVENTS, start)
    kept = tmp_path / "kept"
    shutil.copytree(folder, kept)
    HistoryWriter(tmp_path).close_minutes(start + HOUR_MS + 10 * MINUTE_MS)
    assert [p.name for p in folder.iterdir()] == [f"hour-{start:013d}.parquet"]
    for p in kept.glob("*.parquet"):  # the crash: merged, but the minute files not yet removed
        shutil.copy(p, folder / p.name)
    assert len(list(folder.glob("*.parquet"))) == 61
    span = (start / 1000, (start + HOUR_MS) / 1000)
    assert HistoryReader(tmp_path).range(EVENTS, *span).num_rows == 180
    # a late minute (a recorder restarted after the hour) is read, then merged by the next writer
    late = folder / f"{start + 59 * MINUTE_MS + 30_000:013d}.parquet"
    pq.write_table(pq.read_table(sorted(kept.glob("*.parquet"))[0]), late)
    assert HistoryReader(tmp_path).range(EVENTS, *span).num_rows == 183
    HistoryWriter(tmp_path).close_minutes(start + 2 * HOUR_MS)
    assert [p.name for p in folder.iterdir()] == [f"hour-{start:013d}.parquet"]
    assert HistoryReader(tmp_path).range(EVENTS, *span).num_rows == 183


def test_a_damaged_hour_file_is_named_the_other_hours_read_and_it_is_not_overwritten(tmp_path: Path) -> None:
    start = T0 + 30_000 - 2 * HOUR_MS
    w = HistoryWriter(tmp_path)
    _alarm_day(w, 2, start)
    w.close_minutes(start + 2 * HOUR_MS + 10 * MINUTE_MS)
    broken = hour_dir(tmp_path, EVENTS, start) / f"hour-{start:013d}.parquet"
    with open(broken, "r+b") as f:
        f.truncate(os.path.getsize(broken) // 2)
    damaged = broken.read_bytes()
    r = HistoryReader(tmp_path)
    with pytest.warns(HistoryFileWarning, match=f"{broken.name}.*cannot be read"):
        day = r.range(EVENTS, start / 1000, (start + 2 * HOUR_MS) / 1000)
    assert day.num_rows == 60 * 3  # the second hour still reads
    assert r.alarms_at(start + HOUR_MS + 30 * MINUTE_MS).num_rows > 0
    # a minute written late into the damaged hour stays beside it, read; the damaged file is kept
    late = broken.with_name(f"{start + 59 * MINUTE_MS + 30_000:013d}.parquet")
    pq.write_table(
        pq.read_table(
            hour_dir(tmp_path, EVENTS, start + HOUR_MS) / f"hour-{start + HOUR_MS:013d}.parquet"
        ).slice(0, 3),
        late,
    )
    with pytest.warns(HistoryFileWarning):
        HistoryWriter(tmp_path).close_minutes(start + 3 * HOUR_MS)
    assert broken.read_bytes() == damaged and late.exists()
    with pytest.warns(HistoryFileWarning):
        assert (
            HistoryReader(tmp_path).range(EVENTS, start / 1000, (start + 2 * HOUR_MS) / 1000).num_rows == 183
        )
