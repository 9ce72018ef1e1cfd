"""The wall's control channel: an operator desk pushes a view, a camera, an incident or a preset
onto a named region of another running app instance.

One request, one reply: the desk's ``ControlClient`` sends a typed command on a fresh REQ socket
and waits for ``applied`` or ``refused: reason``; the wall's ``ControlServer`` thread owns a
ROUTER socket, checks the command against the wall's regions and presets (so a typo gets a reply
naming the valid ones without bothering the GUI) and hands accepted commands to the GUI side
through a thread-safe queue. The reply is sent only once the GUI has applied the command, so
"applied" means the wall shows it. Security is the feed's: CURVE with an allow-list of desk keys
when keys are configured, plain text only on loopback unless the site says ``insecure``.

Wire format: msgpack (JSON accepted for debugging; the reply uses the request's codec) of a
tagged msgspec Struct, ``{"type": "switch_preset", ...}``.
"""

from __future__ import annotations

import logging
import math
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec
import zmq

from controlroom.feed.keys import ClientSecurity, ServerSecurity, check_plaintext
from controlroom.feed.service_thread import ServiceThread

CONTROL_VERSION = 1
MAX_COMMAND_BYTES = 64 * 1024  # commands are tiny; anything bigger is garbage or an attack
log = logging.getLogger(__name__)

Vec3 = tuple[float, float, float]
Lon = Annotated[float, msgspec.Meta(ge=-180.0, le=180.0)]
Lat = Annotated[float, msgspec.Meta(ge=-90.0, le=90.0)]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


def _new_id() -> str:
    return uuid.uuid4().hex


def _desk_name() -> str:
    return socket.gethostname()


class _Command(msgspec.Struct, kw_only=True, frozen=True, tag_field="type"):
    """Fields every command carries: who sent what when, so the wall's log can say."""

    command_id: str = msgspec.field(default_factory=_new_id)
    sender: str = msgspec.field(default_factory=_desk_name)
    sent_at: float = msgspec.field(default_factory=time.time)
    version: int = CONTROL_VERSION


class SwitchPreset(_Command, frozen=True, tag="switch_preset"):
    name: NonEmpty


class PushView(_Command, frozen=True, tag="push_view"):
    """A 3D camera in the site's local metric frame (``site`` names it); ``lon``/``lat`` of the
    focal point let a wall on another site frame (or without a 3D panel) still centre on it."""

    region: NonEmpty
    position: Vec3
    focal_point: Vec3
    up: Vec3 = (0.0, 0.0, 1.0)
    site: str = ""
    lon: Lon | None = None
    lat: Lat | None = None


class PushCamera(_Command, frozen=True, tag="push_camera"):
    region: NonEmpty
    camera_id: NonEmpty


class PushIncident(_Command, frozen=True, tag="push_incident"):
    region: NonEmpty
    incident_id: NonEmpty
    lon: Lon
    lat: Lat
    label: str = ""


Command = SwitchPreset | PushView | PushCamera | PushIncident


class Reply(msgspec.Struct, kw_only=True, frozen=True):
    command_id: str
    status: Literal["applied", "refused"]
    reason: str = ""
    wall: str = ""

    @property
    def applied(self) -> bool:
        return self.status == "applied"

    def __str__(self) -> str:
        return "applied" if self.applied else f"refused: {self.reason}"


class ControlError(RuntimeError):
    """The command could not be delivered (no answer, bad endpoint); the message says what to check."""


class ControlTimeoutError(ControlError):
    """The wall did not answer in time (down, wrong endpoint, or our CURVE key is not authorised)."""


_msgpack_encoder = msgspec.msgpack.Encoder()
_json_encoder = msgspec.json.Encoder()
_command_msgpack = msgspec.msgpack.Decoder(Command)
_command_json = msgspec.json.Decoder(Command)
_reply_msgpack = msgspec.msgpack.Decoder(Reply)
_reply_json = msgspec.json.Decoder(Reply)
_JSON_FIRST = frozenset(b"{ \t\r\n")


