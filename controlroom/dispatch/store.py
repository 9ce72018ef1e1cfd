"""The gateway's store: incidents, units, the answer to every command, and the audit trail.

``execute`` applies one command inside the caller's transaction: it first looks the command id
up (a retry gets the stored answer, nothing is applied twice), loads what the command touches,
asks the state machine (``core.dispatch_model.decide``), writes the changed rows, the answer and
an audit entry. Refused commands are audited too (who tried what, and why it was refused):
the state machine's refusals here, and through ``audit_refusal`` every request the gateway
refuses before that (a key that belongs to no user, a reused command id, a malformed frame).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from controlroom.core.dispatch_model import (
    OPEN_STATUSES_SQL,
    Actor,
    Command,
    Decision,
    IncidentRow,
    UnitRow,
    decide,
)
from controlroom.dispatch.db import Db

_INC_COLS = (
    "id, type, severity, lon, lat, status, text, camera_ids, raised_at, updated_at, version, "
    "city, district, street, grid, codes, department, source"
)
_UNIT_COLS = "id, kind, name, status, incident_id, lon, lat, updated_at"

#: Fills in routing (admin chain, department) on a freshly created incident.
Enrich = Callable[[IncidentRow], IncidentRow]


@dataclass
class Outcome:
    """The answer to one command, and what changed (for the publisher)."""

    command_id: str
    accepted: bool
    reason: str
    incident: IncidentRow | None = None
    units: tuple[UnitRow, ...] = ()
    also: IncidentRow | None = None  # another incident that changed (a unit taken from it)
    duplicate: bool = False
    audit: dict[str, Any] | None = None
    alarm: dict[str, Any] | None = None  # an alarm transition every desk applies (``alarm_trail``)


_AUDIT_INSERT = (
    "INSERT INTO audit (at, user_name, role, desk, command_id, kind, incident_id, unit_id, accepted, "
    "detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def audit_refusal(
    db: Db,
    reason: str,
    *,
    user: str,
    role: str = "",
    desk: str = "",
    command_id: str = "",
    kind: str = "",
    incident_id: str = "",
    unit_id: str = "",
    now: float | None = None,
    **detail: Any,
) -> None:
    """One audit row for a request refused before (or instead of) the state machine."""
    now = time.time() if now is None else now
    row = {**detail, "refused": reason}
    db.execute(
        _AUDIT_INSERT,
        (
            now,
            user,
            role,
            desk,
            command_id,
            kind,
            incident_id,
            unit_id,
            0,
            json.dumps(row, ensure_ascii=False),
        ),
    )


def replayed(db: Db, cmd: Command, actor: Actor) -> Outcome | None:
    """The answer already given to this command id (a retry), or None for a new command.

    Orders are idempotent by id: a retry gets the stored answer; the same id reused for a
    different order (another fingerprint) is refused, and that refusal is audited.
    """
    done = db.query("SELECT fingerprint, accepted, reason FROM commands WHERE id = ?", (cmd.id,))
    if not done:
        return None
    fingerprint, accepted, reason = done[0]
    if fingerprint != cmd.fingerprint():
        why = f"command id {cmd.id} was already used for a different order"
        audit_refusal(
            db, why, user=actor.user, role=actor.role, desk=actor.desk, command_id=cmd.id, kind=cmd.kind,
            incident_id=cmd.incident_id, unit_id=cmd.unit_id,
        )  # fmt: skip
        return Outcome(cmd.id, False, why)
    return Outcome(cmd.id, bool(accepted), reason, duplicate=True)


def _incident(r: tuple[Any, ...]) -> IncidentRow:
    return IncidentRow(
        r[0], r[1], int(r[2]), float(r[3]), float(r[4]), r[5], r[6], tuple(json.loads(r[7])),
        float(r[8]), float(r[9]), int(r[10]), r[11], r[12], r[13], r[14], json.loads(r[15]), r[16], r[17],
    )  # fmt: skip


def _unit(r: tuple[Any, ...]) -> UnitRow:
    nan = float("nan")
    return UnitRow(
        r[0], r[1], r[2], r[3], r[4], nan if r[5] is None else float(r[5]),
        nan if r[6] is None else float(r[6]), float(r[7]),
    )  # fmt: skip


class Store:
    def __init__(self, url: str) -> None:
        self.db = Db(url)

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------- reads
    def incident(self, incident_id: str) -> IncidentRow | None:
        rows = self.db.query(f"SELECT {_INC_COLS} FROM incidents WHERE id = ?", (incident_id,))
        return _incident(rows[0]) if rows else None

    def incidents(self, open_only: bool = True) -> list[IncidentRow]:
        where = f"WHERE {OPEN_STATUSES_SQL}" if open_only else ""
        return [_incident(r) for r in self.db.query(f"SELECT {_INC_COLS} FROM incidents {where}")]

    def unit(self, unit_id: str) -> UnitRow | None:
        rows = self.db.query(f"SELECT {_UNIT_COLS} FROM units WHERE id = ?", (unit_id,))
        return _unit(rows[0]) if rows else None

    def units(self) -> list[UnitRow]:
        return [_unit(r) for r in self.db.query(f"SELECT {_UNIT_COLS} FROM units ORDER BY id")]

    def units_on(self, incident_id: str) -> list[UnitRow]:
        rows = self.db.query(
            f"SELECT {_UNIT_COLS} FROM units WHERE incident_id = ? ORDER BY id", (incident_id,)
        )
        return [_unit(r) for r in rows]

    def timeline(self, incident_id: str) -> list[dict[str, Any]]:
        """The accepted actions on an incident, oldest first (what the detail view shows)."""
        rows = self.db.query(
            "SELECT seq, at, user_name, role, desk, kind, unit_id, detail FROM audit "
            "WHERE incident_id = ? AND accepted = 1 ORDER BY seq",
            (incident_id,),
        )
        keys = ("seq", "at", "user", "role", "desk", "kind", "unit_id", "detail")
        return [dict(zip(keys, r[:7], strict=False)) | {"detail": json.loads(r[7])} for r in rows]

    def audit(self, since_seq: int = 0, limit: int = 10_000) -> list[dict[str, Any]]:
        rows = self.db.query(
            "SELECT seq, at, user_name, role, desk, command_id, kind, incident_id, unit_id, accepted, detail "
            "FROM audit WHERE seq > ? ORDER BY seq LIMIT ?",
            (since_seq, limit),
        )
        keys = (
            "seq",
            "at",
            "user",
            "role",
            "desk",
            "command_id",
            "kind",
            "incident_id",
            "unit_id",
            "accepted",
        )
        return [dict(zip(keys, r[:10], strict=True)) | {"detail": json.loads(r[10])} for r in rows]

    def known(self, *command_ids: str) -> bool:
        """Whether any of these command ids has been answered (and stored) before."""
        marks = ", ".join("?" * len(command_ids))
        return bool(self.db.query(f"SELECT 1 FROM commands WHERE id IN ({marks}) LIMIT 1", command_ids))

    def counts(self) -> dict[str, int]:
        out = {}
        for table in ("incidents", "units", "commands", "audit"):
            out[table] = int(self.db.query(f"SELECT COUNT(*) FROM {table}")[0][0])
        return out

    # ------------------------------------------------------------- writes (in the caller's transaction)
    def register_units(self, units: Iterable[UnitRow]) -> int:
        """Add registry units not yet known (their dispatch state is never reset by a restart)."""
        n = 0
        for u in units:
            if not self.db.query("SELECT 1 FROM units WHERE id = ?", (u.id,)):
                self._write_unit(u, insert=True)
                n += 1
        return n

    def execute(
        self, cmd: Command, actor: Actor, enrich: Enrich | None = None, now: float | None = None
    ) -> Outcome:
        now = time.time() if now is None else now
        earlier = replayed(self.db, cmd, actor)
        if earlier is not None:
            if earlier.duplicate and cmd.incident_id:
                earlier.incident = self.incident(cmd.incident_id)
            return earlier
        fingerprint = cmd.fingerprint()
        decision, cmd = self._decide(cmd, actor, now)
        if decision.accepted and cmd.kind == "create" and decision.incident is not None and enrich:
            decision.incident = enrich(decision.incident)
        return self._record(cmd, fingerprint, actor, now, decision)

    def _decide(self, cmd: Command, actor: Actor, now: float) -> tuple[Decision, Command]:
        unit = self.unit(cmd.unit_id) if cmd.unit_id else None
        if cmd.kind == "unit_status" and not cmd.incident_id and unit is not None and unit.incident_id:
            cmd = replace_command(cmd, incident_id=unit.incident_id)
        incident = self.incident(cmd.incident_id) if cmd.incident_id else None
        assigned = self.units_on(incident.id) if incident is not None else []
        holder = self.incident(unit.incident_id) if unit is not None and unit.incident_id else None
        return decide(cmd, actor, now, incident, unit, assigned, holder), cmd

    def _record(self, cmd: Command, fingerprint: str, actor: Actor, now: float, d: Decision) -> Outcome:
        db = self.db
        if d.accepted:
            if d.incident is not None:
                self._write_incident(d.incident, insert=cmd.kind == "create")
            for u in d.units:
                self._write_unit(u)
            if d.released_from is not None:
                released = replace(d.released_from, updated_at=now, version=d.released_from.version + 1)
                self._write_incident(released)
                d.released_from = released
        db.execute(
            "INSERT INTO commands (id, fingerprint, user_name, desk, kind, incident_id, accepted, reason, "
            "at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                cmd.id,
                fingerprint,
                actor.user,
                actor.desk,
                cmd.kind,
                cmd.incident_id,
                int(d.accepted),
                d.reason,
                now,
            ),
        )
        detail = dict(d.detail)
        if not d.accepted:
            detail["refused"] = d.reason
        audit = {
            "at": now, "user": actor.user, "role": actor.role, "desk": actor.desk, "command_id": cmd.id,
            "kind": cmd.kind, "incident_id": cmd.incident_id, "unit_id": cmd.unit_id,
            "accepted": int(d.accepted), "detail": detail,
        }  # fmt: skip
        db.execute(
            _AUDIT_INSERT,
            (now, actor.user, actor.role, actor.desk, cmd.id, cmd.kind, cmd.incident_id, cmd.unit_id,
             int(d.accepted), json.dumps(detail, ensure_ascii=False)),
        )  # fmt: skip
        return Outcome(cmd.id, d.accepted, d.reason, d.incident, tuple(d.units), d.released_from, audit=audit)

    def _write_incident(self, r: IncidentRow, insert: bool = False) -> None:
        values = (
            r.type, r.severity, r.lon, r.lat, r.status, r.text, json.dumps(list(r.camera_ids)), r.raised_at,
            r.updated_at, r.version, r.city, r.district, r.street, r.grid,
            json.dumps(r.codes, ensure_ascii=False), r.department, r.source,
        )  # fmt: skip
        if insert:
            self.db.execute(
                f"INSERT INTO incidents ({_INC_COLS}) VALUES ({', '.join('?' * 18)})", (r.id, *values)
            )
        else:
            cols = [c.strip() for c in _INC_COLS.split(",")][1:]
            self.db.execute(
                f"UPDATE incidents SET {', '.join(c + ' = ?' for c in cols)} WHERE id = ?", (*values, r.id)
            )

    def _write_unit(self, u: UnitRow, insert: bool = False) -> None:
        lon = None if u.lon != u.lon else u.lon
        lat = None if u.lat != u.lat else u.lat
        if insert:
            self.db.execute(
                f"INSERT INTO units ({_UNIT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (u.id, u.kind, u.name, u.status, u.incident_id, lon, lat, u.updated_at),
            )
        else:
            self.db.execute(
                "UPDATE units SET status = ?, incident_id = ?, updated_at = ? WHERE id = ?",
                (u.status, u.incident_id, u.updated_at, u.id),
            )


def replace_command(cmd: Command, **changes: Any) -> Command:
    import msgspec

    return msgspec.structs.replace(cmd, **changes)
