"""Alarm transitions at the gateway: checked, stored once in ``alarm_trail``, then published.

Every desk evaluates the alarm rules on the same feed, so each desk's book raises, clears and
escalates the same conditions by itself; those *system* transitions are reported here only for
the record (one row per desk that saw them). What people do — acknowledge, start work, snooze,
close, set an owner — is decided here: the gateway checks the role (a leader only watches),
stores the transition with the command id (a retry is answered from the store, never applied
twice) and publishes it, and every desk applies it to its book in the gateway's order, so all
desks agree on who acknowledged what, with which comment.

Desks know an alarm by its condition key ('rule|subject'): each book holds at most one open
alarm per key, while an alarm id (``key@raised-time``) comes from the raising desk's clock.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from controlroom.core.dispatch_model import MAX_TEXT, Actor, Command
from controlroom.dispatch.db import Db
from controlroom.dispatch.store import Outcome, replayed

OPERATOR_ACTIONS = ("acknowledge", "start_work", "snooze", "close", "owner")
SYSTEM_ACTIONS = ("raised", "predicted", "confirmed", "re-raised", "cleared", "withdrawn", "escalated")
SYSTEM = "system"
MAX_SNOOZE_S = 86_400.0

_COLS = (
    "seq, at, user_name, role, desk, command_id, alarm_id, alarm_key, action, who, comment, accepted, detail"
)


def alarm_refusal(cmd: Command, actor: Actor) -> str | None:
    """Why the gateway refuses this alarm order (None: accepted)."""
    if not cmd.alarm_id or "|" not in cmd.alarm_key:
        return "an alarm order needs alarm_id and alarm_key ('rule|subject')"
    if cmd.action in SYSTEM_ACTIONS:  # a desk reporting what its own engine saw: any role may
        xy = (cmd.x, cmd.y)
        if (cmd.x is None) != (cmd.y is None) or not all(v is None or math.isfinite(v) for v in xy):
            return f"an alarm's place needs both x and y as finite numbers; got x={cmd.x}, y={cmd.y}"
        if len(cmd.district) > MAX_TEXT:
            return f"district is {len(cmd.district)} characters; the limit is {MAX_TEXT}"
        return None
    if cmd.action not in OPERATOR_ACTIONS:
        expected = ", ".join(OPERATOR_ACTIONS + SYSTEM_ACTIONS)
        return f"unknown alarm action {cmd.action!r}; expected one of {expected}"
    if actor.role == "leader":
        return (
            f"user '{actor.user}' has role leader (view only); alarm actions need an operator or supervisor"
        )
    if len(cmd.text) > MAX_TEXT:
        return f"comment is {len(cmd.text)} characters; the limit is {MAX_TEXT}"
    if cmd.action == "snooze" and not 0 < cmd.seconds <= MAX_SNOOZE_S:
        return f"snooze of {cmd.seconds:g} s is out of range; expected 0 < seconds <= {MAX_SNOOZE_S:g}"
    if cmd.action == "owner" and not cmd.owner.strip():
        return "setting an owner needs the owner's name"
    return None


class AlarmTrail:
    """The gateway's alarm records, in the caller's transaction (like ``Store.execute``)."""

    def __init__(self, db: Db) -> None:
        self.db = db

    def execute(self, cmd: Command, actor: Actor, now: float | None = None) -> Outcome:
        """Store one alarm order; ``Outcome.alarm`` is the transition to publish (operator actions)."""
        now = time.time() if now is None else now
        earlier = replayed(self.db, cmd, actor)
        if earlier is not None:
            return earlier
        refusal = alarm_refusal(cmd, actor)
        accepted = refusal is None
        system = cmd.action in SYSTEM_ACTIONS
        who = SYSTEM if system else actor.user
        detail: dict[str, Any] = {}
        if cmd.action == "snooze":
            detail["until"] = now + cmd.seconds
        if cmd.owner:
            detail["owner"] = cmd.owner
        if system:
            detail |= {"from_state": cmd.from_state, "to_state": cmd.to_state}
            if cmd.x is not None and cmd.y is not None:
                detail |= {"x": cmd.x, "y": cmd.y, "district": cmd.district}
        if refusal:
            detail["refused"] = refusal
        self.db.execute(
            "INSERT INTO commands (id, fingerprint, user_name, desk, kind, incident_id, accepted, reason, "
            "at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                cmd.id,
                cmd.fingerprint(),
                actor.user,
                actor.desk,
                cmd.kind,
                "",
                int(accepted),
                refusal or "",
                now,
            ),
        )
        self.db.execute(
            f"INSERT INTO alarm_trail ({_COLS.removeprefix('seq, ')}) VALUES ({', '.join('?' * 12)})",
            (now, actor.user, actor.role, actor.desk, cmd.id, cmd.alarm_id, cmd.alarm_key, cmd.action, who,
             cmd.text, int(accepted), json.dumps(detail, ensure_ascii=False)),
        )  # fmt: skip
        transition = None
        if accepted and not system:
            transition = {
                "at": now, "user": actor.user, "role": actor.role, "desk": actor.desk, "command_id": cmd.id,
                "alarm_id": cmd.alarm_id, "alarm_key": cmd.alarm_key, "action": cmd.action,
                "comment": cmd.text, "owner": cmd.owner, "until": float(detail.get("until", 0.0)),
            }  # fmt: skip
        return Outcome(cmd.id, accepted, refusal or "", alarm=transition)

    def entries(self, since_seq: int = 0, alarm_key: str | None = None) -> list[dict[str, Any]]:
        """The trail, oldest first: every desk's system records and every operator order (refused too)."""
        sql = f"SELECT {_COLS} FROM alarm_trail WHERE seq > ?"
        args: tuple[Any, ...] = (since_seq,)
        if alarm_key is not None:
            sql += " AND alarm_key = ?"
            args += (alarm_key,)
        keys = [c.strip() for c in _COLS.split(",")]
        keys[keys.index("user_name")] = "user"
        rows = self.db.query(sql + " ORDER BY seq", args)
        return [dict(zip(keys[:-1], r[:-1], strict=True)) | {"detail": json.loads(r[-1])} for r in rows]
