"""What reaches neither the feed nor the gateway, told to the recorder: wall presets and pushes.

A desk pushes to a wall directly (``feed.control``), so the recorder never sees it; the wall,
which knows whether it applied or refused the command, sends one ``note`` per command to the
recorder's service (``{"op": "note", "kind": "wall", ...}``), from a background thread: a
recorder that is down costs the wall nothing but a warning, and the note is dropped.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
import time
from typing import Any

from controlroom.history.service import HistoryClient

log = logging.getLogger(__name__)

WALL_ACTIONS = ("switch_preset", "push_view", "push_camera", "push_incident", "alarm_preset")
MAX_FIELD = 200
#: Notes waiting to be sent; beyond this (a recorder long gone) new ones are dropped.
MAX_QUEUED = 1000


class NoteError(ValueError):
    """A note the recorder will not store; says which field and what was expected."""


def note_row(req: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """A ``note`` request → an events row (raises ``NoteError`` naming the bad field)."""
    if req.get("kind") != "wall":
        raise NoteError(f"note kind {req.get('kind')!r} is not taken; expected 'wall'")
    action = req.get("action")
    if action not in WALL_ACTIONS:
        raise NoteError(f"wall note action {action!r} is unknown; expected one of {', '.join(WALL_ACTIONS)}")
    fields = {}
    for name in ("subject", "who", "desk"):
        v = req.get(name, "")
        if not isinstance(v, str) or len(v) > MAX_FIELD:
            raise NoteError(
                f"note field '{name}' must be text of at most {MAX_FIELD} characters; got {v!r:.60}"
            )
        fields[name] = v
    detail = req.get("detail", {})
    if not isinstance(detail, dict):
        raise NoteError(f"note field 'detail' must be a map; got {type(detail).__name__}")
    t = req.get("time", now if now is not None else time.time())
    if not isinstance(t, int | float) or isinstance(t, bool):
        raise NoteError(f"note field 'time' must be Unix seconds; got {t!r}")
    return {
        **fields, "t_ms": round(float(t) * 1000), "kind": "wall", "action": action,
        "accepted": bool(req.get("accepted", True)), "detail": json.dumps(detail, ensure_ascii=False),
    }  # fmt: skip


class HistoryNotes:
    """Sends notes to a recorder from one background thread; ``note(...)`` never blocks."""

    def __init__(self, client: HistoryClient, timeout_s: float = 2.0) -> None:
        self.client = client
        self.timeout_s = timeout_s
        self.sent = 0
        self.failed = 0
        self._closing = False
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(MAX_QUEUED)
        self._thread = threading.Thread(target=self._run, name="history-notes", daemon=True)
        self._thread.start()

    def note(self, action: str, subject: str, who: str, desk: str, *, accepted: bool = True,
             detail: dict[str, Any] | None = None) -> None:  # fmt: skip
        req = {"kind": "wall", "action": action, "subject": subject, "who": who, "desk": desk,
               "accepted": accepted, "detail": detail or {}, "time": time.time()}  # fmt: skip
        try:
            self._queue.put_nowait(req)
        except queue.Full:
            self.failed += 1

    def wait_sent(self, count: int, timeout_s: float = 10.0) -> bool:
        end = time.monotonic() + timeout_s
        while self.sent < count and time.monotonic() < end:
            time.sleep(0.02)
        return self.sent >= count

    def close(self) -> None:
        """Stop after the note being sent (those still queued are dropped)."""
        self._closing = True
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        self._thread.join(self.timeout_s + 1)
        if not self._thread.is_alive():
            self.client.close()

    def _run(self) -> None:
        warned = False
        while (req := self._queue.get()) is not None and not self._closing:
            try:
                reply = self.client.ask("note", self.timeout_s, **req)
            except TimeoutError as exc:
                reply = {"ok": False, "reason": str(exc)}
            if reply.get("ok"):
                self.sent += 1
                warned = False
                continue
            self.failed += 1
            if not warned:  # once per outage, not once per push
                log.warning("history: a wall note was not recorded: %s", reply.get("reason"))
                warned = True


def open_history_notes(site: Any) -> HistoryNotes | None:
    """Notes to the site's recorder (``[history] endpoint``, the feed's keys); None without a
    ``[history]`` section or when the keys are wrong (said once in the log: the wall goes on)."""
    from controlroom.feed.keys import FeedSecurityError, client_security

    if site.history is None:
        return None
    endpoint = site.history.endpoint
    try:
        client = HistoryClient(
            endpoint, security=client_security(site, [endpoint]), insecure=site.feed.insecure
        )
    except FeedSecurityError as exc:
        log.warning("history: wall presets and pushes will not be recorded: %s", exc)
        return None
    return HistoryNotes(client)


def command_note(command: Any, reply: Any) -> tuple[str, str, dict[str, Any]]:
    """A wall control command and the wall's reply → (action, subject, detail) of its note."""
    import msgspec

    body = msgspec.to_builtins(command)
    action = str(body.pop("type", "push_view"))
    subject = str(body.get("name") or body.get("region") or "")
    detail = {**body, "status": reply.status, "reason": reply.reason}
    return action, subject, detail