def encode_command(command: Command, codec: Literal["msgpack", "json"] = "msgpack") -> bytes:
    return _json_encoder.encode(command) if codec == "json" else _msgpack_encoder.encode(command)


def decode_command(frame: bytes) -> Command:
    """Raise ``msgspec.ValidationError``/``DecodeError`` naming the bad field."""
    if frame[:1] and frame[0] in _JSON_FIRST:
        return _command_json.decode(frame)
    return _command_msgpack.decode(frame)


def check_command(command: Command, regions: Collection[str], presets: Collection[str]) -> str | None:
    """Why this wall cannot take the command (``None`` if it can): what a type cannot say."""
    if command.version > CONTROL_VERSION:
        return (
            f"command version {command.version} is newer than this wall speaks ({CONTROL_VERSION}); update it"
        )
    if isinstance(command, SwitchPreset):
        if command.name not in presets:
            return f"unknown preset '{command.name}'; this wall's presets are: {', '.join(presets) or 'none'}"
        return None
    if command.region not in regions:
        return f"unknown region '{command.region}'; this wall's regions are: {', '.join(regions) or 'none'}"
    if isinstance(command, PushView):
        for name in ("position", "focal_point", "up"):
            if not all(math.isfinite(c) for c in getattr(command, name)):
                return f"view {name} {getattr(command, name)}: expected three finite numbers (metres)"
        if command.position == command.focal_point:
            return "view position equals focal point: expected a camera looking somewhere"
        if not any(command.up):
            return "view up vector is (0, 0, 0): expected a direction such as (0, 0, 1)"
        if (command.lon is None) != (command.lat is None):
            return "view has only one of lon/lat: expected both or neither"
    return None


class PendingCommand:
    """An accepted command waiting for the GUI; ``applied()`` or ``refuse(reason)`` answers the desk.

    Thread-safe: the server expires it if nobody claims it in time, and a claimed command is
    never expired, so the desk never hears "refused" for something the wall then shows.
    """

    def __init__(self, command: Command, server: ControlServer) -> None:
        self.command = command
        self._server = server
        self._lock = threading.Lock()
        self._state: Literal["queued", "claimed", "done", "expired"] = "queued"

    def claim(self) -> bool:
        with self._lock:
            if self._state != "queued":
                return False
            self._state = "claimed"
            return True

    def expire(self) -> bool:
        with self._lock:
            if self._state != "queued":
                return False
            self._state = "expired"
            return True

    def applied(self) -> Reply:
        return self._finish("applied", "")

    def refuse(self, reason: str) -> Reply:
        return self._finish("refused", reason)

    def _finish(self, status: Literal["applied", "refused"], reason: str) -> Reply:
        reply = self._server.reply(self.command.command_id, status, reason)
        with self._lock:
            if self._state in ("done", "expired"):
                return reply
            self._state = "done"
        self._server._outbox.put((self, reply))
        return reply


