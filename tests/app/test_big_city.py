"""The city-sized sample: exact size, deterministic, a city's shape (river, towers), loads as a site."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from controlroom.app.big_city import SITE_CRS, _river, generate, plan_buildings


def test_plan_has_exactly_n_buildings_and_is_deterministic() -> None:
    a = plan_buildings(30_000)
    b = plan_buildings(30_000)
    assert len(a["id"]) == 30_000 and len(set(a["id"].tolist())) == 30_000
    assert np.array_equal(a["rings"], b["rings"]) and np.array_equal(a["height"], b["height"])
    assert not np.array_equal(plan_buildings(30_000, seed=1)["height"], a["height"])


def test_city_has_towers_districts_and_no_building_in_the_river() -> None:
    p = plan_buildings(50_000)
    assert (p["height"] >= 80).sum() > 100  # a CBD of towers
    assert len(set(p["district"].tolist())) >= 2
    centre = p["rings"][:, :4].mean(axis=1)
    yc, w = _river(centre[:, 0], p["extent"])
    assert (np.abs(centre[:, 1] - yc) > w / 2).all()


def test_generated_site_loads_every_building(tmp_path: Path) -> None:
    from controlroom.core.site import load_site
    from controlroom.geo.city_loader import load_city

    site = load_site(generate(tmp_path / "city", n=20_000))
    assert site.site.crs == SITE_CRS
    model = load_city(site, use_cache=False, as_tiles=False)
    layer = model.layers["buildings"]
    assert len(layer.objects) == 20_000
    assert layer.objects.ids[0] == "B0000001"
    assert model.lines["roads"].offsets.size > 2 and "water" in model.layers


def test_generate_cli(tmp_path: Path) -> None:
    from controlroom.app.big_city import main

    assert main(["--out", str(tmp_path / "c"), "--buildings", "1000"]) == 0
    assert (tmp_path / "c" / "data" / "buildings.parquet").is_file()


def test_the_demo_city_is_tiled_before_the_window_opens(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from controlroom.app.big_city import ensure_big_city
    from controlroom.core.site import load_site
    from controlroom.geo.tiles.store import build_site_tiles

    monkeypatch.setenv("CONTROLROOM_CACHE_DIR", str(tmp_path / "cache"))
    site = ensure_big_city(3_000, tmp_path / "city")
    assert "Tiled it into" in capsys.readouterr().out
    result, folder = build_site_tiles(load_site(site))  # the map's own look-up finds them built
    assert result is None and (folder / "tileset.json").is_file()
    ensure_big_city(3_000, tmp_path / "city")
    assert capsys.readouterr().out == ""  # made once
