"""History served to the room: a ROUTER answering "state at T" and "range" (CURVE like the feed).

Request (msgpack map): ``{"id", "op": "at"|"range"|"frame"|"status"|"note", "time", "from",
"to", "kind", "rows": bool, "limit", "trails"}``; a ``note`` (a wall's preset or push, see
``notes``) is stored as an event; ``frame`` is a replay frame for a desk without the files
(``remote``). Reply: ``{"id", "ok", "reason", "result", "tables"}`` where ``tables``
maps a table name to an Arrow IPC stream (only when rows were asked for), so a desk on another
PC needs neither the files nor DuckDB's view of them.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import msgspec
import pyarrow as pa
import zmq

from controlroom.feed.keys import ClientSecurity, ServerSecurity, check_plaintext
from controlroom.history.player import HistoryPlayer
from controlroom.history.query import HistoryQueryError, HistoryReader, rows_json

log = logging.getLogger(__name__)
MAX_REQUEST_BYTES = 64 * 1024
DEFAULT_RANGE_LIMIT = 1_000_000


def to_ipc(data: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, data.schema) as w:
        w.write_table(data)
    return sink.getvalue().to_pybytes()


def from_ipc(blob: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(blob)).read_all()


def answer(
    reader: HistoryReader,
    req: dict[str, Any],
    status: Callable[[], dict[str, Any]],
    note: Callable[[dict[str, Any]], None] | None = None,
    player: HistoryPlayer | None = None,
) -> dict[str, Any]:
    """One request → one reply (never raises for what the request holds)."""
    rid = req.get("id", "") if isinstance(req, dict) else ""
    try:
        if not isinstance(req, dict):
            raise HistoryQueryError("a request is a map with 'op'")
        op = req.get("op")
        if op == "status":
            return {"id": rid, "ok": True, "result": status()}
        if op == "at":
            t = _number(req, "time")
            state = reader.state_at(t)
            tables = {}
            if req.get("rows"):
                tables = {name: to_ipc(getattr(state, name))
                          for name in ("entities", "sensors", "metrics", "incidents", "alarms")}  # fmt: skip
            return {"id": rid, "ok": True, "result": state.summary(), "tables": tables}
        if op == "frame":
            from controlroom.history.remote import frame_reply

            if player is None:
                raise HistoryQueryError("this history service does not serve replay frames")
            trails = req.get("trails", 0)
            if not isinstance(trails, int) or isinstance(trails, bool) or not 0 <= trails <= 100:
                raise HistoryQueryError(f"'trails' must be a number of points from 0 to 100; got {trails!r}")
            result, tables = frame_reply(player, _number(req, "time"), trails)
            return {"id": rid, "ok": True, "result": result, "tables": tables}
        if op == "range":
            t0, t1 = _number(req, "from"), _number(req, "to")
            kind = str(req.get("kind", ""))
            limit = int(req.get("limit") or DEFAULT_RANGE_LIMIT)
            data = reader.range(kind, t0, t1, limit=limit)
            result = {"rows": data.num_rows}
            if not req.get("rows", True):
                return {"id": rid, "ok": True, "result": result}
            if req.get("json"):
                result["data"] = rows_json(data)
                return {"id": rid, "ok": True, "result": result}
            return {"id": rid, "ok": True, "result": result, "tables": {kind: to_ipc(data)}}
        if op == "note":
            from controlroom.history.notes import NoteError, note_row

            if note is None:
                raise HistoryQueryError("this history service does not record notes (not a recorder)")
            try:
                note(note_row(req))
            except NoteError as exc:
                raise HistoryQueryError(str(exc)) from None
            return {"id": rid, "ok": True, "result": {}}
        raise HistoryQueryError(f"unknown op {op!r}; expected at, range, frame, status or note")
    except HistoryQueryError as exc:
        return {"id": rid, "ok": False, "reason": str(exc)}
    except duckdb.IOException as exc:  # a file went away meanwhile: the caller asks again
        return {
            "id": rid,
            "ok": False,
            "reason": f"history files changed while reading ({exc})",
            "retry": True,
        }
    except Exception as exc:  # a bug or a file problem: answered, logged, the service goes on
        log.exception("history service: request failed")
        return {"id": rid, "ok": False, "reason": f"{type(exc).__name__}: {exc}"}


def _number(req: dict[str, Any], name: str) -> float:
    v = req.get(name)
    if not isinstance(v, int | float) or isinstance(v, bool):
        raise HistoryQueryError(f"'{name}' must be Unix seconds (a number); got {v!r}")
    return float(v)


class HistoryServer:
    """A thread owning the ROUTER and its own reader; ``start()``, ``stop()``."""

    def __init__(
        self,
        root: Path,
        endpoint: str,
        *,
        security: ServerSecurity | None = None,
        insecure: bool = False,
        status: Callable[[], dict[str, Any]] = dict,
        note: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        if security is None:
            check_plaintext(endpoint, insecure)
        self.root, self.endpoint, self.security, self.status = root, endpoint, security, status
        self.note = note
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="history-server", daemon=True)
        self.error: BaseException | None = None
        self.served = 0

    def start(self) -> HistoryServer:
        self._thread.start()
        self._ready.wait(5)
        if self.error:
            raise self.error
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        ctx = zmq.Context()
        sock = ctx.socket(zmq.ROUTER)
        reader = HistoryReader(self.root)
        player = HistoryPlayer(reader, prefetch=False)  # replay frames for desks without the files
        try:
            sock.setsockopt(zmq.LINGER, 0)
            sock.setsockopt(zmq.MAXMSGSIZE, MAX_REQUEST_BYTES)
            if self.security:
                self.security.start(ctx)
                self.security.apply(sock)
            sock.bind(self.endpoint)
            self.endpoint = sock.getsockopt_string(zmq.LAST_ENDPOINT)
            self._ready.set()
            while not self._stop.is_set():
                if not sock.poll(100):
                    continue
                parts = sock.recv_multipart()
                try:
                    req = msgspec.msgpack.decode(parts[-1])
                except msgspec.DecodeError as exc:
                    req = None
                    reply = {"id": "", "ok": False, "reason": f"undecodable request: {exc}"}
                else:
                    reply = answer(reader, req, self.status, self.note, player)
                sock.send_multipart([*parts[:-1], msgspec.msgpack.encode(reply)])
                self.served += 1
        except BaseException as exc:
            self.error = exc
            log.error("history server stopped: %s", exc)
        finally:
            self._ready.set()
            reader.close()
            sock.close(0)
            if self.security:
                self.security.stop()
            ctx.term()


class HistoryClient:
    """A DEALER asking a recorder; one question at a time."""

    def __init__(
        self, endpoint: str, *, security: ClientSecurity | None = None, insecure: bool = False
    ) -> None:
        if security is None:
            check_plaintext(endpoint, insecure)
        self.ctx = zmq.Context()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        if security:
            security.apply(self.sock)
        self.sock.connect(endpoint)
        self.endpoint = endpoint

    def ask(self, op: str, timeout_s: float = 10.0, **args: Any) -> dict[str, Any]:
        rid = uuid.uuid4().hex
        self.sock.send(msgspec.msgpack.encode({"id": rid, "op": op, **args}))
        while self.sock.poll(int(timeout_s * 1000)):
            reply = msgspec.msgpack.decode(self.sock.recv())
            if reply.get("id") == rid:
                return reply
        raise TimeoutError(
            f"history recorder at {self.endpoint} did not answer in {timeout_s:g} s "
            "(not running, wrong [history] endpoint, or it refuses this PC's key)"
        )

    def close(self) -> None:
        self.sock.close(0)
        self.ctx.term()
