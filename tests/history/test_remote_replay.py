"""History served to the room: a desk whose PC has no history files replays through the recorder.

A real ``history record`` process owns the files in one folder; the app instance is configured
with a ``[history]`` folder that does not exist on its side (as on another PC) and the
recorder's endpoint; both use the feed's CURVE keys (the desk's public key authorised). It scrubs
back and shows past positions, trails, the alarms and the bar's marks as the recorder's files
have them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from controlroom.core.site import load_site
from controlroom.feed.keys import authorize, create_keypair
from controlroom.history.rows import position_rows
from controlroom.history.schema import EVENTS, POSITIONS
from controlroom.history.writer import HistoryWriter
from tests.history.conftest import Proc, free_port, site_on_free_ports

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def _past(root: Path, t_past: float) -> None:
    """BUS-7 driving east 10 m/s for a minute around ``t_past``; an alarm raised 20 s before."""
    w = HistoryWriter(root)
    u8 = np.zeros(1, np.uint8)
    for s in range(-30, 30):
        t_ms = round((t_past + s) * 1000)
        x = np.array([1000.0 + 10.0 * s])
        w.append(POSITIONS, position_rows(["BUS-7"], t_ms, u8, u8, x, np.array([500.0]), np.full(1, 90.0),
                                          np.full(1, 10.0), kf=s % 5 == 0))  # fmt: skip
    w.append(EVENTS, {"subject": ["flood|RIVER01"], "t_ms": [round((t_past - 20) * 1000)], "kind": ["alarm"],
                      "action": ["raised"], "who": ["system"], "desk": ["d1"], "accepted": [True],
                      "detail": [json.dumps({"alarm_id": "flood|RIVER01@1"})]})  # fmt: skip
    w.close()


def test_a_desk_without_the_files_scrubs_back_through_the_recorder(  # type: ignore[no-untyped-def]
    qtbot, sample_folder: Path, tmp_path: Path, processes: Callable[..., Proc]
) -> None:
    import time

    from controlroom.qt.live import LiveCity
    from controlroom.qt.replay_clock import ReplayClock

    endpoint = f"tcp://127.0.0.1:{free_port()}"
    files = tmp_path / "recorder-pc"
    t_past = time.time() - 600.0
    _past(files, t_past)
    rec_site = site_on_free_ports(sample_folder, "remote-rec", f'[history]\nendpoint = "{endpoint}"\n')
    keys = tmp_path / "keys"  # the feed's CURVE keys: the recorder's service asks for them too
    create_keypair("server", keys)
    desk_public, _ = create_keypair("desk", keys)
    authorize(desk_public, tmp_path / "authorized")
    curve = (
        f'[feed]\nserver_secret_key = "{keys / "server.key_secret"}"\n'
        f'authorized_keys = "{tmp_path / "authorized"}"\n'
        f'client_secret_key = "{keys / "desk.key_secret"}"\nserver_public_key = "{keys / "server.key"}"\n'
    )
    rec_site.write_text(rec_site.read_text().replace("[feed]\n", curve, 1))
    desk_text = rec_site.read_text().replace(
        f'[history]\nendpoint = "{endpoint}"',
        f'[history]\nendpoint = "{endpoint}"\ndir = "{tmp_path / "none"}"',
    )
    desk_site = rec_site.with_name("remote-desk.toml")
    desk_site.write_text(desk_text)
    processes("history", "record", "--site", str(rec_site), "--dir", str(files))

    live = LiveCity(load_site(desk_site), feed=False)
    replay = ReplayClock(live)
    try:
        assert not replay.history_dir().exists()  # this desk has no history of its own
        assert replay.enter(t_past)
        qtbot.waitUntil(
            lambda: (replay.replaying and not replay.busy()) or bool(replay.error), timeout=30_000
        )
        assert replay.error == ""
        store = live.state.entities
        assert store.ids == ["BUS-7"] and store.x[0] == pytest.approx(1000.0, abs=0.01)  # where it was then
        assert replay.session is not None and [a.key for a in replay.session.alarms] == ["flood|RIVER01"]
        replay.seek(t_past + 12)  # a drag on the bar
        qtbot.waitUntil(lambda: store.x[0] == pytest.approx(1120.0, abs=0.01), timeout=20_000)
        replay.pause()  # trails rebuilt from the recorder's files
        qtbot.waitUntil(lambda: not replay.busy() and len(store.trail("BUS-7")) > 5, timeout=20_000)
        trail = store.trail("BUS-7")
        assert trail[-1, 0] == pytest.approx(1120.0, abs=0.01) and trail[0, 0] < trail[-1, 0]
        qtbot.waitUntil(
            lambda: bool(replay.ticks()), timeout=20_000
        )  # the bar's marks, from the recorder too
        assert [(k.subject, k.action) for k in replay.ticks()] == [("flood|RIVER01", "raised")]
        replay.go_live()
        assert live.state.entities is live.state.live.entities
    finally:
        replay.close()
        live.stop()
