"""The desk's durable outbox: an order is on disk before it is sent, and stays until answered.

An operator's click must survive the desk's app crashing, the network dropping, or the gateway
restarting. So ``add`` commits the order to a local SQLite file (WAL, synchronous=FULL) first;
the client thread sends it and resends it until the gateway answers, and the answer
(acknowledged or refused, with the reason) is stored with it. After a restart every order still
``pending`` is sent again; the gateway knows the command id and answers without applying twice.

Orders go out strictly in outbox sequence (``pending_from``): the client never lets an order
overtake an earlier unanswered one, because the state machine would refuse it for good (a
``close`` arriving before its ``resolve``). A refused order stays on the desk with its reason
until the operator retries it (a copy with a fresh command id joins the end of the queue, since
the gateway answers a known id from its store) or drops it.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import msgspec

from controlroom.core.dispatch_model import Command

PENDING, ACKNOWLEDGED, REFUSED = "pending", "acknowledged", "refused"
#: A refused order the operator dealt with: sent again as a new order, or let go.
RETRIED, DROPPED = "retried", "dropped"
STATES = (PENDING, ACKNOWLEDGED, REFUSED, RETRIED, DROPPED)


@dataclass(frozen=True)
class OrderEntry:
    command_id: str
    kind: str
    incident_id: str
    unit_id: str
    state: str
    reason: str
    created_at: float
    attempts: int
    answered_at: float | None

    @property
    def latency_s(self) -> float | None:
        return None if self.answered_at is None else self.answered_at - self.created_at


_COLS = "command_id, kind, incident_id, unit_id, state, reason, created_at, attempts, answered_at"
_INSERT = (
    "INSERT OR IGNORE INTO outbox (command_id, kind, incident_id, unit_id, payload, state, reason, "
    "created_at, attempts, last_sent_at) VALUES (?, ?, ?, ?, ?, ?, '', ?, 0, 0)"
)
_LEAVE = "UPDATE outbox SET state = ? WHERE command_id = ? AND state = ?"
_enc = msgspec.msgpack.Encoder()
_dec = msgspec.msgpack.Decoder(Command)


class Outbox:
    """Thread-safe (one connection, one lock): the GUI thread adds, the client thread sends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._closed = False
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=5000")  # another app instance on this desk may write too
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS outbox (
              seq INTEGER PRIMARY KEY AUTOINCREMENT, command_id TEXT UNIQUE NOT NULL,
              kind TEXT NOT NULL, incident_id TEXT NOT NULL, unit_id TEXT NOT NULL,
              payload BLOB NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL,
              created_at REAL NOT NULL, attempts INTEGER NOT NULL, last_sent_at REAL NOT NULL,
              answered_at REAL);
            CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state);
            CREATE INDEX IF NOT EXISTS outbox_state_seq ON outbox (state, seq);
            """
        )

    def add(self, cmd: Command, now: float | None = None) -> OrderEntry:
        """Store a new order (committed to disk when this returns); adding the same id twice is a no-op."""
        now = time.time() if now is None else now
        with self._lock:
            self._db.execute(
                _INSERT,
                (cmd.id, cmd.kind, cmd.incident_id, cmd.unit_id, _enc.encode(cmd), PENDING, now),
            )
        entry = self.get(cmd.id)
        assert entry is not None
        return entry

    def add_many(self, cmds: list[Command], now: float | None = None) -> None:
        """Many orders in one commit (bulk import, benchmarks)."""
        now = time.time() if now is None else now
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                _INSERT,
                [(c.id, c.kind, c.incident_id, c.unit_id, _enc.encode(c), PENDING, now) for c in cmds],
            )
            self._db.execute("COMMIT")

    def get(self, command_id: str) -> OrderEntry | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_COLS} FROM outbox WHERE command_id = ?", (command_id,)
            ).fetchone()
        return OrderEntry(*row) if row else None

    def entries(self, state: str | None = None, limit: int = 1_000_000) -> list[OrderEntry]:
        with self._lock:
            if state is None:
                rows = self._db.execute(f"SELECT {_COLS} FROM outbox ORDER BY seq DESC LIMIT ?", (limit,))
            else:
                rows = self._db.execute(
                    f"SELECT {_COLS} FROM outbox WHERE state = ? ORDER BY seq DESC LIMIT ?", (state, limit)
                )
            return [OrderEntry(*r) for r in rows.fetchall()]

    def pending_from(self, after_seq: int, limit: int = 500) -> list[tuple[int, str, Command]]:
        """Pending orders after outbox position ``after_seq`` (0: from the oldest), in sequence."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, command_id, payload FROM outbox WHERE state = ? AND seq > ? "
                "ORDER BY seq LIMIT ?",
                (PENDING, after_seq, limit),
            ).fetchall()
        return [(int(seq), cid, _dec.decode(payload)) for seq, cid, payload in rows]

    def command(self, command_id: str) -> Command | None:
        with self._lock:
            row = self._db.execute(
                "SELECT payload FROM outbox WHERE command_id = ?", (command_id,)
            ).fetchone()
        return _dec.decode(row[0]) if row else None

    def retry(self, command_id: str, new_id: str, now: float | None = None) -> OrderEntry:
        """Send a refused order again as a new order ``new_id`` (same content), at the end of the
        queue; the refused entry becomes ``retried``. Raises ``ValueError`` unless it is refused."""
        cmd = self._refused(command_id)
        copy = msgspec.structs.replace(cmd, id=new_id)
        now = time.time() if now is None else now
        with self._lock:
            self._db.execute("BEGIN")
            if not self._db.execute(_LEAVE, (RETRIED, command_id, REFUSED)).rowcount:
                self._db.execute("ROLLBACK")
                raise ValueError(f"order {command_id} was already retried or dropped")
            self._db.execute(
                _INSERT,
                (copy.id, copy.kind, copy.incident_id, copy.unit_id, _enc.encode(copy), PENDING, now),
            )
            self._db.execute("COMMIT")
        entry = self.get(new_id)
        assert entry is not None
        return entry

    def drop(self, command_id: str) -> OrderEntry:
        """The operator lets a refused order go (it stays in the history as ``dropped``)."""
        self._refused(command_id)
        with self._lock:
            if not self._db.execute(_LEAVE, (DROPPED, command_id, REFUSED)).rowcount:
                raise ValueError(f"order {command_id} was already retried or dropped")
        entry = self.get(command_id)
        assert entry is not None
        return entry

    def _refused(self, command_id: str) -> Command:
        entry = self.get(command_id)
        if entry is None:
            raise ValueError(f"no order {command_id} in the outbox {self.path}")
        if entry.state != REFUSED:
            raise ValueError(
                f"order {command_id} is {entry.state}; only a refused order can be retried or dropped"
            )
        cmd = self.command(command_id)
        assert cmd is not None
        return cmd

    def mark_sent(self, command_ids: list[str], now: float) -> None:
        if not command_ids:
            return
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany(
                "UPDATE outbox SET attempts = attempts + 1, last_sent_at = ? WHERE command_id = ?",
                [(now, c) for c in command_ids],
            )
            self._db.execute("COMMIT")

    def answer(self, answers: list[tuple[str, bool, str]], now: float) -> list[OrderEntry]:
        """Record gateway answers (id, accepted, reason); returns the entries that changed state."""
        changed: list[str] = []
        with self._lock:
            self._db.execute("BEGIN")
            for cid, ok, reason in answers:
                n = self._db.execute(
                    "UPDATE outbox SET state = ?, reason = ?, answered_at = ? "
                    "WHERE command_id = ? AND state = ?",
                    (ACKNOWLEDGED if ok else REFUSED, reason, now, cid, PENDING),
                ).rowcount
                if n:
                    changed.append(cid)
            self._db.execute("COMMIT")
        return [e for e in (self.get(c) for c in changed) if e is not None]

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall()
        out = dict.fromkeys(STATES, 0)
        out.update({s: int(n) for s, n in rows})
        return out

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._db.close()
