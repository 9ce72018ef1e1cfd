"""``controlroom bench flood`` runs on a small grid and prints its keys; both fills agree."""

from __future__ import annotations

import json

import pytest

from controlroom.app.cli import main


def test_bench_flood_prints_its_keys_and_the_baseline_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--cells", "400", "--buildings", "2000", "--repeats", "1", "--no-slider", "--json"]
    rc = main(["bench", "flood", *args])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    for key in ("extent_depth_s", "baseline_scipy_s", "ratio", "buildings_depth_s", "levels"):
        assert key in out
    assert out["cells"] == 160_000 and out["same_extent"] is True
    assert set(out["levels"]) == {"4.5", "7.5"}
    assert out["levels"]["7.5"]["flooded_km2"] > out["levels"]["4.5"]["flooded_km2"] > 0
    assert out["buildings_flooded"] + out["buildings_wet"] > 0
