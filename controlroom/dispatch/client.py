"""The desk's connection to the gateway: a thread owning the sockets, fed by the durable outbox.

``submit`` (any thread) writes the order to the outbox and wakes the thread; the thread sends
orders strictly in outbox sequence, a bounded window at a time, records answers in the outbox
and reports them through ``DispatchListener`` callbacks (called on the client thread: a GUI
wraps them in queued signals). The thread also subscribes to the gateway's ``dsp|`` events and
reads the whole state on start, on a gap in the event numbers, or when the gateway restarted.

Order is the point: an order never overtakes an earlier unanswered one, since the state machine
would refuse it for good (a ``close`` before its ``resolve``). After a reconnect, a ``retry``
answer (the gateway has not seen the previous order yet) or a silent gateway, the thread resends
from the oldest unanswered order; the gateway answers a known command id from its store, so a
resend is harmless. Each order names its predecessor (``after``) so the gateway enforces the
same rule whatever the network delivered first.

The thread never blocks: the DEALER only queues on a completed connection (``IMMEDIATE``) and
every send is non-blocking. A socket monitor tells why nothing gets through (``dispatch.link``:
the gateway refused this desk's key, a key mismatch, nobody listening), reported through
``on_link`` at once for a refused handshake and after ``silence_s`` of waiting otherwise;
``stop()`` always returns.
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
from controlroom.dispatch.link import MONITORED, GatewayLink
from controlroom.dispatch.outbox import OrderEntry, Outbox
from controlroom.feed.keys import ClientSecurity
from controlroom.feed.service_thread import ServiceThread

log = logging.getLogger(__name__)

#: Orders sent and not yet answered, at most (the gateway applies up to 500 per transaction).
WINDOW = 1000
#: A question unanswered this long is forgotten (its reply will never come).
QUERY_TTL_S = 60.0


class DispatchListener:
    """Override what you need; every method is called on the client thread."""

    def on_order(self, entry: OrderEntry) -> None: ...

    def on_state(self, state: dict[str, Any]) -> None: ...

    def on_event(self, event: wire.Event) -> None: ...

    def on_result(self, query_id: str, reply: wire.Reply) -> None: ...

    def on_link(self, problem: str) -> None:
        """Why the gateway does not answer this desk ("" once it answers again)."""


def new_command_id() -> str:
    return uuid.uuid4().hex


class DispatchClient(ServiceThread):
    """``retry_s``: resend from the oldest unanswered order when the gateway has been silent this
    long; ``silence_s``: report the link as broken after waiting this long for any answer;
    ``window``: orders in flight at most."""

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
        silence_s: float = 5.0,
        window: int = WINDOW,
    ) -> None:
        # not supervised: a client that died says so (``error``, the log) rather than resending
        super().__init__("dispatch-client", supervise=False)
        self.endpoint = endpoint
        self.publish_endpoint = publish_endpoint
        self.outbox = outbox
        self.user = user
        self.desk = desk or socket.gethostname()
        self.security = security
        self.listener = listener or DispatchListener()
        self.retry_s = retry_s
        self.silence_s = silence_s
        self.window = window
        self.state_seq = -1
        self.epoch = 0.0
        #: Why the gateway does not answer ("" while it does); also sent to ``listener.on_link``.
        self.link_problem = ""
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        self._queries: list[wire.Request] = []
        self._qlock = threading.Lock()
        self._waiters: dict[str, tuple[threading.Event, list[wire.Reply]]] = {}
        self._state_query: str | None = None
        self._held_events: list[wire.Event] = []
        # the send window (client thread only)
        self._inflight: dict[str, float] = {}  # command id → sent at (monotonic), in outbox order
        self._cursor = 0  # outbox seq of the last order sent
        self._last_sent = ""  # its command id: the next order's ``after``
        self._generation = 0  # bumped at each rewind; older ``retry`` answers are stale
        self._blocked = False  # pending orders the socket would not take
        self._open: dict[str, tuple[float, wire.Request]] = {}  # questions sent, unanswered
        # the link (client thread only)
        self.link = GatewayLink(endpoint, security)
        self._last_heard = time.monotonic()
        self._last_answer = time.monotonic()
        self._waiting_since: float | None = None

    # ------------------------------------------------------------------ API (any thread)
    def start(self) -> DispatchClient:
        self._start_unwaited()
        return self

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        self._wake()
        super().stop(timeout_s)

    def close(self) -> None:
        """Stop the thread and release the pipe and the outbox (safe to call twice)."""
        self.stop()
        if self._thread.is_alive():  # cannot happen with non-blocking sockets; never crash it
            log.warning("dispatch client: the thread did not stop in time; leaving its outbox open")
            return
        if self._wake_w >= 0:
            os.close(self._wake_r)
            os.close(self._wake_w)
            self._wake_r = self._wake_w = -1
            self.outbox.close()

    def submit(self, cmd: Command) -> OrderEntry:
        """Store the order durably, then wake the sender. Returns the pending entry."""
        entry = self.outbox.add(cmd)
        self._wake()
        return entry

    def order(self, kind: str, **fields: Any) -> OrderEntry:
        """Build a command with a fresh id and submit it."""
        return self.submit(Command(new_command_id(), kind, **fields))  # type: ignore[arg-type]

    def retry(self, command_id: str) -> OrderEntry:
        """Send a refused order again (a new command id, at the end of the queue)."""
        entry = self.outbox.retry(command_id, new_command_id())
        self._wake()
        return entry

    def drop(self, command_id: str) -> OrderEntry:
        """Let a refused order go (kept in the outbox history as dropped)."""
        return self.outbox.drop(command_id)

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
            why = f": {self.link_problem}" if self.link_problem else ""
            raise TimeoutError(
                f"no answer to '{name}' from the dispatch gateway at {self.endpoint} in {timeout_s:g} s{why}"
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
        monitor = dealer.get_monitor_socket(MONITORED)
        sub = ctx.socket(zmq.SUB) if self.publish_endpoint else None
        try:
            for s in (dealer, sub):
                if s is None:
                    continue
                s.setsockopt(zmq.LINGER, 0)
                if self.security:
                    self.security.apply(s)
            monitor.setsockopt(zmq.LINGER, 0)
            dealer.setsockopt(zmq.IMMEDIATE, 1)  # queue nothing for a gateway not (yet) connected
            dealer.setsockopt(zmq.SNDHWM, 4 * self.window)
            dealer.connect(self.endpoint)
            poller = zmq.Poller()
            poller.register(dealer, zmq.POLLIN)
            poller.register(monitor, zmq.POLLIN)
            poller.register(self._wake_r, zmq.POLLIN)
            if sub is not None:
                assert self.publish_endpoint
                sub.setsockopt(zmq.SUBSCRIBE, wire.DISPATCH_TOPIC)
                sub.connect(self.publish_endpoint)
                poller.register(sub, zmq.POLLIN)
                self._ask_state()
            while not self._stop.is_set():
                events = dict(poller.poll(100))
                if self._wake_r in events:
                    try:
                        while os.read(self._wake_r, 4096):
                            pass
                    except BlockingIOError:
                        pass
                if monitor in events and self.link.read_monitor(monitor):  # a (new) connection
                    self._last_heard = time.monotonic()
                    self._on_reconnect()
                if dealer in events:
                    self._read_replies(dealer)
                if sub is not None and sub in events:
                    self._read_events(sub)
                now = time.monotonic()
                self._send_queries(dealer, now)
                self._send_orders(dealer, now)
                self._check_link(now)
        except BaseException as exc:
            self.error = exc
            log.exception("dispatch client stopped on an error")
        finally:
            with contextlib.suppress(zmq.ZMQError):
                dealer.disable_monitor()
            monitor.close(0)
            dealer.close(0)
            if sub is not None:
                sub.close(0)
            ctx.term()

    def _ask_state(self) -> None:
        qid = "state:" + new_command_id()
        self._state_query = qid
        with self._qlock:
            self._queries.append(wire.Request(qid, "query", query="state", user=self.user, desk=self.desk))

    def _send_queries(self, dealer: zmq.Socket, now: float) -> None:
        with self._qlock:
            queries, self._queries = self._queries, []
        for i, q in enumerate(queries):
            try:
                dealer.send(wire.encode(q), zmq.NOBLOCK)
            except zmq.Again:  # no gateway connected: keep them for later
                with self._qlock:
                    self._queries[:0] = queries[i:]
                return
            self._open[q.id] = (now, q)
        for qid in [k for k, (at, _) in self._open.items() if now - at > QUERY_TTL_S]:
            del self._open[qid]

    # ------------------------------------------------------------------ orders, in sequence
    def _send_orders(self, dealer: zmq.Socket, now: float) -> None:
        if self._inflight and self._stalled(now):
            self._rewind()
        self._blocked = False
        room = self.window - len(self._inflight)
        while room > 0:
            rows = self.outbox.pending_from(self._cursor, min(room, 500))
            if not rows:
                return
            sent: list[str] = []
            for seq, cid, cmd in rows:
                req = wire.Request(
                    cid,
                    "command",
                    cmd,
                    user=self.user,
                    desk=self.desk,
                    after=self._last_sent,
                    tag=self._generation,
                )
                try:
                    dealer.send(wire.encode(req), zmq.NOBLOCK)
                except zmq.Again:
                    self._blocked = True
                    break
                self._inflight[cid] = now
                self._cursor, self._last_sent = seq, cid
                sent.append(cid)
            self.outbox.mark_sent(sent, time.time())
            if self._blocked or len(rows) < min(room, 500):
                return
            room -= len(sent)

    def _stalled(self, now: float) -> bool:
        """The oldest order in flight waits too long: the gateway is silent, or its answer is lost."""
        oldest = next(iter(self._inflight.values()))
        waited = now - oldest
        silent = now - self._last_answer
        return (waited > self.retry_s and silent > self.retry_s) or waited > max(5.0, 10 * self.retry_s)

    def _rewind(self) -> None:
        """Resend from the oldest unanswered order (the gateway answers known ids from its store)."""
        self._inflight.clear()
        self._cursor, self._last_sent = 0, ""
        self._generation += 1

    def _read_replies(self, dealer: zmq.Socket) -> None:
        answers: list[tuple[str, bool, str]] = []
        rewind = False
        try:
            while True:
                frame = dealer.recv(zmq.NOBLOCK)
                self._last_heard = time.monotonic()
                try:
                    rep = wire.decode_reply(frame)
                except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                    log.warning("dispatch client: ignoring an undecodable reply (%s)", exc)
                    continue
                if rep.id.startswith(("q:", "state:")):
                    self._open.pop(rep.id, None)
                    self._on_query_reply(rep)
                    continue
                if not rep.id:
                    log.warning(
                        "dispatch client: the gateway refused a request it could not read: %s", rep.reason
                    )
                    continue
                self._last_answer = self._last_heard
                if rep.retry:  # an earlier order has not arrived: resend from the oldest (once a round)
                    rewind = rewind or rep.tag == self._generation
                else:
                    self._inflight.pop(rep.id, None)
                    answers.append((rep.id, rep.ok, rep.reason))
        except zmq.Again:
            pass
        if answers:
            for entry in self.outbox.answer(answers, time.time()):
                self.listener.on_order(entry)
        if rewind:
            self._rewind()

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

    # ------------------------------------------------------------------ the link
    def _on_reconnect(self) -> None:
        """A (new) connection: whatever was in flight went with the old one; resend it, in order."""
        self._rewind()
        if self._open:
            with self._qlock:
                self._queries[:0] = [q for _, q in self._open.values()]
            self._open.clear()

    def _check_link(self, now: float) -> None:
        waiting = bool(self._inflight or self._blocked or self._open or self._queries)
        if not waiting:
            self._waiting_since = None
        elif self._waiting_since is None:
            self._waiting_since = now
        problem = self.link.handshake_failure
        waited = now - max(self._waiting_since or now, self._last_heard)
        if not problem and self._waiting_since is not None and waited >= self.silence_s:
            problem = self.link.silence(self.silence_s)
        if problem != self.link_problem:
            self.link_problem = problem
            if problem:
                log.warning("dispatch client: %s", problem)
            else:
                log.info("dispatch client: the gateway at %s answers again", self.endpoint)
            self.listener.on_link(problem)

    # ------------------------------------------------------------------ events
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