class ControlServer(ServiceThread):
    """The wall's side: start with ``start()``, stop with ``stop()``; never touches Qt.

    ``endpoint`` may use an ephemeral port (``tcp://127.0.0.1:*``); ``bound_endpoint`` says which.
    ``notify`` (given to ``start``) is called from the server thread after each accepted command,
    e.g. a Qt signal's ``emit`` that Qt queues to the GUI thread, which then calls ``take()``.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        regions: Collection[str],
        presets: Collection[str],
        wall_name: str = "",
        site: str = "",
        security: ServerSecurity | None = None,
        insecure: bool = False,
        apply_timeout_s: float = 3.0,
        max_pending: int = 32,
        poll_ms: int = 20,
    ) -> None:
        if security is None:
            check_plaintext(endpoint, insecure)
        super().__init__("wall-control")
        self.endpoint = endpoint
        self.wall_name = wall_name or _desk_name()
        self.site = site  # the site whose local frame this wall's 3D view uses ("" = unknown)
        self.security = security
        self.apply_timeout_s = apply_timeout_s
        self.max_pending = max_pending
        self.poll_ms = poll_ms
        self.bound_endpoint: str | None = None
        self._targets: tuple[tuple[str, ...], tuple[str, ...]] = (tuple(regions), tuple(presets))
        self._inbox: queue.SimpleQueue[PendingCommand] = queue.SimpleQueue()
        self._outbox: queue.SimpleQueue[tuple[PendingCommand, Reply]] = queue.SimpleQueue()
        self._notify: Callable[[], None] | None = None

    # ---------------------------------------------------------------- public API
    def set_targets(self, regions: Collection[str], presets: Collection[str]) -> None:
        """The wall loaded another layout: validate against its regions and presets from now on."""
        self._targets = (tuple(regions), tuple(presets))  # one assignment: atomic for the server thread

    def start(self, notify: Callable[[], None] | None = None, wait_s: float = 5.0) -> ControlServer:
        """Bind and serve; returns once bound, raising what went wrong (address in use, bad key)."""
        self._notify = notify
        if not self._start_thread(wait_s):
            raise ControlError(f"control server on {self.endpoint} did not start within {wait_s} s")
        return self

    def take(self, timeout_s: float = 0.0) -> PendingCommand | None:
        """The next accepted command, claimed for applying (any thread; usually the GUI's)."""
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if timeout_s > 0:
                    pending = self._inbox.get(timeout=max(0.0, deadline - time.monotonic()))
                else:
                    pending = self._inbox.get_nowait()
            except queue.Empty:
                return None
            if pending.claim():
                return pending

    # ---------------------------------------------------------------- server thread
    def _run(self) -> None:
        ctx = zmq.Context()
        router = ctx.socket(zmq.ROUTER)
        try:
            router.setsockopt(zmq.LINGER, 0)
            router.setsockopt(zmq.MAXMSGSIZE, MAX_COMMAND_BYTES)
            if self.security is not None:
                self.security.start(ctx)
                self.security.apply(router)
            router.bind(self.endpoint)
            self.bound_endpoint = router.getsockopt_string(zmq.LAST_ENDPOINT)
            self._ready.set()
            self._serve(router)
        except BaseException as exc:  # raised by start(), or logged and restarted by the supervisor
            self.error = exc
        finally:
            self._ready.set()
            router.close(0)
            if self.security is not None:
                self.security.stop()
            ctx.term()

    def reply(self, command_id: str, status: Literal["applied", "refused"], reason: str = "") -> Reply:
        return Reply(command_id=command_id, status=status, reason=reason, wall=self.wall_name)

    def _serve(self, router: zmq.Socket) -> None:
        waiting: dict[int, _Waiting] = {}
        while not self._stop.is_set():
            if router.poll(self.poll_ms):
                while True:
                    try:
                        frames = router.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    self._receive(router, frames, waiting)
            self._send_replies(router, waiting)

    def _receive(self, router: zmq.Socket, frames: list[bytes], waiting: dict[int, _Waiting]) -> None:
        if len(frames) < 2:
            return  # not a REQ/DEALER envelope: nobody to answer
        envelope, body = frames[:-1], frames[-1]
        as_json = bool(body[:1]) and body[0] in _JSON_FIRST
        try:
            command = decode_command(body)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            _send(router, envelope, as_json, self.reply("", "refused", f"bad command: {exc}"))
            return
        regions, presets = self._targets
        reason = check_command(command, regions, presets)
        if reason is None and len(waiting) >= self.max_pending:
            reason = f"the wall is busy ({len(waiting)} commands waiting); try again"
        if reason is not None:
            log.info("refused %s from %s: %s", type(command).__name__, command.sender, reason)
            _send(router, envelope, as_json, self.reply(command.command_id, "refused", reason))
            return
        pending = PendingCommand(command, self)
        deadline = time.monotonic() + self.apply_timeout_s
        waiting[id(pending)] = _Waiting(envelope, as_json, deadline, pending)
        self._inbox.put(pending)
        if self._notify is not None:
            self._notify()

    def _send_replies(self, router: zmq.Socket, waiting: dict[int, _Waiting]) -> None:
        while True:
            try:
                pending, reply = self._outbox.get_nowait()
            except queue.Empty:
                break
            entry = waiting.pop(id(pending), None)
            if entry is not None:
                _send(router, entry.envelope, entry.as_json, reply)
        now = time.monotonic()
        for key, entry in list(waiting.items()):
            if now >= entry.deadline and entry.pending.expire():
                del waiting[key]
                reason = (
                    f"the wall did not apply it within {self.apply_timeout_s:g} s (its screen is busy); "
                    "nothing changed"
                )
                _send(
                    router,
                    entry.envelope,
                    entry.as_json,
                    self.reply(entry.pending.command.command_id, "refused", reason),
                )


@dataclass(frozen=True)
class _Waiting:
    """A command the GUI has not answered yet, and where its reply goes."""

    envelope: list[bytes]
    as_json: bool
    deadline: float
    pending: PendingCommand


def _send(router: zmq.Socket, envelope: list[bytes], as_json: bool, reply: Reply) -> None:
    body = _json_encoder.encode(reply) if as_json else _msgpack_encoder.encode(reply)
    try:
        router.send_multipart([*envelope, body], zmq.NOBLOCK)
    except zmq.ZMQError as exc:  # the desk went away: nothing to tell it
        log.info("could not reply to a desk: %s", exc)


class ControlClient:
    """The desk's side. ``send`` blocks up to ``timeout_s``: call it off the GUI thread."""

    def __init__(
        self, endpoint: str, *, security: ClientSecurity | None = None, insecure: bool = False
    ) -> None:
        if security is None:
            check_plaintext(endpoint, insecure)
        self.endpoint = endpoint
        self.security = security

    def send(self, command: Command, timeout_s: float = 5.0) -> Reply:
        """Deliver one command and return the wall's reply; ``ControlTimeoutError`` when none comes.

        A fresh socket per command: a REQ socket that timed out cannot be reused, and commands
        are rare. An unauthorised CURVE key looks exactly like a dead wall (the handshake is
        dropped silently), so the timeout message names both.
        """
        ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
        req = ctx.socket(zmq.REQ)
        try:
            req.setsockopt(zmq.LINGER, 0)
            if self.security is not None:
                self.security.apply(req)
            try:
                req.connect(self.endpoint)
            except zmq.ZMQError as exc:
                raise ControlError(f"cannot connect to wall control endpoint {self.endpoint}: {exc}") from exc
            req.send(_msgpack_encoder.encode(command))
            if not req.poll(int(timeout_s * 1000)):
                if self.security is not None:
                    hint = "the CURVE keys (is this desk's public key in the wall's authorized keys?)"
                else:
                    hint = "whether the wall needs CURVE keys"
                raise ControlTimeoutError(
                    f"no answer from the wall at {self.endpoint} within {timeout_s:g} s: check that the wall "
                    f"app is running with this control endpoint, the network path, and {hint}"
                )
            body = req.recv()
        finally:
            req.close(0)
        try:
            if body[:1] and body[0] in _JSON_FIRST:
                return _reply_json.decode(body)
            return _reply_msgpack.decode(body)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise ControlError(f"{self.endpoint} answered something that is not a wall reply: {exc}") from exc


def describe(command: Command) -> str:
    """One line for logs and the CLI: what was pushed where."""
    if isinstance(command, SwitchPreset):
        return f"switch preset to '{command.name}'"
    if isinstance(command, PushCamera):
        return f"camera '{command.camera_id}' to region '{command.region}'"
    if isinstance(command, PushIncident):
        where = f"({command.lon:.5f}, {command.lat:.5f})"
        return f"incident '{command.incident_id}' {where} to region '{command.region}'"
    return f"3D view to region '{command.region}'"
