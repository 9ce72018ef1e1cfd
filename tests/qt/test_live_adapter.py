"""LiveCity adapts the live state's events into signals on the GUI thread, whoever wrote the state:
a replay entered from another thread (the history player's) reaches the panels queued."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from tests.panels import live_city

pytestmark = pytest.mark.gui


def test_a_replay_written_from_a_worker_thread_arrives_as_gui_thread_signals(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from controlroom.live import FeedModels, Mode
    from controlroom.qt.live import LiveCity

    live = LiveCity(live_city.test_site(tmp_path), feed=False)
    gui = threading.get_ident()
    heard: list[tuple[str, object, int]] = []
    live.sig_mode_changed.connect(lambda mode: heard.append(("mode", mode, threading.get_ident())))
    live.sig_tick.connect(
        lambda change: heard.append(("tick", change.entities_updated, threading.get_ident()))
    )
    past = FeedModels.empty()
    zeros = np.zeros(2)
    u8, f32 = zeros.astype(np.uint8), zeros.astype(np.float32)
    past.entities.upsert(["BUS-1", "BUS-2"], u8, zeros, zeros, f32, f32, u8, 1_700_000_000.0)
    player = threading.Thread(target=live.state.enter_replay, args=(past, 1_700_000_000.0), name="player")
    player.start()
    player.join()
    qtbot.waitUntil(lambda: len(heard) == 2, timeout=5_000)
    assert heard == [("tick", 2, gui), ("mode", Mode.REPLAY, gui)]
    assert list(live.entities.ids) == ["BUS-1", "BUS-2"]
    live.state.return_to_live()  # on the GUI thread: delivered at once, in order
    assert [h[:2] for h in heard[2:]] == [("tick", 1), ("mode", Mode.LIVE)]
    assert len(live.entities) == 0
    live.stop()
    live.deleteLater()
