"""One thin connection type over SQLite (stdlib, WAL) and PostgreSQL (psycopg).

The gateway's SQL is written once with ``?`` placeholders; PostgreSQL gets ``%s``. Only the
schema differs (identity columns, the append-only trigger). SQLite runs in WAL mode with
``synchronous=FULL``: a committed order survives a crash of the process *and* of the machine.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_TABLES = """
CREATE TABLE IF NOT EXISTS incidents (
  id TEXT PRIMARY KEY, type TEXT NOT NULL, severity INTEGER NOT NULL,
  lon DOUBLE PRECISION NOT NULL, lat DOUBLE PRECISION NOT NULL, status TEXT NOT NULL,
  text TEXT NOT NULL, camera_ids TEXT NOT NULL, raised_at DOUBLE PRECISION NOT NULL,
  updated_at DOUBLE PRECISION NOT NULL, version INTEGER NOT NULL,
  city TEXT NOT NULL, district TEXT NOT NULL, street TEXT NOT NULL, grid TEXT NOT NULL,
  codes TEXT NOT NULL, department TEXT NOT NULL, source TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS incidents_status ON incidents (status);
CREATE TABLE IF NOT EXISTS units (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,
  incident_id TEXT NOT NULL, lon DOUBLE PRECISION, lat DOUBLE PRECISION,
  updated_at DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS commands (
  id TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, user_name TEXT NOT NULL, desk TEXT NOT NULL,
  kind TEXT NOT NULL, incident_id TEXT NOT NULL, accepted INTEGER NOT NULL, reason TEXT NOT NULL,
  at DOUBLE PRECISION NOT NULL);
"""

_AUDIT = {
    "sqlite": """
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, user_name TEXT NOT NULL,
  role TEXT NOT NULL, desk TEXT NOT NULL, command_id TEXT NOT NULL, kind TEXT NOT NULL,
  incident_id TEXT NOT NULL, unit_id TEXT NOT NULL, accepted INTEGER NOT NULL, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_incident ON audit (incident_id);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
""",
    "postgresql": """
CREATE TABLE IF NOT EXISTS audit (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at DOUBLE PRECISION NOT NULL,
  user_name TEXT NOT NULL, role TEXT NOT NULL, desk TEXT NOT NULL, command_id TEXT NOT NULL,
  kind TEXT NOT NULL, incident_id TEXT NOT NULL, unit_id TEXT NOT NULL, accepted INTEGER NOT NULL,
  detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_incident ON audit (incident_id);
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
  BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END; $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_no_change ON audit;
CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
""",
}

#: Alarm transitions from every desk (``alarm_trail``): append-only like ``audit``.
_ALARM_COLS = """
  at DOUBLE PRECISION NOT NULL, user_name TEXT NOT NULL, role TEXT NOT NULL, desk TEXT NOT NULL,
  command_id TEXT NOT NULL, alarm_id TEXT NOT NULL, alarm_key TEXT NOT NULL, action TEXT NOT NULL,
  who TEXT NOT NULL, comment TEXT NOT NULL, accepted INTEGER NOT NULL, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alarm_trail_key ON alarm_trail (alarm_key);
"""
_ALARM_TRAIL = {
    "sqlite": "CREATE TABLE IF NOT EXISTS alarm_trail (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    + _ALARM_COLS
    + """
CREATE TRIGGER IF NOT EXISTS alarm_trail_no_update BEFORE UPDATE ON alarm_trail
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS alarm_trail_no_delete BEFORE DELETE ON alarm_trail
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
""",
    "postgresql": "CREATE TABLE IF NOT EXISTS alarm_trail ("
    + "seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    + _ALARM_COLS
    + """
DROP TRIGGER IF EXISTS alarm_trail_no_change ON alarm_trail;
CREATE TRIGGER alarm_trail_no_change BEFORE UPDATE OR DELETE ON alarm_trail
  FOR EACH ROW EXECUTE FUNCTION audit_append_only();
""",
}


class DbError(RuntimeError):
    """The store cannot be opened or used; the message names the URL and what to do."""


class Db:
    """A connection with explicit transactions (``begin``/``commit``/``rollback``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = "postgresql" if url.startswith(("postgresql://", "postgres://")) else "sqlite"
        self.upgrade_notice: str | None = None  # what opening did to an older store (db_upgrade)
        self._conn: Any
        if self.dialect == "postgresql":
            try:
                import psycopg
            except ImportError:
                raise DbError(
                    f"{url}: PostgreSQL needs the 'psycopg' package (pip install 'psycopg[binary]')"
                ) from None
            try:
                self._conn = psycopg.connect(url, autocommit=False)
            except psycopg.Error as exc:
                raise DbError(f"{url}: cannot connect to PostgreSQL ({exc})") from None
        else:
            path = Path(url.removeprefix("sqlite:///").removeprefix("sqlite://"))
            path.parent.mkdir(parents=True, exist_ok=True)
            from controlroom.dispatch.db_upgrade import upgrade_sqlite_store

            self.upgrade_notice = upgrade_sqlite_store(path, self.schema_sql())
            try:
                self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=FULL")
                self._conn.execute("PRAGMA busy_timeout=5000")
            except sqlite3.Error as exc:
                raise DbError(f"{path}: cannot open the SQLite store ({exc})") from None
        self._create()

    def schema_sql(self) -> str:
        return _TABLES + _AUDIT[self.dialect] + _ALARM_TRAIL[self.dialect]

    def _create(self) -> None:
        script = self.schema_sql()
        if self.dialect == "sqlite":
            from controlroom.dispatch.db_upgrade import SCHEMA_VERSION

            self._conn.executescript(script + f"PRAGMA user_version = {SCHEMA_VERSION};")
        else:
            with self._conn.cursor() as cur:
                cur.execute(script)
            self._conn.commit()

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgresql" else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; returns the affected row count."""
        cur = self._conn.execute(self._sql(sql), tuple(params))
        return int(cur.rowcount)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cur = self._conn.execute(self._sql(sql), tuple(params))
        return [tuple(r) for r in cur.fetchall()]

    def begin(self) -> None:
        if self.dialect == "sqlite":
            self._conn.execute("BEGIN IMMEDIATE")
        # psycopg opens a transaction on the first statement (autocommit off)

    def commit(self) -> None:
        if self.dialect == "sqlite":
            self._conn.execute("COMMIT")
        else:
            self._conn.commit()

    def rollback(self) -> None:
        if self.dialect == "sqlite":
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        else:
            self._conn.rollback()

    # One request's work inside the batch transaction: undone alone if it fails.
    def savepoint(self) -> None:
        self._conn.execute("SAVEPOINT request")

    def release(self) -> None:
        self._conn.execute("RELEASE SAVEPOINT request")

    def rollback_to_savepoint(self) -> None:
        self._conn.execute("ROLLBACK TO SAVEPOINT request")

    def unavailable(self, exc: BaseException) -> bool:
        """Whether ``exc`` is the store failing (locked, disk, connection), not one request's data."""
        if isinstance(exc, sqlite3.OperationalError):
            return True
        if self.dialect == "postgresql":
            import psycopg

            return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)
        return False

    def close(self) -> None:
        self._conn.close()
