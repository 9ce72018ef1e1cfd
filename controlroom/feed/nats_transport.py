"""The feed over NATS JetStream (``[feed] transport = "nats"``): one server instead of our sockets.

Every publisher (simulator, bridge, replay) sends each frame, unchanged, to
``<subject>.live.<source>.<kind>`` (core NATS: no storage, no acks) and each record once more,
alone in its own frame, to ``<subject>.last.<source>.<kind>.<id>``. Those ``last`` subjects are
captured by a JetStream stream that keeps one message per subject (``max_msgs_per_subject = 1``)
for ``keep_s``: the last value per entity, sensor and incident, which is what our snapshot server
gives a late joiner in ZeroMQ mode. Every app instance (wall node, desk, history recorder)
subscribes to ``<subject>.live.>`` directly, then reads the stream's last values, and ingests
both with the same ``Ingestor`` as in ZeroMQ mode, so validation, counting and sequence checks
are the same. See docs/deployment.md for how a room is laid out in each mode.

nats-py is asyncio; each ``NatsLink`` runs one event loop on its own thread, so the callers here
(the simulator's loop, a bridge's publishing thread, the app's feed thread) stay synchronous.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import msgspec

from controlroom.core.protocol import (
    KINDS,
    FleetFrame,
    Incident,
    IncidentBatch,
    Message,
    Position,
    PositionBatch,
    SensorBatch,
    SensorReading,
)
from controlroom.feed.broker_errors import FeedBrokerError
from controlroom.feed.codec import decode, encode
from controlroom.feed.ingest import Ingestor
from controlroom.feed.publisher import FeedPublisher
from controlroom.feed.service_thread import FeedThread

if TYPE_CHECKING:
    from controlroom.core.site import NatsFeedConfig

log = logging.getLogger(__name__)

_T = TypeVar("_T")
_PLAIN_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")


class NatsFeedError(FeedBrokerError):
    """The NATS server cannot be used (not reachable, login refused, no JetStream); says which and where."""


def token(text: str) -> str:
    """A subject token for a source name or record id: as is when safe, else ``~`` + hex (injective)."""
    return text if _PLAIN_TOKEN.match(text) else "~" + text.encode().hex()


def live_subject(cfg: NatsFeedConfig, source: str, kind: str) -> str:
    return f"{cfg.subject}.live.{token(source)}.{kind}"


def last_subject(cfg: NatsFeedConfig, source: str, kind: str, record_id: str) -> str:
    return f"{cfg.subject}.last.{token(source)}.{kind}.{token(record_id)}"


def mark_subject(cfg: NatsFeedConfig, source: str) -> str:
    """Where a publisher notes ``[epoch, seq]`` of each update, after its records, before its frame.

    A late joiner reads it with the last values: every record of updates up to that seq is in
    what it read, and every later update's frame reaches its live subscription (made first),
    so it carries on from that seq with no gap and nothing missed.
    """
    return f"{cfg.subject}.last.{token(source)}.seq"


def where(url: str) -> str:
    """The server's URL for messages and logs: a password in it is not shown."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{parts.hostname}:{parts.port}"))


def connect_options(cfg: NatsFeedConfig, name: str) -> dict[str, Any]:
    """nats-py ``connect`` keywords for the site's ``[feed.nats]``: credentials and TLS included.

    ``credentials_file`` is a ``.creds`` file (a user JWT and its nkey seed, as ``nsc`` writes
    them, for servers in operator mode) or a bare nkey seed (``SU…``, for servers that list nkey
    users); either way the secret never leaves this machine, only a signature of the server's
    nonce does.
    """
    opts: dict[str, Any] = {
        "servers": [cfg.url],
        "name": name,
        "connect_timeout": 2,
        "allow_reconnect": True,
        "max_reconnect_attempts": -1,
        "reconnect_time_wait": 1.0,
        "pending_size": 64 * 1024 * 1024,
    }
    creds = cfg.credentials_file
    if creds is not None:
        try:
            text = creds.read_text(encoding="utf-8")
        except OSError as exc:
            raise NatsFeedError(f"[feed.nats] credentials_file {creds}: {exc.strerror or exc}") from None
        if "BEGIN NATS USER JWT" in text:
            opts["user_credentials"] = str(creds)
        elif text.strip().startswith("SU"):
            opts["nkeys_seed"] = str(creds)
        else:
            raise NatsFeedError(
                f"[feed.nats] credentials_file {creds}: expected a .creds file (a NATS USER JWT and"
                " its nkey seed) or an nkey user seed starting with 'SU'"
            )
    if cfg.ca_file is not None or cfg.url.startswith("tls://"):
        opts["tls"] = ssl.create_default_context(cafile=str(cfg.ca_file) if cfg.ca_file else None)
    return opts


