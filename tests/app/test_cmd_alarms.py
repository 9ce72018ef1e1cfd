"""``controlroom alarms check|backtest``: the JSON keys of the CLI contract, and bad input."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from controlroom.app.cli import main
from controlroom.core.shipped import shipped_path


@pytest.fixture(scope="module")
def site(sample_site_factory: Callable[[str], Path]) -> Path:
    folder = sample_site_factory("sample-site").parent
    shutil.copy(shipped_path("sample-site", "alarms.toml"), folder / "alarms.toml")
    return folder


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    rc = main(list(argv))
    return rc, json.loads(capsys.readouterr().out)


def test_check_passes_on_the_sample_site(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out = _run(capsys, "alarms", "check", "--site", str(site), "--json")
    assert rc == 0 and out["ok"] and out["rules"] == 7 and out["issues"] == []


def test_check_names_a_missing_boundary_code_and_layer(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(site, bad)
    text = (bad / "alarms.toml").read_text(encoding="utf-8")
    text = text.replace('boundary_codes = ["449903"]', 'boundary_codes = ["449999"]').replace(
        'layer = "water"', 'layer = "rivers"', 1
    )
    (bad / "alarms.toml").write_text(text, encoding="utf-8")
    rc, out = _run(capsys, "alarms", "check", "--site", str(bad), "--json")
    assert rc == 1 and not out["ok"]
    assert {(i["key"], i["found"]) for i in out["issues"]} == {
        ("rule[0].layer", "'rivers'"),
        ("rule[4].boundary_codes", "['449999']"),
    }


def test_backtest_scores_predictions_on_a_rising_series(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t = np.arange(0.0, 1800.0, 2.0)
    level = 2.6 + 0.08 * np.minimum(t, 900.0) / 60.0 + np.random.default_rng(1).normal(0, 0.01, t.size)
    series = tmp_path / "river.csv"
    series.write_text("t,value\n" + "".join(f"{a},{b:.4f}\n" for a, b in zip(t, level, strict=True)))
    rc, out = _run(capsys, "alarms", "backtest", "--site", str(site), "--series", str(series), "--json")
    assert rc == 0
    assert {"alarms", "predicted", "hits", "false_alarms", "lead_time_s_median"} <= set(out)
    assert (out["alarms"], out["predicted"], out["hits"], out["false_alarms"]) == (1, 1, 1, 0)
    assert out["lead_time_s_median"] > 120.0


def test_backtest_bad_series_says_which_line(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    series = tmp_path / "bad.csv"
    series.write_text("t,value\n0,2.5\n2,high\n")
    assert main(["alarms", "backtest", "--site", str(site), "--series", str(series)]) == 1
    assert "line 3: t='2', value='high'; expected numbers" in capsys.readouterr().err
