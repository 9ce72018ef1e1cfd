"""A newer app meets an older user's state: the sample data and the gateway store are migrated or
moved aside with a message saying where, never silently overwritten. Real files, real SQLite."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from controlroom.app.sample_site import GENERATOR_VERSION, data_stamp, ensure_sample_site, site_toml
from controlroom.dispatch import db_upgrade
from controlroom.dispatch.db import Db, DbError
from controlroom.dispatch.db_upgrade import SCHEMA_VERSION, upgrade_sqlite_store
from tests.app.gz_site import write_cityjson, write_site
from tests.dispatch.conftest import start_gateway

# ------------------------------------------------------------------ the sample site's data


def test_sample_data_of_another_version_is_moved_aside_with_a_message(tmp_path: Path) -> None:
    folder = tmp_path / "sample-site"
    old = folder / "data"
    old.mkdir(parents=True)
    (old / "VERSION").write_text("0 1234\n", encoding="utf-8")
    (old / "roads.geojson").write_text("my old roads", encoding="utf-8")
    (folder / "site.toml").write_text("# my edits\n" + site_toml(), encoding="utf-8")
    said: list[str] = []

    site = ensure_sample_site(folder, report=said.append)

    assert site == folder / "site.toml" and site.read_text(encoding="utf-8") == site_toml()
    assert data_stamp(old) == GENERATOR_VERSION
    assert (folder / "data.old-0" / "roads.geojson").read_text(encoding="utf-8") == "my old roads"
    assert (folder / "site.toml.old-0").read_text(encoding="utf-8").startswith("# my edits\n")
    assert said == [
        f"sample site: {old} holds sample data version 0; this controlroom makes version "
        f"{GENERATOR_VERSION}. Moved the old data to {folder / 'data.old-0'}; generating version "
        f"{GENERATOR_VERSION} now.",
        f"sample site: {site} differs from the one this controlroom writes; kept it as "
        f"{folder / 'site.toml.old-0'} (copy your changes over if you need them).",
    ]
    assert not list(folder.glob(".data.partial-*"))
    # the next start finds its own version: nothing moved, nothing said
    assert ensure_sample_site(folder, report=said.append) == site and len(said) == 2


def test_unstamped_data_is_named_as_such(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    assert data_stamp(tmp_path / "data") is None
    (tmp_path / "data" / "roads.geojson").write_text("{}", encoding="utf-8")
    assert data_stamp(tmp_path / "data") == "unstamped"


# ------------------------------------------------------------------ the gateway store

OLD_INCIDENTS = """CREATE TABLE incidents (
  id TEXT PRIMARY KEY, type TEXT NOT NULL, severity INTEGER NOT NULL, lon REAL NOT NULL,
  lat REAL NOT NULL, status TEXT NOT NULL, text TEXT NOT NULL, raised_at REAL NOT NULL);
INSERT INTO incidents VALUES ('inc-1', 'fire', 3, 113.3, 23.1, 'open', 'kept', 1.0);"""


def _user_version(path: Path) -> int:
    conn = sqlite3.connect(str(path))
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def _old_store(path: Path) -> None:
    conn = sqlite3.connect(str(path))
    conn.executescript(OLD_INCIDENTS)
    conn.close()


def test_a_new_store_carries_the_schema_version(tmp_path: Path) -> None:
    db = Db(str(tmp_path / "g.sqlite"))
    db.close()
    assert db.upgrade_notice is None and _user_version(tmp_path / "g.sqlite") == SCHEMA_VERSION


def test_an_unstamped_store_of_todays_form_is_stamped_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite"
    db = Db(str(path))
    db.execute("INSERT INTO units VALUES ('u1', 'police', 'P1', 'free', '', NULL, NULL, 1.0)")
    db.execute("PRAGMA user_version = 0")  # as every store written before the stamp existed
    db.close()
    again = Db(str(path))
    assert again.upgrade_notice == (
        f"gateway store {path}: had no schema version; its tables match schema {SCHEMA_VERSION}, "
        "so it is stamped as such"
    )
    assert again.query("SELECT id FROM units") == [("u1",)]
    again.close()
    assert _user_version(path) == SCHEMA_VERSION


def test_an_old_store_this_version_cannot_read_is_moved_aside_whole(tmp_path: Path) -> None:
    path = tmp_path / "dispatch-gateway.sqlite"
    _old_store(path)
    db = Db(str(path))
    moved = tmp_path / "dispatch-gateway.sqlite.old-v0"
    assert db.upgrade_notice is not None
    assert db.upgrade_notice.startswith(
        f"gateway store {path}: written by an older controlroom in a form this version cannot read "
        "(lacks incidents.camera_ids, incidents.city, incidents.codes"
    )
    assert db.upgrade_notice.endswith(
        f"moved it to {moved} (its orders and audit trail are kept there) and started a new, empty store"
    )
    assert db.query("SELECT COUNT(*) FROM incidents") == [(0,)]
    db.close()
    old = sqlite3.connect(str(moved))
    assert old.execute("SELECT text FROM incidents").fetchall() == [("kept",)]
    old.close()


def test_a_store_from_a_newer_app_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "g.sqlite"
    Db(str(path)).close()
    conn = sqlite3.connect(str(path))
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(
        DbError, match=r"written by a newer controlroom \(store schema 99; this version reads up to"
    ):
        Db(str(path))
    assert _user_version(path) == 99 and not list(tmp_path.glob("*.old-*"))


def test_a_stamped_older_store_is_migrated_step_by_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runner a future schema change will use: version N → N+1 in one transaction, data kept."""
    path = tmp_path / "g.sqlite"
    db = Db(str(path))
    db.execute("INSERT INTO units VALUES ('u1', 'police', 'P1', 'free', '', NULL, NULL, 1.0)")
    schema = db.schema_sql()
    db.close()
    monkeypatch.setattr(db_upgrade, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(
        db_upgrade.MIGRATIONS,
        SCHEMA_VERSION,
        lambda conn: conn.execute("ALTER TABLE units ADD COLUMN callsign TEXT NOT NULL DEFAULT ''"),
    )
    notice = upgrade_sqlite_store(path, schema)
    assert notice == f"gateway store {path}: migrated from schema {SCHEMA_VERSION} to {SCHEMA_VERSION + 1}"
    conn = sqlite3.connect(str(path))
    assert conn.execute("SELECT id, callsign FROM units").fetchall() == [("u1", "")]
    conn.close()
    assert _user_version(path) == SCHEMA_VERSION + 1


def test_the_gateway_command_says_what_it_did_with_an_old_store(tmp_path: Path) -> None:
    site = write_site(tmp_path, write_cityjson(tmp_path, 32649), "[dispatch]\ninsecure = true\n")
    store = tmp_path / "dispatch-gateway.sqlite"
    _old_store(store)
    gateway = start_gateway(site, store)
    try:
        log = gateway.log()  # the notice is printed before the ready line
    finally:
        assert gateway.stop() == 0
    moved = tmp_path / "dispatch-gateway.sqlite.old-v0"
    assert f"gateway store {store}: written by an older controlroom" in log
    assert f"moved it to {moved}" in log and moved.is_file()
    assert _user_version(store) == SCHEMA_VERSION