def login_name(cfg: NatsFeedConfig) -> str:
    """Who this machine logs in as, for logs, status and the feed stats: a ``.creds`` file's user
    name (its JWT's ``name``) and public nkey, a bare seed's public nkey, or the URL's user.

    The server has checked that nkey's signature when the login succeeds, so the name is the one
    the server admitted, as a CURVE key's name is on our own sockets. Empty without credentials.
    """
    import base64
    import json

    creds = cfg.credentials_file
    if creds is None:
        return urlsplit(cfg.url).username or ""
    with contextlib.suppress(
        Exception
    ):  # a name for display: connect_options says what is wrong with the file
        text = creds.read_text(encoding="utf-8")
        if "BEGIN NATS USER JWT" in text:
            jwt = text.split("-----BEGIN NATS USER JWT-----", 1)[1].split("---", 1)[0].strip()
            body = jwt.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            return f"{claims.get('name') or creds.stem} ({claims['sub']})"
        import nkeys

        return str(nkeys.from_seed(text.strip().encode()).public_key.decode())
    return creds.name


class NatsLink:
    """One NATS connection on its own event loop thread; ``post`` frames from any thread."""

    def __init__(self, cfg: NatsFeedConfig, name: str) -> None:
        self.cfg = cfg
        self.name = name
        self.where = where(cfg.url)
        self.nc: Any = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"nats-{name}", daemon=True)
        self._outbox: deque[tuple[str, bytes]] = deque()
        self._kicked = False
        self._drainer: asyncio.Task[None] | None = None
        self.error: str | None = None
        #: The user this link logs in as (``login_name``).
        self.user = login_name(cfg)
        #: Messages that could not be handed to the server (connection closed, buffer full).
        self.dropped = 0

    def start(self, timeout_s: float = 10.0) -> NatsLink:
        """Connect (raises ``NatsFeedError`` naming the server when it cannot)."""
        self._thread.start()
        try:
            self.run(self._connect(), timeout_s)
        except BaseException as exc:
            self.close()
            if isinstance(exc, NatsFeedError):
                raise
            raise NatsFeedError(
                f"NATS server at {self.where}: {type(exc).__name__}: {exc}",
                unreachable=isinstance(exc, (TimeoutError, OSError)),  # no answer in time
            ) from None
        return self

    async def _open(self) -> None:
        import nats

        opts = connect_options(self.cfg, self.name)
        # the first connection: two quick tries (nats-py's pool gives up after ``max_reconnect_attempts``),
        # failing with a reason we can print
        opts.update(allow_reconnect=False, max_reconnect_attempts=1, reconnect_time_wait=0.2)
        opts["error_cb"] = self._on_error
        nc = nats.NATS()
        try:
            await nc.connect(**opts)
        except BaseException:
            with contextlib.suppress(Exception):  # a refused or failed try still holds its socket
                await nc.close()
            raise
        self.nc = nc

    async def _connect(self) -> None:
        from nats.errors import NoServersError

        try:
            await self._open()
        except (NoServersError, OSError, TimeoutError) as exc:
            raise NatsFeedError(
                f"cannot reach the NATS server at {self.where}: {exc}", unreachable=True
            ) from None
        except Exception as exc:  # nats-py raises plain errors for a refused login
            if "authorization" in str(exc).lower() or self.error:
                raise NatsFeedError(
                    f"the NATS server at {self.where} refused the login ({self.error or exc});"
                    " check [feed.nats] credentials_file in the site file"
                ) from None
            raise NatsFeedError(f"NATS server at {self.where}: {type(exc).__name__}: {exc}") from None
        self.nc.options.update(allow_reconnect=True, max_reconnect_attempts=-1, reconnect_time_wait=1.0)
        if self.user:
            log.info("NATS %s: logged in as %s", self.where, self.user)

    async def _on_error(self, exc: Exception) -> None:
        self.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        # before the first connection, what failed is raised (and said once by whoever retries)
        log.log(
            logging.WARNING if self.nc is not None else logging.DEBUG, "NATS %s: %s", self.where, self.error
        )

    def run(self, coro: Coroutine[Any, Any, _T], timeout_s: float = 10.0) -> _T:
        """Run a coroutine on the link's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout_s)

    def post(self, messages: list[tuple[str, bytes]]) -> None:
        """Queue messages for publishing (thread-safe, returns at once, order kept)."""
        self._outbox.extend(messages)
        if not self._kicked:
            self._kicked = True
            self._loop.call_soon_threadsafe(self._start_drain)

    def _start_drain(self) -> None:
        self._drainer = self._loop.create_task(self._drain())

    async def _drain(self) -> None:
        self._kicked = False  # from here on a post schedules another pass; this one takes what is queued
        outbox, publish = self._outbox, self.nc.publish
        try:
            while outbox:
                subject, data = outbox.popleft()
                await publish(subject, data)
        except Exception as exc:  # closed or over the reconnect buffer: what is queued is dropped, counted
            self.dropped += len(outbox) + 1
            outbox.clear()
            log.warning("NATS %s: publishing failed (%s); %d messages dropped", self.where, exc, self.dropped)

    def flush(self, timeout_s: float = 10.0) -> None:
        """Wait until the server has everything posted so far."""

        async def _flush() -> None:
            await self._drain()
            await self.nc.flush(timeout=timeout_s)

        self.run(_flush(), timeout_s + 1)

    def close(self) -> None:
        """Idempotent: a failed ``start`` has closed already."""
        if self._loop.is_closed():
            return
        if self.nc is not None:
            with contextlib.suppress(Exception):  # the server may be gone; closing must not fail
                self.run(self.nc.close(), 5.0)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()


async def ensure_stream(nc: Any, cfg: NatsFeedConfig) -> None:
    """Create (or bring up to date) the stream of last values; idempotent, every publisher calls it."""
    from nats.js.api import StorageType, StreamConfig
    from nats.js.errors import BadRequestError, NotFoundError

    js = nc.jetstream()
    config = StreamConfig(
        name=cfg.stream,
        subjects=[f"{cfg.subject}.last.>"],
        max_msgs_per_subject=1,
        max_age=cfg.keep_s,
        storage=StorageType.MEMORY,
    )
    try:
        await js.stream_info(cfg.stream)
    except NotFoundError:
        try:
            await js.add_stream(config)
        except BadRequestError as exc:
            raise NatsFeedError(
                f"NATS server at {where(cfg.url)}: cannot create stream {cfg.stream}: {exc}"
            ) from None
        return
    except Exception as exc:  # ServiceUnavailable / NoRespondersError: JetStream is off on that server
        raise NatsFeedError(
            f"the NATS server at {where(cfg.url)} does not answer JetStream requests ({type(exc).__name__});"
            " start it with JetStream enabled (nats-server -js)"
        ) from None
    await js.update_stream(config)


class NatsFeedPublisher(FeedPublisher):
    """A ``FeedPublisher`` whose frames go to NATS subjects and whose late-joiner state is the stream."""

    def __init__(
        self,
        cfg: NatsFeedConfig,
        *,
        source: str = "sim",
        codec: str = "msgpack",
        batch_size: int = 200,
        epoch: int | None = None,
    ) -> None:
        from controlroom.core.protocol import new_epoch

        self.cfg = cfg
        self.source = source
        self.codec = codec
        self.batch_size = batch_size
        self.seq = 0
        self.epoch = new_epoch() if epoch is None else epoch
        self.sent = 0
        self.started = time.time()
        self.cache = None
        self._snapshots = None
        self.endpoint = f"{where(cfg.url)} {live_subject(cfg, source, '*')}"
        self.snapshot_endpoint = f"JetStream stream {cfg.stream}"
        self._link = NatsLink(cfg, f"controlroom-{source}").start()
        self.login = self._link.user
        try:
            self._link.run(ensure_stream(self._link.nc, cfg))
        except BaseException:
            self._link.close()
            raise
        self._live = {kind: live_subject(cfg, source, kind) for kind in KINDS}
        self._mark = mark_subject(cfg, source)

    def send(self, msg: Message) -> None:
        """Each record's last value, then this publisher's mark, then the frame (``mark_subject``)."""
        self.seq += 1
        msg.seq, msg.source, msg.epoch = self.seq, self.source, self.epoch
        kind = msg.KIND
        out: list[tuple[str, bytes]] = []
        if isinstance(msg, (PositionBatch, SensorBatch, IncidentBatch)):  # kept per id; metrics are not
            cfg, source, replace, codec = self.cfg, self.source, msgspec.structs.replace, self.codec
            records: list[Position | SensorReading | Incident] = list(msg.records)
            out.extend(
                (last_subject(cfg, source, kind, r.id), encode(replace(msg, records=[r]), codec))
                for r in records
            )
        elif isinstance(msg, FleetFrame):  # a whole fleet per frame: the last frame is the fleet's state
            out.append((last_subject(self.cfg, self.source, kind, "fleet"), encode(msg, self.codec)))
        out.append((self._mark, msgspec.json.encode([self.epoch, self.seq])))
        out.append((self._live[kind], encode(msg, self.codec)))
        self._link.post(out)
        self.sent += 1

    def send_raw(self, frame: bytes) -> None:
        """An already-encoded frame (replay): live only, its kind read from the frame."""
        msg = decode(frame)
        self._link.post([(self._live[msg.KIND], frame)])
        self.sent += 1

    def flush(self, timeout_s: float = 10.0) -> None:
        self._link.flush(timeout_s)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the server may be gone: what was not sent is lost
            self._link.flush(2.0)
        self._link.close()


def last_values(cfg: NatsFeedConfig, link: NatsLink, timeout_s: float) -> list[tuple[str, bytes]]:
    """The stream's current last value per subject (the late joiner's snapshot): (subject, data)."""
    return link.run(_last_values(link.nc, cfg, timeout_s), timeout_s + 2)


async def _last_values(nc: Any, cfg: NatsFeedConfig, timeout_s: float) -> list[tuple[str, bytes]]:
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
    from nats.js.errors import NotFoundError

    js = nc.jetstream()
    try:
        psub = await js.pull_subscribe(
            f"{cfg.subject}.last.>",
            stream=cfg.stream,
            config=ConsumerConfig(
                deliver_policy=DeliverPolicy.LAST_PER_SUBJECT,
                ack_policy=AckPolicy.NONE,
                inactive_threshold=30,
            ),
        )
    except NotFoundError:  # no publisher has created the stream yet: nothing to catch up on
        return []
    frames: list[tuple[str, bytes]] = []
    try:
        pending = (await psub.consumer_info()).num_pending
        end = time.monotonic() + timeout_s
        while len(frames) < pending and time.monotonic() < end:
            with contextlib.suppress(TimeoutError):
                msgs = await psub.fetch(min(5000, pending - len(frames)), timeout=1.0)
                frames.extend((m.subject, m.data) for m in msgs)
    finally:
        with contextlib.suppress(Exception):
            await psub.unsubscribe()
    return frames


def split_snapshot(
    cfg: NatsFeedConfig, values: list[tuple[str, bytes]]
) -> tuple[list[bytes], dict[str, int]]:
    """The last values as frames of each source's current run, and per source the seq they are complete to.

    The stream may still hold records of a run that has since restarted (within ``keep_s``):
    they are left out, as the restarted publisher's own records are its current state.
    """
    marks: dict[str, tuple[int, int]] = {}
    for subject, data in values:
        if subject.endswith(".seq") and subject.count(".") == cfg.subject.count(".") + 3:
            with contextlib.suppress(msgspec.DecodeError, ValueError, TypeError):
                epoch, seq = msgspec.json.decode(data)
                marks[subject] = (int(epoch), int(seq))
    runs = {subject.rsplit(".", 2)[-2]: mark for subject, mark in marks.items()}
    frames: list[bytes] = []
    for subject, data in values:
        if subject in marks:
            continue
        run = runs.get(subject.split(".")[cfg.subject.count(".") + 2])
        if run is not None:
            with contextlib.suppress(Exception):  # a bad frame is the ingestor's to count
                if decode(data).epoch != run[0]:
                    continue
        frames.append(data)
    by_source: dict[str, int] = {}
    for data in frames:
        with contextlib.suppress(Exception):
            msg = decode(data)
            by_source.setdefault(msg.source, runs.get(token(msg.source), (0, 0))[1])
    for tok, (_, seq) in runs.items():
        by_source.setdefault(_untoken(tok), seq)
    return frames, by_source


def _untoken(tok: str) -> str:
    return bytes.fromhex(tok[1:]).decode() if tok.startswith("~") else tok


class NatsFeedSubscriber(FeedThread):
    """The app's feed thread in NATS mode: live subjects, then the stream's last values.

    The same surface as ``FeedSubscriber`` (``FeedThread``), so ``open_site_feed`` hands either
    to the app, the history recorder and the headless tools. ``on_frames`` (optional) sees every
    batch of raw frames before it is ingested, for consumers that keep frames rather than state.
    """

    start_wait_s = 10.0

    def __init__(
        self,
        cfg: NatsFeedConfig,
        ingestor: Ingestor,
        *,
        snapshot: bool = True,
        snapshot_timeout_s: float = 5.0,
        batch_max: int = 5000,
        poll_ms: int = 50,
        on_frames: Callable[[list[bytes]], None] | None = None,
    ) -> None:
        super().__init__("feed-subscriber-nats", ingestor, [where(cfg.url)])
        self.cfg = cfg
        self.snapshot = snapshot
        self.snapshot_timeout_s = snapshot_timeout_s
        self.batch_max = batch_max
        self.poll_ms = poll_ms
        self.on_frames = on_frames

    def _run(self) -> None:
        self.state = "connecting"
        link: NatsLink | None = None
        try:
            link = self._until_connected(
                lambda: NatsLink(self.cfg, "controlroom-app").start(), login_name(self.cfg)
            )
            if link is not None:
                self._serve(link)
        except BaseException as exc:  # reported to start(), or logged and restarted by the supervisor
            self._failed(exc)
        finally:
            if link is not None:
                link.close()
            self._ended()

    def _serve(self, link: NatsLink) -> None:
        inbox: deque[bytes] = deque()
        wake = threading.Event()

        async def on_live(msg: Any) -> None:
            inbox.append(msg.data)
            wake.set()

        async def subscribe() -> None:
            await link.nc.subscribe(
                f"{self.cfg.subject}.live.>", cb=on_live, pending_msgs_limit=-1, pending_bytes_limit=-1
            )
            await link.nc.flush()  # the server has our subscription: nothing published from now on is missed

        link.run(subscribe())
        if self.snapshot:
            self._late_join(link)
        self.state = "live"
        self._ready.set()
        ingest, on_frames, batch_max = self.ingestor.ingest, self.on_frames, self.batch_max
        stats = self.ingestor.stats
        while not self._stop.is_set():
            if not wake.wait(self.poll_ms / 1000):
                up = link.nc.is_connected
                if up != (self.state == "live"):
                    self.state = "live" if up else "down"
                    up_detail = f"logged in as {link.user}" if link.user else ""
                    stats.note_link(
                        "up" if up else "down", up_detail if up else f"lost {link.where}; reconnecting"
                    )
                continue
            wake.clear()
            while inbox:
                popleft = inbox.popleft
                frames = [popleft() for _ in range(min(len(inbox), batch_max))]
                if on_frames is not None:
                    on_frames(frames)
                ingest(frames, time.time())

    def _late_join(self, link: NatsLink) -> None:
        self.state = "snapshot"
        ingestor = self.ingestor
        try:
            values = last_values(self.cfg, link, self.snapshot_timeout_s)
        except Exception as exc:  # the live feed goes on; the picture fills in as updates come
            log.warning(
                "NATS stream %s: no snapshot (%s); continuing with live updates only", self.cfg.stream, exc
            )
            self.state = "snapshot failed (live only)"
            return
        frames, complete_to = split_snapshot(self.cfg, values)
        if self.on_frames is not None and frames:
            self.on_frames(frames)
        counts = ingestor.ingest(frames, snapshot=True)
        self.snapshot_records = counts.records
        for source, seq in complete_to.items():
            if seq:  # updates up to ``seq`` are in the snapshot; the next one is on the live subject
                ingestor.stats.source(source).last_seq = seq
                ingestor.skip_upto[source] = seq
