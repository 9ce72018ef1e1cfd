"""CityJSON Sequences (.city.jsonl, as 3DBAG delivers large areas): read line by line, same city."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from controlroom.geo.cityjson import read_cityjson


@pytest.fixture(scope="module")
def denhaag_jsonl(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DenHaag exported by cjio (an independent writer) as a CityJSON Sequence."""
    out = tmp_path_factory.mktemp("seq") / "denhaag.city.jsonl"
    cjio = Path(sys.executable).with_name("cjio")
    if not cjio.is_file():
        pytest.skip("cjio not installed (pip install cjio)")
    src = shared_data / "cityjson" / "DenHaag_01.city.json"
    command = [str(cjio), str(src), "export", "jsonl", str(out)]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    return out


def test_a_sequence_reads_as_the_same_city(shared_data: Path, denhaag_jsonl: Path) -> None:
    whole = read_cityjson(shared_data / "cityjson" / "DenHaag_01.city.json")
    seq = read_cityjson(denhaag_jsonl)
    assert len(denhaag_jsonl.read_text().splitlines()) > 100  # really one feature per line
    assert seq.object_counts() == whole.object_counts()
    a, _ = whole.to_layers(None)
    b, issues = seq.to_layers(None)
    assert {k: v.n_triangles for k, v in b.items()} == {k: v.n_triangles for k, v in a.items()}
    assert sorted(b["buildings"].objects.ids) == sorted(a["buildings"].objects.ids)
    assert not [i for i in issues if "line" in str(i.object_id)]


def test_a_bad_line_costs_only_its_feature(denhaag_jsonl: Path, tmp_path: Path) -> None:
    lines = denhaag_jsonl.read_text().splitlines()
    lines[3] = lines[3][: len(lines[3]) // 2]  # truncated mid-feature
    lines.insert(5, json.dumps({"type": "Feature", "CityObjects": {}}))
    broken = tmp_path / "broken.city.jsonl"
    broken.write_text("\n".join(lines) + "\n")
    good = read_cityjson(denhaag_jsonl)
    f = read_cityjson(broken)
    named = {i.object_id: i.problem for i in f.issues}
    assert "line 4" in named and "not a CityJSONFeature" in named["line 4"]
    assert "line 6" in named and "not CityJSONFeature" in named["line 6"]
    assert 0 < sum(good.object_counts().values()) - sum(f.object_counts().values()) < 20


def _with_instances(path: Path, template_index: int = 0) -> Path:
    """Two trees placed from one template (a 4-face pyramid, in metres around its base)."""
    pyramid = [[[0, 1, 2]], [[0, 2, 3]], [[1, 3, 2]], [[0, 3, 1]]]
    doc = {
        "type": "CityJSON",
        "version": "2.0",
        "transform": {"scale": [0.001, 0.001, 0.001], "translate": [85000.0, 446000.0, 0.0]},
        "metadata": {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/7415"},
        "geometry-templates": {
            "templates": [{"type": "MultiSurface", "lod": "2", "boundaries": pyramid}],
            "vertices-templates": [[-1, -1, 0], [1, -1, 0], [0, 1, 0], [0, 0, 4]],
        },
        "CityObjects": {
            f"tree{k}": {
                "type": "SolitaryVegetationObject",
                "geometry": [
                    {
                        "type": "GeometryInstance",
                        "template": template_index,
                        "boundaries": [k],
                        "transformationMatrix": [s, 0, 0, 0, 0, s, 0, 0, 0, 0, s, 0, 0, 0, 0, 1],
                    }
                ],
            }
            for k, s in ((0, 1.0), (1, 2.0))
        },
        "vertices": [[0, 0, 0], [10000, 0, 1000]],
    }
    path.write_text(json.dumps(doc))
    return path


def test_geometry_templates_are_drawn_where_each_instance_stands(tmp_path: Path) -> None:
    f = read_cityjson(_with_instances(tmp_path / "trees.city.json"))
    layers, issues = f.to_layers(None)
    assert not issues
    (layer,) = layers.values()
    assert layer.n_triangles == 8 and len(layer.objects) == 2
    second = layer.points[np.unique(layer.triangles[layer.cell_object == 1])]
    top = second[np.argmax(second[:, 2])]  # to_layers(None): the file's own coordinates
    assert top == pytest.approx([85010.0, 446000.0, 1.0 + 8.0])  # scaled ×2 on its reference point


def test_a_bad_template_reference_is_named(tmp_path: Path) -> None:
    f = read_cityjson(_with_instances(tmp_path / "bad.city.json", template_index=5))
    assert {i.object_id for i in f.issues} == {"tree0", "tree1"}
    assert all("GeometryInstance unusable" in i.problem for i in f.issues)
