"""Bad rule files give precise errors: file, key, what was found, what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlroom.core.alarms.rules import load_rules, parse_rules
from controlroom.core.issues import SiteError
from controlroom.core.shipped import shipped_path


def _issues(text: str) -> list[tuple[str, str, str]]:
    with pytest.raises(SiteError) as err:
        parse_rules(text, Path("/site/alarms.toml"))
    return [(i.key, i.found, i.expected) for i in err.value.issues]


def test_every_bad_key_is_reported_at_once() -> None:
    issues = _issues(
        """schema = 1
[[rule]]
id = "river"
kind = "threshold"
title = "River"
sensor_kind = "river_level"
above = "high"
priority = "urgent"

[[rule]]
id = "zone"
kind = "geofence"
title = "No-go"
entity_kinds = ["truck"]
zone = "nowhere"
colour = "red"
"""
    )
    keys = {k for k, _, _ in issues}
    river, zone = 'rule[0] (id "river")', 'rule[1] (id "zone")'  # installers know rules by id
    assert {f"{river}.above", f"{river}.priority", f"{zone}.entity_kinds", f"{zone}.colour"} <= keys
    found = dict((k, (f, e)) for k, f, e in issues)
    assert found[f"{river}.above"][0] == "'high'"
    assert "'critical', 'high', 'medium' or 'low'" in found[f"{river}.priority"][1]
    assert "unknown: ['truck']" in found[f"{zone}.entity_kinds"][1]
    assert "no such key" in found[f"{zone}.colour"][1]


def test_rule_kind_specific_requirements_name_the_rule() -> None:
    (issue,) = _issues('schema = 1\n[[rule]]\nid = "a"\nkind = "threshold"\ntitle = "A"\nmetric = "aqi"\n')
    assert issue[0] == 'rule[0] (id "a")' and "exactly one of 'above' or 'below'" in issue[2]
    (issue,) = _issues(
        'schema = 1\n[[rule]]\nid = "a"\nkind = "rate"\ntitle = "A"\nmetric = "aqi"\nabove = 1\n'
        "forecast_horizon_s = 60\n"
    )
    assert "threshold rules only" in issue[2]


def test_undefined_zone_duplicate_ids_and_bad_templates() -> None:
    issues = _issues(
        """schema = 1
[[rule]]
id = "a"
kind = "geofence"
title = "A"
zone = "nowhere"
[[rule]]
id = "a"
kind = "incident"
title = "B"
message = "{subject} {speed}"
"""
    )
    assert len(issues) == 1 and "unknown field(s) ['speed']" in issues[0][2]  # fields first
    issues = _issues(
        """schema = 1
[[rule]]
id = "a"
kind = "geofence"
title = "A"
zone = "nowhere"
[[rule]]
id = "a"
kind = "incident"
title = "B"
"""
    )
    assert issues == [
        ("rule[0].zone", "'nowhere'", "a [[zone]] name (none defined)"),
        ("rule[1].id", "'a'", "an id no other rule uses"),
    ]


def test_syntax_schema_and_missing_file(tmp_path: Path) -> None:
    assert _issues("schema = 1\n[[rule]\n")[0][0] == "(syntax)"
    assert _issues("[[rule]]\n")[0][:2] == ("schema", "None")
    with pytest.raises(SiteError, match="no such file"):
        load_rules(tmp_path / "missing.toml")


def test_the_sample_site_rules_are_valid() -> None:
    rules = load_rules(shipped_path("sample-site", "alarms.toml"))
    assert {r.kind for r in rules.rule} == {"threshold", "rate", "geofence", "silence", "incident"}


def test_texts_per_language_fall_back_and_bad_ones_name_rule_and_field() -> None:
    rules = parse_rules(
        """schema = 1
[[rule]]
id = "river"
kind = "incident"
title = { en = "River high", zh_CN = "河道水位高" }
message = { en = "{subject} at {value:.1f} m", zh_CN = "{subject} 水位 {value:.1f} m" }
procedure = { en = "Call the duty officer." }
""",
        Path("/site/alarms.toml"),
    )
    rule = rules.rule[0]
    assert (rule.title_in("zh_CN"), rule.title_in("en")) == ("河道水位高", "River high")
    assert rule.procedure_in("zh_CN") == "Call the duty officer."  # no Chinese given: English
    issues = _issues(
        """schema = 1
[[rule]]
id = "river"
kind = "incident"
title = { en = "River high", fr = "Rivière haute" }
message = { en = "{subject}", zh_CN = "{subject} {depth}" }
procedure = { zh_CN = "" }
"""
    )
    found = {k: (f, e) for k, f, e in issues}
    assert "found key(s) fr" in found['rule[0] (id "river").title'][1]
    assert found['rule[0] (id "river").message'][1].startswith("zh_CN: a message template")
    assert "unknown field(s) ['depth']" in found['rule[0] (id "river").message'][1]
    assert "each a non-empty string" in found['rule[0] (id "river").procedure'][1]
