"""The gateway's SQLite store across app versions: stamped, migrated forward, or moved aside whole.

The store holds orders and an append-only audit trail, so a newer app never rewrites what it
cannot read. Every store carries its schema version in SQLite's ``PRAGMA user_version``; on
opening, an older one is brought forward by ``MIGRATIONS`` (version → the step to the next), a
store with no stamp is checked column by column against today's schema (and stamped when it
matches), and one this version cannot read is renamed to ``<name>.old-v<N>`` with its WAL files,
the message saying where, so a new empty store can start. A store from a *newer* app is refused:
moving it would hide the newer app's data from the newer app.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from controlroom.dispatch.db import DbError

#: Bump with every schema change in ``db.py`` and add the step from the previous version here.
SCHEMA_VERSION = 1
#: version N → the function that turns an N store into an N+1 store (inside one transaction).
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {}


class StoreTooNewError(DbError):
    """The store was written by a newer controlroom; this one must not touch it."""


def _columns(conn: sqlite3.Connection) -> dict[str, set[str]]:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {
        t: {r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')}
        for t in tables
        if not t.startswith("sqlite_")
    }


def expected_columns(schema_sql: str) -> dict[str, set[str]]:
    """Today's tables and columns, read back from the schema script itself (no second list to keep)."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(schema_sql)
        return _columns(conn)
    finally:
        conn.close()


def _missing(found: dict[str, set[str]], expected: dict[str, set[str]]) -> list[str]:
    """What an unstamped store lacks; tables it lacks entirely are fine (created on open)."""
    return [
        f"{table}.{column}"
        for table, columns in expected.items()
        if table in found
        for column in sorted(columns - found[table])
    ]


def move_store_aside(path: Path, stamp: str) -> Path:
    """Rename the store and its ``-wal``/``-shm`` companions to ``<name>.old-<stamp>`` (then -2, -3 …)."""
    target = path.with_name(f"{path.name}.old-{stamp}")
    n = 2
    while target.exists():
        target = path.with_name(f"{path.name}.old-{stamp}-{n}")
        n += 1
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.rename(target.with_name(target.name + suffix))
    path.rename(target)
    return target


def upgrade_sqlite_store(path: Path, schema_sql: str) -> str | None:
    """Bring an existing store to ``SCHEMA_VERSION`` before it is opened; a message when anything
    was done (for the operator), None when nothing needed doing or there is no store yet.

    Raises ``StoreTooNewError`` for a store from a newer app.
    """
    if not path.is_file() or path.stat().st_size == 0:
        return None
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout=5000")
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version == SCHEMA_VERSION:
            return None
        if version > SCHEMA_VERSION:
            raise StoreTooNewError(
                f"{path}: written by a newer controlroom (store schema {version}; this version reads "
                f"up to {SCHEMA_VERSION}); expected a store of schema {SCHEMA_VERSION} or older "
                "(fix: run the newer controlroom, or pass --db with a new file to start an empty store)"
            )
        found = _columns(conn)
        if version == 0:
            if not found:
                return None  # an empty file: the schema is created on open
            missing = _missing(found, expected_columns(schema_sql))
            if not missing:
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                return (
                    f"gateway store {path}: had no schema version; its tables match schema "
                    f"{SCHEMA_VERSION}, so it is stamped as such"
                )
            reason = "lacks " + ", ".join(missing[:6]) + (" …" if len(missing) > 6 else "")
        elif all(v in MIGRATIONS for v in range(version, SCHEMA_VERSION)):
            conn.execute("BEGIN IMMEDIATE")
            try:
                for v in range(version, SCHEMA_VERSION):
                    MIGRATIONS[v](conn)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                conn.execute("COMMIT")
            except Exception:
                conn.execute("ROLLBACK")
                raise
            return f"gateway store {path}: migrated from schema {version} to {SCHEMA_VERSION}"
        else:
            reason = f"schema {version} has no migration to {SCHEMA_VERSION}"
    finally:
        conn.close()
    moved = move_store_aside(path, f"v{version}")
    return (
        f"gateway store {path}: written by an older controlroom in a form this version cannot read "
        f"({reason}); moved it to {moved} (its orders and audit trail are kept there) "
        "and started a new, empty store"
    )
