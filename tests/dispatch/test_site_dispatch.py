"""The site's [dispatch] section: users, roles and the department table are validated at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlroom.core.issues import SiteError
from controlroom.core.site import parse_site

HEAD = (
    'schema = 1\n[site]\nname = "s"\ntitle = "S"\ncrs = "EPSG:32649"\n'
    '[[city_model]]\npath = "b.geojson"\ncrs = "EPSG:4326"\n'
)


def _issues(dispatch: str) -> list[str]:
    with pytest.raises(SiteError) as err:
        parse_site(HEAD + dispatch, Path("/sites/s/site.toml"))
    return [f"{i.key}: {i.expected}" for i in err.value.issues]


def test_users_and_departments_parse() -> None:
    site = parse_site(
        HEAD + '[dispatch]\nuser = "ann"\n'
        '[[dispatch.users]]\nname = "ann"\nrole = "supervisor"\npublic_key = "keys/ann.key"\n'
        '[[dispatch.departments]]\nname = "Traffic Police"\n'
        'incident_types = ["illegal_parking"]\nunit_kinds = ["police"]\n',
        Path("/sites/s/site.toml"),
    )
    d = site.dispatch
    assert d.user_named("ann").public_key == Path("/sites/s/keys/ann.key")  # type: ignore[union-attr]
    assert d.department_for("illegal_parking").name == "Traffic Police"  # type: ignore[union-attr]
    assert d.department_for("waterlogging") is None and d.default_department == "City Management"


def test_bad_dispatch_sections_name_the_problem() -> None:
    assert any(
        "role" in i and "operator" in i for i in _issues('[[dispatch.users]]\nname = "a"\nrole = "boss"\n')
    )
    (msg,) = _issues('[[dispatch.departments]]\nname = "X"\nincident_types = ["flood"]\n')
    assert "incident type 'flood'" in msg and "waterlogging" in msg
    (msg,) = _issues(
        '[[dispatch.departments]]\nname = "A"\nincident_types = ["fallen_tree"]\n'
        '[[dispatch.departments]]\nname = "B"\nincident_types = ["fallen_tree"]\n'
    )
    assert "'fallen_tree' is in departments 'A' and 'B'" in msg
    (msg,) = _issues('[dispatch]\nuser = "zed"\n[[dispatch.users]]\nname = "ann"\nrole = "operator"\n')
    assert msg.startswith("dispatch: ") and "dispatch.user 'zed' must be one of dispatch.users (ann)" in msg
    (msg,) = _issues('[[dispatch.departments]]\nname = "A"\nunit_kinds = ["tank"]\n')
    assert "unit kind 'tank'" in msg
