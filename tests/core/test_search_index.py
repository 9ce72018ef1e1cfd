"""The search index: ids and names in both languages, grouped by kind, ranked, live entries fresh."""

from __future__ import annotations

import numpy as np

from controlroom.core.entities import EntityStore
from controlroom.core.search_index import KINDS, PINYIN_AVAILABLE, SearchIndex, make_entry
from controlroom.core.search_sources import city_entries, unit_entries
from tests.render.city_factory import synthetic_city


def _index() -> SearchIndex:
    return SearchIndex(
        [
            make_entry("road", "珠江大道", ["珠江大道", "Zhujiang Avenue"], 10, 20),
            make_entry("poi", "P0001", ["珠光第一人民医院", "Zhuguang No.1 People's Hospital"], 1, 2),
            make_entry("camera", "CAM00387", ["南洲大道 387号"], 5, 6),
            make_entry("building", "B-12", ["Tower"], 7, 8, ("buildings", 12)),
            make_entry("building", "B-1", [], 3, 4, ("buildings", 1)),
        ]
    )


def test_finds_by_id_and_by_name_in_either_language() -> None:
    index = _index()
    assert [h.entry.id for h in index.search("cam00387")["camera"]] == ["CAM00387"]
    assert index.search("zhujiang")["road"][0].entry.id == "珠江大道"
    assert index.search("人民医院")["poi"][0].entry.id == "P0001"
    assert index.search("ＺＨＵＪＩＡＮＧ")["road"], "full-width letters match too"
    assert index.search("nothing like this") == {}
    assert index.search("  ") == {}


def test_hits_are_grouped_by_kind_in_a_fixed_order_and_ranked() -> None:
    index = _index()
    index.add([make_entry("unit", "B-3-police", [], 0, 0)])
    found = index.search("b-1")
    assert list(found) == [k for k in KINDS if k in found]
    assert [h.entry.id for h in found["building"]] == ["B-1", "B-12"], "the exact id first, then prefixes"
    assert found["building"][0].rank == 0 and found["building"][1].rank == 1


def test_titles_follow_the_language() -> None:
    entry = make_entry("road", "珠江大道", ["珠江大道", "Zhujiang Avenue"], 0, 0)
    assert entry.title("en") == "Zhujiang Avenue" and entry.title("zh_CN") == "珠江大道"


def test_pinyin_initials_find_chinese_names() -> None:
    assert PINYIN_AVAILABLE, "pypinyin is a dependency (pyproject.toml)"
    assert [h.entry.id for h in _index().search("zjdd")["road"]] == ["珠江大道"]


def test_live_units_are_searched_where_they_are_now() -> None:
    store = EntityStore(capacity=4)
    index = SearchIndex(providers=[lambda: unit_entries(store)])
    assert index.search("veh-7") == {}
    one = np.zeros(1, np.uint8)
    store.upsert(["veh-7"], one, np.array([100.0]), np.array([200.0]), [0.0], [0.0], one, 0.0)
    hit = index.search("veh-7")["unit"][0].entry
    assert (hit.x, hit.y) == (100.0, 200.0)


def test_city_entries_centre_each_building_on_its_footprint() -> None:
    model = synthetic_city(9)
    entries = {e.id: e for e in city_entries(model) if e.kind == "building"}
    layer = model.layers["buildings"]
    assert len(entries) == 9
    oid = layer.objects.ids[4]
    pts = layer.points[np.unique(layer.triangles[np.asarray(layer.cell_object) == 4])]
    assert abs(entries[oid].x - pts[:, 0].mean()) < 15 and abs(entries[oid].y - pts[:, 1].mean()) < 15
    assert entries[oid].ref == ("buildings", 4)
