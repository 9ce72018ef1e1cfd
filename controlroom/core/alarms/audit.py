"""The alarm audit trail: every transition (who, when, from → to, comment) in a durable store.

``AuditSink`` is the seam: locally the trail is a SQLite file (``SqliteAuditSink``); a desk
connected to the dispatch gateway would hand the same entries to the gateway (which stores them
and republishes them so all desks agree) through a sink with the same two methods.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class AuditEntry:
    """One transition of one alarm. ``detail`` holds extras (owner, snooze until, new priority)."""

    alarm_id: str
    t: float
    action: str  # raised, predicted, confirmed, withdrawn, acknowledged, in_progress, cleared, closed, ...
    who: str
    from_state: str
    to_state: str
    comment: str = ""
    detail: dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class AuditSink(Protocol):
    def record(self, entry: AuditEntry) -> None:
        """Store one entry durably (or hand it to whoever does) before returning."""

    def entries(self, alarm_id: str | None = None) -> list[AuditEntry]:
        """Entries in the order recorded, for one alarm or all."""
        ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS alarm_audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    alarm_id TEXT NOT NULL,
    t REAL NOT NULL,
    action TEXT NOT NULL,
    who TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS alarm_audit_alarm ON alarm_audit (alarm_id, seq);
"""


class SqliteAuditSink:
    """A local SQLite file (WAL, one connection, used from the thread that made it)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def record(self, entry: AuditEntry) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO alarm_audit (alarm_id, t, action, who, from_state, to_state, comment, detail)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.alarm_id,
                    entry.t,
                    entry.action,
                    entry.who,
                    entry.from_state,
                    entry.to_state,
                    entry.comment,
                    json.dumps(entry.detail, ensure_ascii=False, default=str),
                ),
            )

    def entries(self, alarm_id: str | None = None) -> list[AuditEntry]:
        sql = "SELECT alarm_id, t, action, who, from_state, to_state, comment, detail FROM alarm_audit"
        args: tuple[str, ...] = ()
        if alarm_id is not None:
            sql += " WHERE alarm_id = ?"
            args = (alarm_id,)
        rows = self._db.execute(sql + " ORDER BY seq", args).fetchall()
        return [AuditEntry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7])) for r in rows]

    def close(self) -> None:
        self._db.close()
