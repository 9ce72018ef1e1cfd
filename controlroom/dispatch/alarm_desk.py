"""A desk's alarm book on the dispatch gateway: actions go out as orders, transitions come back.

With a gateway, an operator's action does not change the book directly: ``AlarmDesk.act``
checks that it applies (the operator hears at once when it does not), then submits it through
the desk's ``DispatchClient`` (durable outbox, command id, resent until answered). The gateway
stores it (``alarm_trail``) and publishes it; ``apply`` runs on every desk — this one included —
in the gateway's order, so each book shows the same who, comment and owner. A refused order
(a leader's key, an over-long comment) comes back through ``refused``.

The book's own system transitions (raised, cleared, escalated …) still go to the desk's local
journal and are also reported to the gateway (``GatewayAlarmAudit``), so the gateway's trail
holds every transition. Not thread-safe: call everything on the thread that owns the book.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from controlroom.core.alarms.audit import AuditEntry, AuditSink
from controlroom.core.alarms.lifecycle import SYSTEM, Alarm, AlarmBook, AlarmStateError
from controlroom.core.dispatch_model import Command
from controlroom.dispatch.client import DispatchClient, new_command_id
from controlroom.dispatch.outbox import REFUSED, OrderEntry

log = logging.getLogger(__name__)

#: A transition published before this desk raised the alarm (feed lag) waits this long for it.
WAIT_FOR_ALARM_S = 120.0


def alarm_key_of(alarm_id: str) -> str:
    """'rule|subject' from an alarm id 'rule|subject@raised-time'."""
    return alarm_id.rpartition("@")[0] or alarm_id


class GatewayAlarmAudit:
    """``AuditSink``: every entry in the desk's local journal; system entries also to the gateway
    (operator entries reached the book *from* the gateway, so they are in its trail already)."""

    def __init__(self, client: DispatchClient, journal: AuditSink) -> None:
        self.client = client
        self.journal = journal

    def record(self, entry: AuditEntry) -> None:
        self.journal.record(entry)
        if entry.who == SYSTEM:
            x, y = entry.detail.get("x"), entry.detail.get("y")
            place: dict[str, Any] = {}
            if isinstance(x, float) and isinstance(y, float):  # a raise: where the book located it
                place = {"x": x, "y": y, "district": str(entry.detail.get("district", ""))}
            self.client.submit(
                Command(
                    new_command_id(), "alarm", alarm_id=entry.alarm_id,
                    alarm_key=alarm_key_of(entry.alarm_id), action=entry.action,
                    from_state=entry.from_state, to_state=entry.to_state, **place,
                )
            )  # fmt: skip

    def entries(self, alarm_id: str | None = None) -> list[AuditEntry]:
        return self.journal.entries(alarm_id)


class AlarmDesk:
    """Routes one book's operator actions through the gateway and applies what it publishes."""

    def __init__(self, book: AlarmBook, client: DispatchClient) -> None:
        self.book = book
        self.client = client
        if not isinstance(book.audit, GatewayAlarmAudit):
            book.audit = GatewayAlarmAudit(client, book.audit)
        self._orders: dict[str, str] = {}  # command id → alarm id, for refusals
        self._waiting: dict[str, list[dict[str, Any]]] = {}  # alarm key → transitions not yet applicable
        book.listeners.append(self._on_book_changed)

    def act(
        self, action: str, alarm_id: str, comment: str = "", *, snooze_s: float = 600.0, owner: str = ""
    ) -> OrderEntry:
        """Send an operator action; raises ``AlarmStateError`` (saying why) when it does not apply."""
        why = self.book.refusal(action, alarm_id)
        if why:
            raise AlarmStateError(why)
        a = self.book.alarms[alarm_id]
        extra: dict[str, Any] = {"seconds": float(snooze_s)} if action == "snooze" else {}
        if owner:
            extra["owner"] = owner
        # unset fields stay out of the payload (msgspec keeps an explicit 0.0), one shape per order
        entry = self.client.order(
            "alarm", alarm_id=a.id, alarm_key=a.key, action=action, text=comment, **extra
        )
        self._orders[entry.command_id] = alarm_id
        return entry

    def refused(self, entry: OrderEntry) -> tuple[str, str] | None:
        """(alarm id, reason) when ``entry`` answers one of this desk's alarm actions with a refusal."""
        alarm_id = self._orders.pop(entry.command_id, None)
        if alarm_id is None or entry.state != REFUSED:
            return None
        return alarm_id, entry.reason

    def apply(self, transition: dict[str, Any]) -> Alarm | None:
        """Apply a published transition to the open alarm of its condition; None if not applied."""
        key = str(transition.get("alarm_key", ""))
        a = self.book.alarms.get(str(transition.get("alarm_id", "")))
        if a is None or not a.is_open:
            a = self.book.for_key(key)
        if a is None:
            waiting = self._waiting.setdefault(key, [])
            waiting.append(transition)
            del waiting[:-20]
            return None
        return self._apply_to(a, transition)

    def _apply_to(self, a: Alarm, tr: dict[str, Any]) -> Alarm | None:
        book, who, comment = self.book, str(tr.get("user", "")), str(tr.get("comment", ""))
        action = str(tr.get("action", ""))
        steps: dict[str, Callable[[], Alarm]] = {
            "acknowledge": lambda: book.acknowledge(a.id, who, comment),
            "start_work": lambda: book.start_work(a.id, who, str(tr.get("owner", "")), comment),
            "snooze": lambda: book.snooze(a.id, who, float(tr.get("until", 0.0)) - book.clock(), comment),
            "close": lambda: book.close(a.id, who, comment),
            "owner": lambda: book.set_owner(a.id, who, str(tr.get("owner", ""))),
        }
        step = steps.get(action)
        if step is None:
            log.warning("alarm transition with unknown action %r ignored", action)
            return None
        try:
            return step()
        except AlarmStateError as exc:  # two desks acted at once: the gateway's first one stands
            log.info("alarm transition by %s not applied here: %s", who, exc)
            return None

    def _on_book_changed(self, alarm: Alarm) -> None:
        waiting = self._waiting.get(alarm.key)
        if not waiting or self.book.for_key(alarm.key) is not alarm:
            return
        del self._waiting[alarm.key]
        for tr in waiting:
            if abs(float(tr.get("at", 0.0)) - alarm.raised_at) <= WAIT_FOR_ALARM_S:
                self._apply_to(alarm, tr)
