"""Gateway traffic → events rows: ``dsp|`` events (incidents, units, audit) and the alarm trail."""

from __future__ import annotations

import json
from typing import Any

from controlroom.dispatch import wire


def _row(t: float, subject: str, kind: str, action: str, who: str = "", desk: str = "",
         accepted: bool = True, detail: Any = None) -> dict[str, Any]:  # fmt: skip
    return {
        "subject": subject, "t_ms": round(t * 1000), "kind": kind, "action": action, "who": who,
        "desk": desk, "accepted": accepted, "detail": json.dumps(detail or {}, ensure_ascii=False),
    }  # fmt: skip


def dispatch_event_rows(evt: wire.Event) -> list[dict[str, Any]]:
    """One gateway event → rows: the order (audit: who did what), the incident and units after it."""
    rows: list[dict[str, Any]] = []
    audit = evt.audit or {}
    who = str(audit.get("user", audit.get("user_name", "")))
    desk = str(audit.get("desk", ""))
    if audit:
        subject = str(audit.get("incident_id") or audit.get("unit_id") or "")
        rows.append(_row(evt.ts, subject, "order", str(audit.get("kind", audit.get("action", ""))), who, desk,
                         bool(audit.get("accepted", True)), audit))  # fmt: skip
    if evt.incident is not None:
        inc = evt.incident
        rows.append(_row(evt.ts, str(inc.get("id", "")), "incident", str(inc.get("status", "")), who, desk,
                         True, inc))  # fmt: skip
    for unit in evt.units:
        rows.append(_row(evt.ts, str(unit.get("id", "")), "unit", str(unit.get("status", "")), who, desk,
                         True, unit))  # fmt: skip
    return rows


def alarm_trail_rows(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Gateway ``alarm_trail`` entries (system transitions from every desk, operator orders)."""
    rows = []
    for e in entries:
        detail = {
            "alarm_id": e["alarm_id"],
            "comment": e.get("comment", ""),
            "seq": e["seq"],
            **e.get("detail", {}),
        }
        who = str(e.get("who") or e["user"])
        rows.append(_row(float(e["at"]), str(e["alarm_key"]), "alarm", str(e["action"]), who,
                         str(e.get("desk", "")), bool(e["accepted"]), detail))  # fmt: skip
    return rows


def columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    keys = ("subject", "t_ms", "kind", "action", "who", "desk", "accepted", "detail")
    return {k: [r[k] for r in rows] for k in keys}
