"""The leader's brief of a past period, read from history."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from controlroom.core.site import load_site
from controlroom.geo.city_loader import load_city
from controlroom.history.brief import brief_from_history
from controlroom.history.query import HistoryReader
from controlroom.history.rows import position_rows
from controlroom.history.schema import INCIDENTS, METRICS, POSITIONS
from controlroom.history.writer import HistoryWriter

T0 = 1_796_536_800.0  # 2026-12-06 14:00 in Asia/Shanghai (06:00 UTC)


def _incident(t: float, iid: str, status: str, raised: float) -> dict[str, list]:
    return {"id": [iid], "t_ms": [round(t * 1000)], "kf": [False], "gone": [False], "type": ["fallen_tree"],
            "severity": [3], "x": [10.0], "y": [20.0], "status": [status], "text": ["tree down"],
            "raised_at": [raised], "source": [""]}  # fmt: skip


def _history(root: Path) -> None:
    w = HistoryWriter(root)
    ids = ["P1", "P2", "A1"]
    kinds = np.array([2, 2, 5], np.uint8)  # police, police, ambulance
    for s in range(0, 1800, 60):
        t = T0 + s
        status = np.array([0, 0, 0], np.uint8)
        w.append(POSITIONS, position_rows(ids, round(t * 1000), kinds, status, np.zeros(3), np.zeros(3),
                                          np.zeros(3), np.zeros(3), kf=True))  # fmt: skip
        w.append(
            METRICS, {"name": ["aqi"], "t_ms": [round(t * 1000)], "value": [40.0 + s / 60], "unit": [""]}
        )
    w.append(INCIDENTS, _incident(T0 + 100, "F1", "new", T0 + 100))
    w.append(INCIDENTS, _incident(T0 + 400, "F1", "acknowledged", T0 + 100))
    w.append(INCIDENTS, _incident(T0 + 1000, "F1", "closed", T0 + 100))
    w.append(INCIDENTS, _incident(T0 + 1200, "F2", "new", T0 + 1200))
    w.close()


@pytest.mark.slow
def test_a_past_period_from_history_makes_the_brief(sample_folder: Path, tmp_path: Path) -> None:
    _history(tmp_path / "h")
    site = load_site(sample_folder)
    data = brief_from_history(site, load_city(site), HistoryReader(tmp_path / "h"), T0, T0 + 1800)
    assert data.source == "history" and data.period == "2026-12-06 14:00 – 14:30"
    assert data.stats.total == 2 and data.stats.open_count == 1
    assert data.stats.response.median_s == pytest.approx(
        300
    ) and data.stats.closing.median_s == pytest.approx(900)
    aqi = data.metrics[0]
    assert (aqi.name, aqi.first, aqi.latest) == ("aqi", 40.0, 69.0)
    assert data.units_in_service["police"] == 2 and data.units_in_service["ambulance"] == 1
    out = tmp_path / "brief.pdf"
    cmd = [sys.executable, "-m", "controlroom", "brief", "--site", str(sample_folder), "--out", str(out),
           "--lang", "en", "--history-dir", str(tmp_path / "h"), "--from", "2026-12-06T14:00",
           "--to", "2026-12-06T14:30"]  # fmt: skip
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    text = "".join(
        subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout.split()
    )
    assert "2026-12-0614:00–14:30" in text and "Recordedhistory" in text
    bad = subprocess.run([*cmd[:-4], "--from", "2026-12-06T14:30", "--to", "2026-12-06T14:00"],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert bad.returncode == 1
    assert "brief: the period ends (2026-12-06T14:00) at or before it starts (2026-12-06T14:30)" in bad.stderr
