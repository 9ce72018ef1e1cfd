"""The desk's connection to the gateway: a thread owning the sockets, fed by the durable outbox.

``submit`` (any thread) writes the order to the outbox and wakes the thread; the thread sends
it on a DEALER, resends unanswered orders every ``retry_s``, records answers in the outbox and
reports them through ``DispatchListener`` callbacks (called on the client thread: a GUI wraps
them in queued signals). The thread also subscribes to the gateway's ``dsp|`` events and reads
the whole state on start, on a gap in the event numbers, or when the gateway restarted.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import msgspec
import zmq

from controlroom.core.dispatch_model import Command
from controlroom.dispatch import wire
from controlroom.dispatch.outbox import OrderEntry, Outbox
from controlroom.feed.keys import ClientSecurity

log = logging.getLogger(__name__)


class DispatchListener:
    """Override what you need; every method is called on the client thread."""

    def on_order(self, entry: OrderEntry) -> None: ...

    def on_state(self, state: dict[str, Any]) -> None: ...

    def on_event(self, event: wire.Event) -> None: ...

    def on_result(self, query_id: str, reply: wire.Reply) -> None: ...


def new_command_id() -> str:
    return uuid.uuid4().hex


class DispatchClient:
    def __init__(
        self,
        endpoint: str,
        outbox: Outbox,
        *,
        publish_endpoint: str | None = None,
        user: str = "",
        desk: str = "",
        security: ClientSecurity | None = None,
        listener: DispatchListener | None = None,
        retry_s: float = 1.0,
    ) -> None:
        self.endpoint = endpoint
        self.publish_endpoint = publish_endpoint
        self.outbox = outbox
        self.user = user
        self.desk = desk or socket.gethostname()
        self.security = security
        self.listener = listener or DispatchListener()
        self.retry_s = retry_s
        self.state_seq = -1
        self.epoch = 0.0
        self.error: BaseException | None = None
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._queries: list[wire.Request] = []
        self._qlock = threading.Lock()
        self._waiters: dict[str, tuple[threading.Event, list[wire.Reply]]] = {}
        self._stop = threading.Event()
        self._state_query: str | None = None
        self._held_events: list[wire.Event] = []
        self._thread = threading.Thread(target=self._run, name="dispatch-client", daemon=True)

    # ------------------------------------------------------------------ API (any thread)
    def start(self) -> DispatchClient:
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        self._wake()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def close(self) -> None:
        """Stop the thread and release the pipe and the outbox (safe to call twice)."""
        self.stop()
        if self._wake_w >= 0:
            os.close(self._wake_r)
            os.close(self._wake_w)
            self._wake_r = self._wake_w = -1
            self.outbox.close()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def submit(self, cmd: Command) -> OrderEntry:
        """Store the order durably, then wake the sender. Returns the pending entry."""
        entry = self.outbox.add(cmd)
        self._wake()
        return entry

    def order(self, kind: str, **fields: Any) -> OrderEntry:
        """Build a command with a fresh id and submit it."""
        return self.submit(Command(new_command_id(), kind, **fields))  # type: ignore[arg-type]

    def query(self, name: str, **args: Any) -> str:
        """Ask the gateway something; the reply comes to ``listener.on_result(query_id, reply)``."""
        qid = "q:" + new_command_id()
        with self._qlock:
            self._queries.append(
                wire.Request(qid, "query", query=name, args=args, user=self.user, desk=self.desk)
            )
        self._wake()
        return qid

    def ask(self, name: str, timeout_s: float = 5.0, **args: Any) -> wire.Reply:
        """Blocking ``query`` (for the command line and tests, never the GUI thread)."""
        qid = "q:" + new_command_id()
        done = threading.Event()
        box: list[wire.Reply] = []
        self._waiters[qid] = (done, box)
        with self._qlock:
            self._queries.append(
                wire.Request(qid, "query", query=name, args=args, user=self.user, desk=self.desk)
            )
        self._wake()
        if not done.wait(timeout_s):
            self._waiters.pop(qid, None)
            raise TimeoutError(
                f"no answer to '{name}' from the dispatch gateway at {self.endpoint} in {timeout_s:g} s"
            )
        return box[0]

    def wait_settled(self, timeout_s: float = 10.0) -> bool:
        """Wait until no order is pending (tests, benchmarks, shutdown)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.outbox.counts()["pending"] == 0:
                return True
            time.sleep(0.01)
        return False

    def _wake(self) -> None:
        if self._wake_w < 0:
            return
        with contextlib.suppress(OSError):  # a full pipe already wakes the thread
            os.write(self._wake_w, b"x")

    # ------------------------------------------------------------------ the thread
    def _run(self) -> None:
        ctx = zmq.Context()
        dealer = ctx.socket(zmq.DEALER)
        sub = ctx.socket(zmq.SUB) if self.publish_endpoint else None
        try:
            for s in (dealer, sub):
                if s is None:
                    continue
                s.setsockopt(zmq.LINGER, 0)
                if self.security:
                    self.security.apply(s)
            dealer.setsockopt(zmq.SNDHWM, 0)
            dealer.connect(self.endpoint)
            poller = zmq.Poller()
            poller.register(dealer, zmq.POLLIN)
            poller.register(self._wake_r, zmq.POLLIN)
            if sub is not None:
                assert self.publish_endpoint
                sub.setsockopt(zmq.SUBSCRIBE, wire.DISPATCH_TOPIC)
                sub.connect(self.publish_endpoint)
                poller.register(sub, zmq.POLLIN)
                self._ask_state()
            last_resend = 0.0
            while not self._stop.is_set():
                events = dict(poller.poll(100))
                if self._wake_r in events:
                    try:
                        while os.read(self._wake_r, 4096):
                            pass
                    except BlockingIOError:
                        pass
                if dealer in events:
                    self._read_replies(dealer)
                if sub is not None and sub in events:
                    self._read_events(sub)
                self._send_queries(dealer)
                now = time.time()
                fresh_only = now - last_resend < self.retry_s / 4
                self._send_due(dealer, now, fresh_only)
                if not fresh_only:
                    last_resend = now
        except BaseException as exc:
            self.error = exc
            log.exception("dispatch client stopped on an error")
        finally:
            dealer.close(0)
            if sub is not None:
                sub.close(0)
            ctx.term()

    def _ask_state(self) -> None:
        qid = "state:" + new_command_id()
        self._state_query = qid
        with self._qlock:
            self._queries.append(wire.Request(qid, "query", query="state", user=self.user, desk=self.desk))

    def _send_queries(self, dealer: zmq.Socket) -> None:
        with self._qlock:
            queries, self._queries = self._queries, []
        for q in queries:
            dealer.send(wire.encode(q))

    def _send_due(self, dealer: zmq.Socket, now: float, fresh_only: bool) -> None:
        retry = 1e12 if fresh_only else self.retry_s
        while True:
            due = self.outbox.due(now, retry)
            if not due:
                return
            for _cid, cmd in due:
                dealer.send(wire.encode(wire.Request(cmd.id, "command", cmd, user=self.user, desk=self.desk)))
            self.outbox.mark_sent([cid for cid, _ in due], now)
            if len(due) < 500:
                return

    def _read_replies(self, dealer: zmq.Socket) -> None:
        answers: list[tuple[str, bool, str]] = []
        try:
            while True:
                frame = dealer.recv(zmq.NOBLOCK)
                try:
                    rep = wire.decode_reply(frame)
                except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                    log.warning("dispatch client: ignoring an undecodable reply (%s)", exc)
                    continue
                if rep.id.startswith(("q:", "state:")):
                    self._on_query_reply(rep)
                elif rep.id:
                    answers.append((rep.id, rep.ok, rep.reason))
        except zmq.Again:
            pass
        if answers:
            for entry in self.outbox.answer(answers, time.time()):
                self.listener.on_order(entry)

    def _on_query_reply(self, rep: wire.Reply) -> None:
        if rep.id == self._state_query:
            self._state_query = None
            if rep.ok:
                self.epoch = float(rep.result.get("epoch", 0.0))
                self.state_seq = int(rep.result.get("seq", 0))
                self.listener.on_state(rep.result)
                held, self._held_events = self._held_events, []
                for evt in held:
                    self._deliver(evt)
            return
        waiter = self._waiters.pop(rep.id, None)
        if waiter is not None:
            waiter[1].append(rep)
            waiter[0].set()
            return
        self.listener.on_result(rep.id, rep)

    def _read_events(self, sub: zmq.Socket) -> None:
        try:
            while True:
                frame = sub.recv(zmq.NOBLOCK)
                try:
                    evt = wire.decode_event(frame)
                except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                    log.warning("dispatch client: ignoring an undecodable event (%s)", exc)
                    continue
                if self._state_query is not None:
                    self._held_events.append(evt)
                else:
                    self._deliver(evt)
        except zmq.Again:
            pass

    def _deliver(self, evt: wire.Event) -> None:
        if evt.epoch != self.epoch or evt.seq > self.state_seq + 1:
            self._ask_state()  # the gateway restarted or we missed something: re-read everything
            self._held_events.append(evt)
            return
        if evt.seq <= self.state_seq:
            return  # already in the state we read
        self.state_seq = evt.seq
        self.listener.on_event(evt)


def open_desk_client(
    site: Any, listener: DispatchListener | None = None, outbox_path: Path | None = None
) -> DispatchClient:
    """A client for this desk from the site's ``[dispatch]`` section (not started)."""
    from controlroom.dispatch.security import desk_security
    from controlroom.dispatch.settings import outbox_file

    cfg = site.dispatch
    security = desk_security(site, [cfg.endpoint, cfg.publish_endpoint])
    return DispatchClient(
        cfg.endpoint,
        Outbox(outbox_path or outbox_file(site)),
        publish_endpoint=cfg.publish_endpoint,
        user=cfg.user or "",
        desk=cfg.desk or "",
        security=security,
        listener=listener,
    )
