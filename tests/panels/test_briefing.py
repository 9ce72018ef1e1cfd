"""The leader's summary fills from the live feed, in Chinese when the app runs in Chinese."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from controlroom.core.site import load_site
from controlroom.feed.recorder import read_recording, replay
from tests.app.sim_recording import write_sim_recording

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def sample_site(sample_site_factory: Callable[[str], Path]) -> Path:
    return sample_site_factory("sample-site")


def test_briefing_shows_incidents_by_type_in_chinese(  # type: ignore[no-untyped-def]
    qtbot, sample_site: Path, tmp_path: Path
) -> None:
    from controlroom.geo.city_loader import load_city
    from controlroom.panels.briefing import BriefingPanel
    from controlroom.qt.application import make_application
    from controlroom.qt.live import LiveCity

    site = load_site(sample_site)
    # the hour ends before the site's midnight, whenever the test runs: "today" holds all of it
    # (from now, a run at 23:05 in the site's zone left the incidents before midnight out)
    ten = datetime.now(ZoneInfo(site.site.timezone)).replace(hour=10, minute=0, second=0, microsecond=0)
    rec, ids = write_sim_recording(
        site, tmp_path / "feed.crf", hours=1.0, step_s=30.0, incident_every_s=300.0, start=ten.timestamp()
    )
    last = max(t for t, _ in read_recording(rec))
    make_application(language="zh_CN")
    live = LiveCity(site, feed=False, clock=lambda: last)
    live.set_model(load_city(site))
    bound: list[str] = []
    ready = threading.Event()
    player = threading.Thread(
        target=replay,
        args=(rec, "tcp://127.0.0.1:*", 5000.0),
        kwargs={"on_bound": lambda e: (bound.append(e), ready.set()), "insecure": True},
    )
    player.start()
    panel = None
    try:
        assert ready.wait(5)
        panel = BriefingPanel(live)
        qtbot.addWidget(panel)
        live.start_feed(endpoint=bound[0], snapshot_endpoint="tcp://127.0.0.1:1")

        def all_arrived() -> None:
            live.pump_now()
            panel.refresh()
            assert panel.data is not None and panel.data.stats.total == len(ids)

        qtbot.waitUntil(all_arrived, timeout=20_000)
        assert panel.tiles["total"].value.text() == str(len(ids))
        types = [panel.by_type.item(r, 0).text() for r in range(panel.by_type.rowCount())]
        assert types and all(any("\u4e00" <= c <= "\u9fff" for c in t) for t in types), types
        assert panel.period_combo.currentText() == "今日"
        assert len(panel.metric_tiles) == 4
    finally:
        live.stop_feed()
        player.join(10)
        if panel is not None:
            panel.close()
        make_application(language="en")
